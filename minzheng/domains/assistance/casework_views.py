"""Back-office pages of assistance casework: the worklist, the application list, the
application page with its timeline and step forms, and counter filing.

Thin: each view reads through the assistance selectors or calls one casework service. A
refused step (Conflict, PermissionRefused, ValidationFailed) comes back to the application
page as a message in the user's language, never as a server error; a second POST of the
same step is refused by the service's state check and shows that message too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minzheng.common.errors import ApplicationError, NotFound, ValidationFailed
from minzheng.common.masking import mask_name
from minzheng.domains.assistance import selectors, services
from minzheng.domains.assistance.casework_forms import (
    ApplicationSearchForm,
    AppraiseForm,
    CounterFilingForm,
    InvestigateForm,
    NoteForm,
    PayeeForm,
    ReasonForm,
    ReturnForm,
    TownReviewForm,
    WorklistFilterForm,
)
from minzheng.domains.assistance.models.casework import (
    ApplicationChannel,
    ApplicationState,
    AssistanceApplication,
    Enrolment,
    EnrolmentState,
)
from minzheng.domains.assistance.selectors import discovery as discovery_selectors
from minzheng.kernel.accounts.models import Role, User, UserKind
from minzheng.kernel.accounts.permissions import Perm, has_perm, roles
from minzheng.kernel.payments.models import PayeeAccount
from minzheng.kernel.people.selectors import household_list
from minzheng.kernel.workflow import calendar
from minzheng.kernel.workflow import selectors as workflow_selectors
from minzheng.kernel.workflow.fsm import (
    LABEL,
    REASON_REQUIRED,
    timeline_rows,
    transition_labels,
)
from minzheng.web.backoffice.access import actor_of, page, staff_view

LIST_PAGE_SIZE = 50
HOUSEHOLD_CHOICES = 20
WORKLIST_HOUSEHOLD_ROWS = 10  # visits and discovery tasks shown on the worklist ("see all")

Perform = Callable[[User, AssistanceApplication, Any], object]


@dataclass(frozen=True)
class Step:
    """A step the application page offers: its form and the service that performs it."""

    form: type[forms.Form]
    perform: Perform
    style: str = "primary"


def _signer(username: str) -> User:
    signer = User.objects.filter(username=username.strip(), is_active=True).first()
    if signer is None:
        raise ValidationFailed(_("No staff member with this user name."), field="second_signer")
    return signer


# The steps a clerk performs on this page. The others (emergency help first and its
# documentation, public-notice objections) have their own procedure and are not offered.
STEPS: dict[str, Step] = {
    "accept": Step(
        NoteForm,
        lambda actor, app, data: services.application_accept(
            actor=actor, application=app, note=data["note"]
        ),
    ),
    "return_for_documents": Step(
        ReturnForm,
        lambda actor, app, data: services.application_return(
            actor=actor,
            application=app,
            missing=[m.strip() for m in data["missing"].splitlines() if m.strip()],
            reason=data["reason"],
        ),
        "outline-secondary",
    ),
    "resubmit": Step(
        NoteForm,
        lambda actor, app, data: services.application_resubmit(actor=actor, application=app),
    ),
    "investigate": Step(
        InvestigateForm,
        lambda actor, app, data: services.application_investigate(
            actor=actor,
            application=app,
            visited_on=data["visited_on"],
            findings=data["findings"],
            signers=[actor, _signer(data["second_signer"])],
            note=data["note"],
        ),
    ),
    "verify": Step(
        NoteForm,
        lambda actor, app, data: services.application_verify(
            actor=actor, application=app, note=data["note"]
        ),
    ),
    "appraise": Step(
        AppraiseForm,
        lambda actor, app, data: services.application_appraise(
            actor=actor, application=app, minutes=data["minutes"], outcome=data["outcome"]
        ),
    ),
    "town_review": Step(
        TownReviewForm,
        lambda actor, app, data: services.application_town_review(
            actor=actor,
            application=app,
            recommendation=data["recommendation"],
            proposed_amount=data["proposed_amount"],
            note=data["note"],
        ),
    ),
    "publish_notice": Step(
        NoteForm,
        lambda actor, app, data: services.application_publish_notice(actor=actor, application=app),
    ),
    "extra_review": Step(
        ReasonForm,
        lambda actor, app, data: services.application_extra_review(
            actor=actor, application=app, reason=data["reason"]
        ),
    ),
    "approve": Step(
        NoteForm,
        lambda actor, app, data: services.application_approve(
            actor=actor, application=app, note=data["note"]
        ),
        "success",
    ),
    "refuse": Step(
        ReasonForm,
        lambda actor, app, data: services.application_refuse(
            actor=actor, application=app, reason=data["reason"]
        ),
        "danger",
    ),
    "withdraw": Step(
        ReasonForm,
        lambda actor, app, data: services.application_withdraw(
            actor=actor, application=app, reason=data["reason"]
        ),
        "outline-danger",
    ),
}


def _application(actor: User, case_number: str) -> AssistanceApplication:
    """The application with this case number in the actor's regions (else NotFound)."""
    found = selectors.application_list(actor=actor).filter(case_number=case_number.upper()).first()
    if found is None:
        raise NotFound(_("No such application in your regions."), code="application_not_found")
    return found


def _available_steps(actor: User, application: AssistanceApplication) -> list[dict[str, Any]]:
    """The page's steps the actor may perform now (django-fsm: source, conditions, permission)."""
    available = {t.name: t for t in application.get_available_user_state_transitions(actor)}  # type: ignore[attr-defined]
    offered = []
    for name, step in STEPS.items():
        transition = available.get(name)
        if transition is None:
            continue
        form = step.form(prefix=name)
        if "visited_on" in form.fields:
            form.initial["visited_on"] = timezone.localdate()
        offered.append(
            {
                "name": name,
                "label": transition.custom.get(LABEL, name),
                "reason_required": bool(transition.custom.get(REASON_REQUIRED)),
                "form": form,
                "style": step.style,
            }
        )
    return offered


# The case page's timeline holds the application's steps and its enrolment's.
_STATE_LABELS = {**dict(EnrolmentState.choices), **dict(ApplicationState.choices)}


def _state_label(state: str) -> str:
    return str(_STATE_LABELS.get(state, state))


@staff_view(Perm.ASSISTANCE_VIEW)
def worklist(request: HttpRequest) -> HttpResponse:
    """The actor's open assistance tasks, overdue first, with due dates in working days;
    for a role that does visits and discovery, the visits due and the open discovery tasks.
    """
    actor = actor_of(request)
    today = timezone.localdate()
    filters = WorklistFilterForm(request.GET or None)
    chosen: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    items = selectors.worklist(actor=actor, today=today)
    if chosen.get("programme"):
        items = [i for i in items if i.application.programme_id == chosen["programme"].pk]
    if chosen.get("state"):
        items = [i for i in items if i.application.state == chosen["state"]]
    rows = []
    for item in items:
        left = _working_days_left(today, item.task.due_on)
        rows.append(
            {
                "item": item,
                "applicant": mask_name(item.application.applicant.name),
                "state": _state_label(item.application.state),
                "action": STEPS_LABELS.get(item.task.action, item.task.action),
                "working_days": left,
                "overdue_days": -left if left is not None and left < 0 else 0,
            }
        )
    uncovered = workflow_selectors.calendar_warnings(
        start=dt.date(today.year, 1, 1), end=dt.date(today.year + 1, 12, 31)
    )
    can_file = has_perm(actor, Perm.ASSISTANCE_FILE)
    return page(
        request,
        "assistance/casework/worklist.html",
        {
            "rows": rows,
            "filters": filters,
            "uncovered_years": uncovered,
            "overdue_count": sum(1 for r in rows if r["item"].overdue),
            "can_file": can_file,
            "household_work": _household_work(actor, today) if can_file else None,
            "payee_missing": _payee_missing(actor, today),
            "casework": True,
        },
    )


def _payee_missing(actor: User, today: dt.date) -> dict[str, Any] | None:
    """The worklist's enrolments without an active payee account (None: the actor records no
    payee accounts anywhere, so the section is not shown)."""
    if not has_perm(actor, Perm.PAYMENTS_PAYEE_CHANGE):
        return None
    missing = selectors.enrolments_without_payee(actor=actor, today=today)
    shown = list(missing[:WORKLIST_HOUSEHOLD_ROWS])
    return {
        "count": len(shown) if len(shown) < WORKLIST_HOUSEHOLD_ROWS else missing.count(),
        "rows": [
            {
                "enrolment": enrolment,
                "applicant": mask_name(enrolment.application.applicant.name),
                "closed": enrolment.payee_account is not None,
            }
            for enrolment in shown
        ],
    }


def _household_work(actor: User, today: dt.date) -> dict[str, Any]:
    """The worklist's visits and discovery sections of a role that does them (files cases).

    A grid worker sees the rows assigned to them, as the discovery pages show by default;
    each visit comes with its working days overdue (0 when not yet due).
    """
    mine = Role.GRID_WORKER in roles(actor)
    work = discovery_selectors.worklist_household_work(
        actor=actor, today=today, limit=WORKLIST_HOUSEHOLD_ROWS, mine=mine
    )
    return {
        "visits": [
            {
                "visit": visit,
                "head": work.heads.get(visit.household_id, "—"),
                "overdue": visit.due_on < today,
                "overdue_days": (
                    calendar.working_days_between(visit.due_on, today)
                    if visit.due_on < today
                    else 0
                ),
            }
            for visit in work.visits
        ],
        "visit_count": work.visit_count,
        "visits_overdue": work.overdue_count,
        "tasks": [
            {"task": task, "head": work.heads.get(task.household_id, "—")} for task in work.tasks
        ],
        "task_count": work.task_count,
    }


STEPS_LABELS = transition_labels(
    AssistanceApplication,
    Enrolment,
    opening={
        "submit": gettext_lazy("Application filed"),
        "start": gettext_lazy("Enrolment started"),
    },
)


def _actor_name(actor: User | None) -> str:
    """Staff by name; a resident (the applicant filing online) masked like the applicant."""
    if actor is None:
        return _("System")
    if actor.kind == UserKind.RESIDENT:
        return _("Applicant %(name)s") % {"name": mask_name(str(actor))}
    return str(actor)


def _working_days_left(today: dt.date, due: dt.date | None) -> int | None:
    """Working days from today to the due date (negative: working days overdue)."""
    return None if due is None else calendar.working_days_between(today, due)


@staff_view(Perm.ASSISTANCE_VIEW)
def application_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    search = ApplicationSearchForm(request.GET or None)
    chosen: dict[str, Any] = search.cleaned_data if search.is_valid() else {}
    qs = selectors.application_list(
        actor=actor,
        state=chosen.get("state") or None,
        programme=chosen["programme"].code if chosen.get("programme") else None,
        case_number=chosen.get("case_number", ""),
    )
    page_obj = Paginator(qs, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "application": a,
            "applicant": mask_name(a.applicant.name),
            "state": _state_label(a.state),
        }
        for a in page_obj
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return page(
        request,
        "assistance/casework/list.html",
        {
            "rows": rows,
            "page_obj": page_obj,
            "search": search,
            "query": query.urlencode(),
            "casework": True,
        },
    )


@staff_view(Perm.ASSISTANCE_VIEW)
def application_detail(request: HttpRequest, case_number: str) -> HttpResponse:
    actor = actor_of(request)
    application = _application(actor, case_number)
    timeline = selectors.application_timeline(actor=actor, application=application)
    steps = timeline_rows(
        timeline, labels=STEPS_LABELS, states=_STATE_LABELS, actor_name=_actor_name
    )
    task = workflow_selectors.case_open_task(case=application)
    enrolment = (
        Enrolment.objects.select_related("payee_account", "region")
        .filter(application=application)
        .first()
    )
    return page(
        request,
        "assistance/casework/detail.html",
        {
            "application": application,
            "applicant": mask_name(application.applicant.name),
            "state": _state_label(application.state),
            "channel": str(dict(ApplicationChannel.choices).get(application.channel, "")),
            "timeline": steps,
            "task": task,
            "task_overdue": bool(task and task.is_overdue(timezone.localdate())),
            "visits": [
                {"visit": visit, "signers": [str(visit.first_signer), str(visit.second_signer)]}
                for visit in application.visits.select_related("first_signer", "second_signer")
            ],
            "enrolment": enrolment,
            "payee": enrolment.payee_account if enrolment else None,
            "payee_form": (
                PayeeForm(prefix="payee", choices=_payee_choices(services.payee_choices(enrolment)))
                if enrolment and has_perm(actor, Perm.PAYMENTS_PAYEE_CHANGE, enrolment.region)
                else None
            ),
            "authorisations": [
                {
                    "member": mask_name(authorisation.person.name),
                    "at": timezone.localtime(authorisation.consented_at),
                    "sha256": authorisation.text_sha256,
                }
                for authorisation in selectors.application_authorisations(
                    actor=actor, application=application
                )
            ],
            "steps": _available_steps(actor, application),
            "can_view_household": has_perm(actor, Perm.PEOPLE_VIEW, application.household.region),
            "can_view_report": has_perm(
                actor, Perm.VERIFICATION_VIEW, application.household.region
            ),
            "casework": True,
        },
    )


def _form_errors(form: forms.Form) -> str:
    """A refused form as one message: each field's label with its errors."""
    return "; ".join(
        (f"{form.fields[name].label}: " if name in form.fields else "")
        + " ".join(str(error) for error in errs)
        for name, errs in form.errors.items()
    )


@require_POST
@staff_view(Perm.ASSISTANCE_VIEW)
def application_step(request: HttpRequest, case_number: str, step: str) -> HttpResponse:
    """Perform one step through its service; a refusal comes back as a message."""
    actor = actor_of(request)
    application = _application(actor, case_number)
    target = reverse("assistance:case", args=[application.case_number])
    declared = STEPS.get(step)
    if declared is None:
        raise NotFound(_("No such step."), code="unknown_step")
    form = declared.form(request.POST, prefix=step)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(target)
    try:
        declared.perform(actor, application, form.cleaned_data)
    except NotFound:
        raise
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect(target)
    messages.success(request, _("The step was recorded."))
    return redirect(target)


def _payee_choices(accounts: list[PayeeAccount]) -> list[tuple[int, str]]:
    """The form's choices, masked: holder, bank, account number."""
    return [
        (
            account.pk,
            f"{account.holder_name_masked} · {account.bank_name} · {account.account_number_masked}",
        )
        for account in accounts
    ]


@require_POST
@staff_view(Perm.ASSISTANCE_VIEW)
def enrolment_payee(request: HttpRequest, case_number: str) -> HttpResponse:
    """Choose the enrolment's payee account (发放账户), with a reason; refusals as messages."""
    actor = actor_of(request)
    application = _application(actor, case_number)
    target = reverse("assistance:case", args=[application.case_number])
    enrolment = Enrolment.objects.filter(application=application).first()
    if enrolment is None:
        raise NotFound(_("This application has no enrolment."), code="enrolment_not_found")
    accounts = {account.pk: account for account in services.payee_choices(enrolment)}
    form = PayeeForm(request.POST, prefix="payee", choices=_payee_choices(list(accounts.values())))
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(target)
    account = accounts[form.cleaned_data["account"]]
    try:
        services.enrolment_payee_set(
            actor=actor, enrolment=enrolment, account=account, reason=form.cleaned_data["reason"]
        )
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return redirect(target)
    messages.success(request, _("The payee account was changed."))
    return redirect(target)


@staff_view(Perm.ASSISTANCE_FILE)
def application_new(request: HttpRequest) -> HttpResponse:
    """Counter filing (窗口受理) by a town clerk for a household of their regions."""
    actor = actor_of(request)
    form = CounterFilingForm(request.POST or request.GET or None)
    query = (
        request.POST.get("household_query") or request.GET.get("household_query") or ""
    ).strip()
    households: list[Any] = []
    if query:
        scoped = household_list(actor=actor, perm=Perm.ASSISTANCE_FILE)
        if query.isdigit() and len(query) < 12:
            households = list(scoped.filter(pk=int(query))[:HOUSEHOLD_CHOICES])
        else:
            households = list(
                household_list(actor=actor, query=query, perm=Perm.ASSISTANCE_FILE)[
                    :HOUSEHOLD_CHOICES
                ]
            )
    choices = [
        {
            "household": h,
            "members": [
                {"id": m.person_id, "name": mask_name(m.person.name), "head": m.relation == "head"}
                for m in h.current_memberships
            ],
        }
        for h in households
    ]
    if request.method == "POST" and form.is_valid() and form.cleaned_data.get("household"):
        scoped = household_list(actor=actor, perm=Perm.ASSISTANCE_FILE)
        household = scoped.filter(pk=form.cleaned_data["household"]).first()
        if household is None:
            raise NotFound(_("No such household in your regions."), code="household_not_found")
        members = household.current_memberships  # type: ignore[attr-defined]
        chosen_id = form.cleaned_data.get("applicant")
        applicant = next(
            (m.person for m in members if m.person_id == chosen_id),
            next((m.person for m in members if m.relation == "head"), None),
        )
        try:
            application = services.application_submit(
                actor=actor,
                programme=form.cleaned_data["programme"],
                household=household,
                channel=ApplicationChannel.COUNTER,
                applicant=applicant,
                description=form.cleaned_data["description"],
            )
        except NotFound:
            raise
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                _("Application %(case)s filed.") % {"case": application.case_number},
            )
            return redirect("assistance:case", application.case_number)
    elif request.method == "POST" and not request.POST.get("household"):
        messages.error(request, _("Choose the household first."))
    return page(
        request,
        "assistance/casework/new.html",
        {"form": form, "query": query, "choices": choices, "casework": True},
    )
