"""Resident portal (码上办): apply online step by step, and follow an application.

Steps of an application, each saved as it is left: choose the programme → the household's
situation → documents → the members' verification authorisation → review and submit.
The resident who filed an open application may withdraw it from its progress page (a
confirmation page, then a POST). The pages only validate forms and call the assistance
domain's portal services and selectors; a refusal is shown as the service words it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from minzheng.common.errors import ApplicationError, NotFound
from minzheng.common.masking import mask_name
from minzheng.domains.assistance.models import ApplicationDraft, AssistanceApplication
from minzheng.domains.assistance.selectors.portal import (
    adult_members,
    application_status_url,
    draft_get,
    draft_removal_date,
    draft_retention_days,
    portal_programmes,
    required_uploads,
    resident_application_get,
    resident_next_step,
    resident_timeline,
    withdraw_refusal,
)
from minzheng.domains.assistance.services.portal import (
    application_resubmit_online,
    application_withdraw_online,
    authorisation_text,
    draft_attach,
    draft_authorise,
    draft_save_circumstances,
    draft_start,
    draft_submit,
)
from minzheng.kernel.documents.rendering import qr_png_data_uri
from minzheng.kernel.documents.selectors import attachment_list
from minzheng.kernel.people.selectors import resident_household
from minzheng.web.portal.forms import (
    AuthorisationForm,
    CircumstancesForm,
    ResubmitForm,
    UploadForm,
    WithdrawForm,
)
from minzheng.web.portal.views import resident_required

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User


def _resident(request: HttpRequest) -> User:
    return cast("User", request.user)


def _form_error(form: Any, error: ApplicationError) -> None:
    """Show a service's refusal on the form field it names (or above the form)."""
    field = error.field if error.field in getattr(form, "fields", {}) else None
    form.add_error(field, error.message)


def _draft(request: HttpRequest, token: UUID) -> ApplicationDraft:
    try:
        return draft_get(actor=_resident(request), token=token)
    except NotFound:
        raise Http404(_("No such application draft.")) from None


def _draft_context(draft: ApplicationDraft, step: str, **extra: Any) -> dict[str, Any]:
    return {
        "draft": draft,
        "programme": draft.programme,
        "step": step,
        "retention_days": draft_retention_days(),
        "removal_date": draft_removal_date(draft),
        **extra,
    }


# --- choosing a programme -------------------------------------------------------------


@resident_required
@require_http_methods(["GET"])
def apply_choose(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/apply_choose.html",
        {
            "programmes": portal_programmes(),
            "household": resident_household(resident=_resident(request)),
        },
    )


@resident_required
@require_POST
def apply_start(request: HttpRequest, code: str) -> HttpResponse:
    programme = next((p for p in portal_programmes() if p.code == code), None)
    if programme is None:
        raise Http404(_("No such programme."))
    try:
        draft = draft_start(actor=_resident(request), programme=programme)
    except ApplicationError as refusal:
        return render(
            request,
            "portal/apply_choose.html",
            {
                "programmes": portal_programmes(),
                "household": resident_household(resident=_resident(request)),
                "error": refusal.message,
                "open_application": refusal.extra.get("application"),
            },
            status=409 if refusal.status == 409 else 400,
        )
    return redirect("portal:apply_situation", token=draft.token)


# --- the steps of a draft -------------------------------------------------------------


def _submitted(draft: ApplicationDraft) -> HttpResponse | None:
    """A submitted draft's pages lead to the application's progress page."""
    if draft.application_id is not None:
        return redirect("portal:application", application_id=draft.application_id)
    return None


@resident_required
@require_http_methods(["GET", "POST"])
def apply_situation(request: HttpRequest, token: UUID) -> HttpResponse:
    draft = _draft(request, token)
    if (done := _submitted(draft)) is not None:
        return done
    code = draft.programme.code
    if request.method == "POST":
        form = CircumstancesForm(request.POST, programme_code=code)
        if form.is_valid():
            try:
                draft_save_circumstances(
                    actor=_resident(request),
                    draft=draft,
                    circumstances=form.cleaned_data["circumstances"],
                    monthly_income=form.cleaned_data.get("monthly_income"),
                    income_note=form.cleaned_data.get("income_note", ""),
                    temporary_reason=form.cleaned_data.get("temporary_reason", ""),
                )
            except ApplicationError as refusal:
                _form_error(form, refusal)
            else:
                return redirect("portal:apply_documents", token=draft.token)
    else:
        form = CircumstancesForm(
            programme_code=code,
            initial={
                "circumstances": draft.circumstances,
                "monthly_income": draft.monthly_income,
                "income_note": draft.income_note,
                "temporary_reason": draft.temporary_reason,
            },
        )
    household = resident_household(resident=_resident(request))
    members = household.current_memberships if household else []  # type: ignore[attr-defined]
    return render(
        request,
        "portal/apply_situation.html",
        _draft_context(
            draft,
            "situation",
            form=form,
            household=household,
            members=[
                {
                    "name": _member_name(request, m.person),
                    "relation": m.get_relation_display(),
                    "id_number": m.person.id_number_masked,
                }
                for m in members
            ],
        ),
    )


def _member_name(request: HttpRequest, person: Any) -> str:
    """Members' names are masked, except the resident's own."""
    if person.pk == _resident(request).person_id:
        return str(person.name)
    return mask_name(person.name)


@resident_required
@require_http_methods(["GET", "POST"])
def apply_documents(request: HttpRequest, token: UUID) -> HttpResponse:
    draft = _draft(request, token)
    if (done := _submitted(draft)) is not None:
        return done
    documents = required_uploads(draft.programme)
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, documents=documents)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                draft_attach(
                    actor=_resident(request),
                    draft=draft,
                    document=form.cleaned_data["document"],
                    file=upload,
                    file_name=upload.name,
                )
            except ApplicationError as refusal:
                _form_error(form, refusal)
                status = 400
            else:
                return redirect("portal:apply_documents", token=draft.token)
        else:
            status = 400
    else:
        form = UploadForm(documents=documents)
    draft.refresh_from_db()
    attachments = {a.pk: a for a in attachment_list(actor=_resident(request), target=draft)}
    slots = [
        {
            "name": name or _("Other document"),
            "files": [attachments[pk] for pk in ids if pk in attachments],
        }
        for name, ids in draft.uploaded_documents.items()
    ]
    uploaded = {name for name, ids in draft.uploaded_documents.items() if ids}
    return render(
        request,
        "portal/apply_documents.html",
        _draft_context(
            draft,
            "documents",
            form=form,
            slots=slots,
            still_missing=[name for name in documents if name not in uploaded],
        ),
        status=status,
    )


@resident_required
@require_http_methods(["GET", "POST"])
def apply_authorisation(request: HttpRequest, token: UUID) -> HttpResponse:
    draft = _draft(request, token)
    if (done := _submitted(draft)) is not None:
        return done
    adults = adult_members(household=draft.household)
    choices = [(p.pk, _member_name(request, p)) for p in adults]
    signed = set(draft.authorisations.values_list("person_id", flat=True))
    if request.method == "POST":
        form = AuthorisationForm(request.POST, adults=choices)
        if form.is_valid():
            try:
                draft_authorise(
                    actor=_resident(request),
                    draft=draft,
                    person_ids=form.cleaned_data["members"],
                    ip_address=request.META.get("REMOTE_ADDR"),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except ApplicationError as refusal:
                _form_error(form, refusal)
            else:
                return redirect("portal:apply_review", token=draft.token)
    else:
        form = AuthorisationForm(adults=choices, initial={"members": sorted(signed)})
    return render(
        request,
        "portal/apply_authorisation.html",
        _draft_context(
            draft,
            "authorisation",
            form=form,
            text=authorisation_text(household=draft.household, programme=draft.programme),
            adults=[{"pk": pk, "name": name, "signed": pk in signed} for pk, name in choices],
        ),
    )


@resident_required
@require_http_methods(["GET", "POST"])
def apply_review(request: HttpRequest, token: UUID) -> HttpResponse:
    draft = _draft(request, token)
    error = ""
    if request.method == "POST":
        try:
            application = draft_submit(actor=_resident(request), draft=draft)
        except ApplicationError as refusal:
            error = refusal.message
        else:
            return redirect("portal:application", application_id=application.pk)
    elif (done := _submitted(draft)) is not None:
        return done
    adults = adult_members(household=draft.household)
    signed = set(draft.authorisations.values_list("person_id", flat=True))
    uploaded = {name for name, ids in draft.uploaded_documents.items() if ids}
    return render(
        request,
        "portal/apply_review.html",
        _draft_context(
            draft,
            "review",
            error=error,
            file_count=sum(len(ids) for ids in draft.uploaded_documents.values()),
            still_missing=[n for n in required_uploads(draft.programme) if n not in uploaded],
            unsigned=[_member_name(request, p) for p in adults if p.pk not in signed],
        ),
        status=400 if error else 200,
    )


# --- following an application ---------------------------------------------------------


def _application(request: HttpRequest, application_id: int) -> AssistanceApplication:
    try:
        return resident_application_get(actor=_resident(request), application_id=application_id)
    except NotFound:
        raise Http404(_("No such application.")) from None


def _render_application(
    request: HttpRequest,
    application: AssistanceApplication,
    form: ResubmitForm | None = None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    resident = _resident(request)
    status_url = application_status_url(application)
    if form is None and application.state == "returned":
        form = ResubmitForm(missing=list(application.missing_documents))
    return render(
        request,
        "portal/application.html",
        {
            "application": application,
            "next_step": resident_next_step(application),
            "steps": resident_timeline(actor=resident, application=application),
            "attachments": attachment_list(actor=resident, target=application),
            "status_url": status_url,
            "qr_code": qr_png_data_uri(status_url),
            "form": form,
            "may_withdraw": withdraw_refusal(actor=resident, application=application) is None,
            "error": error,
        },
        status=status,
    )


@resident_required
@require_http_methods(["GET"])
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    return _render_application(request, _application(request, application_id))


@resident_required
@require_POST
def application_resubmit(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _application(request, application_id)
    form = ResubmitForm(request.POST, request.FILES, missing=list(application.missing_documents))
    if form.is_valid():
        try:
            application_resubmit_online(
                actor=_resident(request), application=application, files=form.files_to_send()
            )
        except ApplicationError as refusal:
            form.add_error(None, refusal.message)
        else:
            return redirect("portal:application", application_id=application.pk)
    application.refresh_from_db()
    return _render_application(request, application, form=form, status=400)


@resident_required
@require_http_methods(["GET", "POST"])
def application_withdraw(request: HttpRequest, application_id: int) -> HttpResponse:
    """Withdraw the application: GET asks to confirm (with an optional reason), POST does it.

    A second POST (a double click, a reload) withdraws nothing more and says so; a refusal
    (decided already, or filed by another member) is shown on the progress page.
    """
    application = _application(request, application_id)
    progress = redirect("portal:application", application_id=application.pk)
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                application_withdraw_online(
                    actor=_resident(request),
                    application=application,
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as refusal:
                if refusal.code == "already_withdrawn":
                    messages.info(request, refusal.message)
                    return progress
                if refusal.field == "reason":
                    form.add_error("reason", refusal.message)
                else:
                    application.refresh_from_db()
                    return _render_application(
                        request, application, status=refusal.status, error=refusal.message
                    )
            else:
                messages.success(
                    request,
                    _(
                        "Your application has been withdrawn. You can apply again at any time "
                        "if your household needs help."
                    ),
                )
                return progress
    else:
        not_now = withdraw_refusal(actor=_resident(request), application=application)
        if not_now is not None and not_now.code == "already_withdrawn":
            messages.info(request, not_now.message)
            return progress
        if not_now is not None:
            return _render_application(
                request, application, status=not_now.status, error=not_now.message
            )
        form = WithdrawForm()
    return render(
        request,
        "portal/application_withdraw.html",
        {"application": application, "form": form},
        status=200 if not form.errors else 400,
    )
