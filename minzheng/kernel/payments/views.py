"""Back-office pages of payments: the batch list, the batch page (summary, masked lines,
timeline, its steps and the bank file download), a person's payee accounts and the form that
generates a month's batch.

Thin: each view reads through the payments selectors or calls one payments service, which
performs batch steps through the workflow kernel's transition_apply. A refused step comes
back to the batch page as a message in the user's language, never as a server error.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minzheng.common.errors import ApplicationError, NotFound, PermissionRefused
from minzheng.common.masking import mask_name
from minzheng.kernel.accounts.models import User
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.payments import selectors, services
from minzheng.kernel.payments.forms import (
    BatchFilterForm,
    CloseAccountForm,
    ExportForm,
    GenerateForm,
    NoteForm,
    PayeeAccountForm,
    ReasonForm,
    ReturnsForm,
    RevealForm,
)
from minzheng.kernel.payments.jobs import ENTITLEMENT_SOURCES, payroll_start
from minzheng.kernel.payments.models import (
    AccountStatus,
    BatchState,
    LineKind,
    LineStatus,
    PaymentBatch,
)
from minzheng.kernel.people.selectors import current_household, household_get, person_get
from minzheng.kernel.workflow.fsm import (
    LABEL,
    NOT_BY_ACTOR_OF,
    REASON_REQUIRED,
    timeline_rows,
    transition_labels,
)
from minzheng.kernel.workflow.selectors import case_open_task
from minzheng.kernel.workflow.services import maker_checker_check
from minzheng.web.backoffice.access import actor_of, page, staff_view

LIST_PAGE_SIZE = 50
LINES_PAGE_SIZE = 50
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

Perform = Callable[[User, PaymentBatch, Any], HttpResponse | None]


@dataclass(frozen=True)
class Step:
    """A step the batch page offers: its form and the service that performs it."""

    form: type[forms.Form]
    perform: Perform
    style: str = "primary"


def _bank_file(actor: User, batch: PaymentBatch, data: dict[str, Any]) -> HttpResponse:
    """The bank file as a download (full account numbers: never shown on a page)."""
    file_format = data["file_format"]
    out = io.BytesIO()
    services.payment_batch_export(actor=actor, batch=batch, out=out, file_format=file_format)
    response = HttpResponse(out.getvalue(), content_type=CONTENT_TYPES[file_format])
    name = f"{batch.case_number}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _none(_result: object) -> None:
    return None


STEPS: dict[str, Step] = {
    "submit": Step(
        NoteForm,
        lambda actor, batch, data: _none(
            services.payment_batch_submit(actor=actor, batch=batch, note=data["note"])
        ),
    ),
    "send_back": Step(
        ReasonForm,
        lambda actor, batch, data: _none(
            services.payment_batch_send_back(actor=actor, batch=batch, reason=data["reason"])
        ),
        "outline-danger",
    ),
    "approve": Step(
        NoteForm,
        lambda actor, batch, data: _none(
            services.payment_batch_approve(actor=actor, batch=batch, note=data["note"])
        ),
        "success",
    ),
    "export": Step(ExportForm, _bank_file),
    "export_again": Step(ExportForm, _bank_file, "outline-secondary"),
    "settle": Step(
        NoteForm,
        lambda actor, batch, data: _none(services.payment_batch_settle(actor=actor, batch=batch)),
        "success",
    ),
    "record_returns": Step(
        ReturnsForm,
        lambda actor, batch, data: _none(
            services.payment_batch_settle(actor=actor, batch=batch, returns=data["returns"])
        ),
        "outline-danger",
    ),
}


STEP_LABELS = transition_labels(PaymentBatch, opening={"generate": gettext_lazy("Generated")})
STATE_LABELS = dict(BatchState.choices)


def _state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


def _programmes() -> list[tuple[str, str]]:
    return sorted((code, source.label) for code, source in ENTITLEMENT_SOURCES.items())


def _may_take(actor: User, batch: PaymentBatch, transition: Any) -> bool:
    """Whether the actor passes the checks django-fsm does not know: recusal, maker-checker."""
    try:
        batch.case_check_actor(transition.name, actor)
        maker_checker_check(
            case=batch, actor=actor, prepared_by=list(transition.custom.get(NOT_BY_ACTOR_OF, ()))
        )
    except PermissionRefused:
        return False
    return True


def _available_steps(actor: User, batch: PaymentBatch) -> list[dict[str, Any]]:
    """The steps the actor may take now: state table, conditions, permission, maker-checker."""
    available = {t.name: t for t in batch.get_available_user_state_transitions(actor)}  # type: ignore[attr-defined]
    offered = []
    for name, step in STEPS.items():
        transition = available.get(name)
        if transition is None or not _may_take(actor, batch, transition):
            continue
        offered.append(
            {
                "name": name,
                "label": transition.custom.get(LABEL, name),
                "reason_required": bool(transition.custom.get(REASON_REQUIRED)),
                "form": step.form(prefix=name),
                "style": step.style,
                "download": step.perform is _bank_file,
            }
        )
    return offered


@staff_view(Perm.PAYMENTS_VIEW)
def batch_list(request: HttpRequest) -> HttpResponse:
    """Batches of the actor's counties, filtered by county, programme, month and state."""
    actor = actor_of(request)
    programmes = _programmes()
    filters = BatchFilterForm(
        request.GET or None,
        counties=selectors.payment_counties(actor=actor),
        programmes=programmes,
    )
    chosen: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.payment_batch_list(
        actor=actor,
        programme=chosen.get("programme") or None,
        month=chosen.get("month"),
        county=chosen.get("county"),
        state=chosen.get("state") or None,
    )
    page_obj = Paginator(qs, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(programmes)
    rows = [
        {
            "batch": b,
            "state": _state_label(b.state),
            "programme": labels.get(b.programme, b.programme_label),
        }
        for b in page_obj
    ]
    return page(
        request,
        "payments/list.html",
        {
            "rows": rows,
            "page_obj": page_obj,
            "filters": filters,
            "totals": selectors.payment_batch_totals(qs),
            "can_generate": has_perm(actor, Perm.PAYMENTS_PREPARE),
            "payments": True,
        },
    )


@staff_view(Perm.PAYMENTS_VIEW)
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = actor_of(request)
    batch = selectors.payment_batch_get(actor=actor, batch_id=batch_id)
    lines = Paginator(
        selectors.payment_line_preview_queryset(actor=actor, batch=batch), LINES_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    timeline = timeline_rows(
        selectors.payment_batch_timeline(actor=actor, batch=batch),
        labels=STEP_LABELS,
        states=STATE_LABELS,
        actor_name=lambda user: str(user) if user else _("System"),
    )
    kinds, statuses = dict(LineKind.choices), dict(LineStatus.choices)
    lines.object_list = [
        {**line, "kind": kinds.get(line["kind"]), "status": statuses.get(line["status"])}
        for line in lines.object_list
    ]
    task = case_open_task(case=batch)
    context = {
        "batch": batch,
        "state": _state_label(batch.state),
        "lines": lines,
        "page_obj": lines,
        "timeline": timeline,
        "task": task,
        "task_label": STEP_LABELS.get(task.action, task.action) if task else "",
        "steps": _available_steps(actor, batch),
        "payments": True,
    }
    if request.htmx and request.GET.get("page"):  # type: ignore[attr-defined]
        return page(request, "payments/_lines.html", context)
    return page(request, "payments/detail.html", context)


@require_POST
@staff_view(Perm.PAYMENTS_VIEW)
def batch_step(request: HttpRequest, batch_id: int, step: str) -> HttpResponse:
    """Perform one step through its service; a refusal comes back as a message."""
    actor = actor_of(request)
    batch = selectors.payment_batch_get(actor=actor, batch_id=batch_id)
    target = reverse("payments:batch", args=[batch.pk])
    declared = STEPS.get(step)
    if declared is None:
        raise NotFound(_("No such step."), code="unknown_step")
    form = declared.form(request.POST, prefix=step)
    if not form.is_valid():
        messages.error(
            request,
            "; ".join(" ".join(str(e) for e in errors) for errors in form.errors.values()),
        )
        return redirect(target)
    try:
        response = declared.perform(actor, batch, form.cleaned_data)
    except NotFound:
        raise
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect(target)
    if response is not None:
        return response
    messages.success(request, _("The step was recorded."))
    return redirect(target)


@staff_view(Perm.PAYMENTS_PREPARE)
def batch_generate(request: HttpRequest) -> HttpResponse:
    """Start this month's payroll of one county and programme (the payroll job)."""
    actor = actor_of(request)
    form = GenerateForm(
        request.POST or None,
        counties=selectors.payment_counties(actor=actor, perm=Perm.PAYMENTS_PREPARE),
        programmes=_programmes(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = payroll_start(
                actor=actor,
                programme=data["programme"],
                month=data["month"],
                counties=[data["county"].code],
            )
        except NotFound:
            raise
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("The payroll of %(county)s has started; its batch appears in the list.")
                % {"county": data["county"].name},
            )
            return redirect(reverse("backoffice:job", args=[job.pk]))
    return page(request, "payments/generate.html", {"form": form, "payments": True})


# --- payee accounts ------------------------------------------------------------------------


def _accounts_page(request: HttpRequest, person_id: int, **extra: Any) -> HttpResponse:
    actor = actor_of(request)
    person = person_get(actor=actor, person_id=person_id)
    accounts = selectors.payee_account_list(actor=actor, person=person)
    region = person.residence_region
    return page(
        request,
        "payments/accounts.html",
        {
            "person": person,
            "person_name": mask_name(person.name),
            "household": current_household(person=person),
            "accounts": accounts,
            "active": AccountStatus.ACTIVE,
            "can_change": has_perm(actor, Perm.PAYMENTS_PAYEE_CHANGE, region),
            "can_reveal": has_perm(actor, Perm.PAYMENTS_PAYEE_REVEAL, region),
            "create_form": extra.pop("create_form", None) or PayeeAccountForm(),
            "payments": True,
            **extra,
        },
    )


@staff_view(Perm.PAYMENTS_VIEW)
def payee_accounts(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person's payee accounts (masked), with create, close and reveal for those allowed."""
    return _accounts_page(request, person_id)


def _person_account(request: HttpRequest, person_id: int, account_id: int) -> Any:
    actor = actor_of(request)
    person = person_get(actor=actor, person_id=person_id)
    account = selectors.payee_account_list(actor=actor, person=person).filter(pk=account_id)
    found = account.select_related("person__residence_region").first()
    if found is None:
        raise NotFound(_("No such account."), code="account_not_found")
    return found


@require_POST
@staff_view(Perm.PAYMENTS_PAYEE_CHANGE)
def payee_account_create(request: HttpRequest, person_id: int) -> HttpResponse:
    actor = actor_of(request)
    person = person_get(actor=actor, person_id=person_id)
    selectors.payee_account_list(actor=actor, person=person)  # scope
    form = PayeeAccountForm(request.POST)
    if form.is_valid():
        try:
            services.payee_account_create(actor=actor, person=person, **form.cleaned_data)
        except NotFound:
            raise
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The account was recorded."))
            return redirect("payments:accounts", person.pk)
    return _accounts_page(request, person_id, create_form=form)


@require_POST
@staff_view(Perm.PAYMENTS_PAYEE_CHANGE)
def payee_account_close(request: HttpRequest, person_id: int, account_id: int) -> HttpResponse:
    account = _person_account(request, person_id, account_id)
    form = CloseAccountForm(request.POST)
    try:
        services.payee_account_close(
            actor=actor_of(request),
            account=account,
            reason=form.data.get("reason", ""),
        )
    except NotFound:
        raise
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The account was closed."))
    return redirect("payments:accounts", person_id)


@require_POST
@staff_view(Perm.PAYMENTS_VIEW)
def payee_account_reveal(request: HttpRequest, person_id: int, account_id: int) -> HttpResponse:
    """The full account number once, for an actor allowed to see it (audited with the reason)."""
    account = _person_account(request, person_id, account_id)
    form = RevealForm(request.POST)
    try:
        number = services.payee_account_reveal(
            actor=actor_of(request), account=account, reason=form.data.get("reason", "")
        )
    except NotFound:
        raise
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect("payments:accounts", person_id)
    return _accounts_page(request, person_id, revealed={"id": account.pk, "number": number})


@staff_view(Perm.PAYMENTS_VIEW)
def household_accounts(request: HttpRequest, household_id: int) -> HttpResponse:
    """The current members of a household with their payee accounts (masked)."""
    actor = actor_of(request)
    household = household_get(actor=actor, household_id=household_id)
    members = [
        {"person": person, "name": mask_name(person.name), "accounts": accounts}
        for person, accounts in selectors.household_payee_accounts(actor=actor, household=household)
    ]
    return page(
        request,
        "payments/household_accounts.html",
        {"household": household, "members": members, "payments": True},
    )
