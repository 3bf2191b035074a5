"""Reads of the resident portal (码上办): a resident's household, drafts and applications.

Everything here is scoped to the resident's own current household (or the applications
they filed), through `application_scope`; another household's case is NotFound. What a
resident reads of a case is resident-safe: the steps with their dates and the office that
took them (never a staff member's name, never an internal note). The public status of a
case number (`application_public_status`) is a status label only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from minzheng.common.errors import ApplicationError, Conflict, NotFound, PermissionRefused
from minzheng.domains.assistance.models.authorisation import ApplicationDraft
from minzheng.domains.assistance.models.casework import (
    OPEN_STATES,
    ApplicationState,
    ApprovalLevel,
    AssistanceApplication,
    Programme,
)
from minzheng.domains.assistance.selectors.casework import application_get, application_list
from minzheng.kernel.accounts.models import UserKind
from minzheng.kernel.documents.hooks import PublicCaseStatus
from minzheng.kernel.documents.rendering import site_url
from minzheng.kernel.people.models import Household, Membership, Person
from minzheng.kernel.people.selectors import resident_household
from minzheng.kernel.workflow import selectors as workflow_selectors

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

__all__ = [
    "ADULT_AGE",
    "AUTHORISATION_DOCUMENT",
    "PORTAL_PROGRAMMES",
    "ResidentStep",
    "abandoned_drafts",
    "adult_members",
    "application_public_status",
    "application_status_url",
    "draft_get",
    "draft_list",
    "draft_removal_date",
    "draft_retention_days",
    "household_open_application",
    "portal_programmes",
    "required_uploads",
    "resident_application_get",
    "resident_application_list",
    "resident_next_step",
    "resident_timeline",
    "withdraw_refusal",
]

# Programmes a resident may apply for online in this first version of 码上办.
PORTAL_PROGRAMMES = ("dibao", "temporary")
# The required document the online authorisation stands for (seeded in 0004).
AUTHORISATION_DOCUMENT = "家庭经济状况核对授权书"
ADULT_AGE = 18
S = ApplicationState


def portal_programmes() -> list[Programme]:
    """The programmes offered in the portal, in the catalogue's order."""
    return list(Programme.objects.filter(code__in=PORTAL_PROGRAMMES, is_active=True))


def household_open_application(
    *, household: Household, programme: Programme
) -> AssistanceApplication | None:
    """The household's open application for the programme, if any (one at a time)."""
    return AssistanceApplication.objects.filter(
        household=household, programme=programme, state__in=OPEN_STATES
    ).first()


def adult_members(*, household: Household, today: dt.date | None = None) -> list[Person]:
    """Current members aged 18 or more: each authorises the economic-status verification."""
    today = today or timezone.localdate()
    members = (
        Membership.objects.filter(household=household, end_date__isnull=True)
        .select_related("person")
        .order_by("start_date", "id")
    )
    return [m.person for m in members if m.person.age_on(today) >= ADULT_AGE]


def required_uploads(programme: Programme) -> list[str]:
    """The programme's required documents a resident uploads (the authorisation is signed)."""
    return [d for d in programme.required_documents if d != AUTHORISATION_DOCUMENT]


def draft_list(*, household: Household) -> list[ApplicationDraft]:
    """The unsubmitted drafts of a household (the resident's own, from resident_household)."""
    return list(
        ApplicationDraft.objects.filter(household=household, application__isnull=True)
        .select_related("programme")
        .order_by("-id")
    )


def draft_retention_days() -> int:
    """Days an unsubmitted draft is kept after its last change (ASSISTANCE_DRAFT_RETENTION_DAYS)."""
    return int(settings.ASSISTANCE_DRAFT_RETENTION_DAYS)


def draft_removal_date(draft: ApplicationDraft) -> dt.date:
    """The day an unsubmitted draft left as it is would be removed by the nightly clean-up."""
    return timezone.localdate(draft.updated_at) + dt.timedelta(days=draft_retention_days())


def abandoned_drafts(*, changed_before: dt.datetime) -> QuerySet[ApplicationDraft]:
    """Unsubmitted drafts whose last change is older than `changed_before` (for the clean-up).

    Served by the partial index `draft_unsubmitted_updated` (unsubmitted rows only).
    """
    return ApplicationDraft.objects.filter(application__isnull=True, updated_at__lt=changed_before)


def draft_get(*, actor: User, token: str | UUID) -> ApplicationDraft:
    """A draft of the resident's current household; NotFound for anyone else's."""
    household = resident_household(resident=actor)
    draft = (
        ApplicationDraft.objects.filter(token=token, household=household)
        .select_related("programme", "household__region")
        .first()
        if household is not None
        else None
    )
    if draft is None:
        raise NotFound(_("No such application draft."), code="draft_not_found")
    return draft


def resident_application_list(*, actor: User) -> list[AssistanceApplication]:
    """The applications of the resident's household (and those they filed), newest first."""
    if getattr(actor, "kind", None) != UserKind.RESIDENT:
        return []
    return list(application_list(actor=actor))


def resident_application_get(*, actor: User, application_id: int) -> AssistanceApplication:
    """One application of the resident's household; NotFound for another household's."""
    if getattr(actor, "kind", None) != UserKind.RESIDENT:
        raise NotFound(_("No such application."), code="application_not_found")
    return application_get(actor=actor, application_id=application_id)


def resident_next_step(application: AssistanceApplication) -> str:
    """What happens next, in plain words for the resident."""
    programme = application.programme
    if application.state == S.TOWN_REVIEWED and not programme.requires_notice:
        return _("The application is waiting for the decision.")
    if application.state == S.NOTICE and application.notice_ends_on:
        return _(
            "The result is on public notice until %(date)s; the decision is made after that."
        ) % {"date": application.notice_ends_on.isoformat()}
    steps = {
        S.SUBMITTED: _(
            "The civil-affairs office of your town checks your documents and accepts the "
            "application."
        ),
        S.RETURNED: _("Documents are missing: upload them and send the application again."),
        S.ACCEPTED: _("Staff will visit your household to learn about its situation."),
        S.INVESTIGATED: _(
            "Your household's income and property are being checked with other departments."
        ),
        S.VERIFIED: _("The civil-affairs office of your town is reviewing the application."),
        S.APPRAISED: _("The civil-affairs office of your town is reviewing the application."),
        S.TOWN_REVIEWED: _("The result will be put on public notice in your village or community."),
        S.NOTICE: _("The result is on public notice; the decision is made after that."),
        S.APPROVED: _("Approved. The assistance will be paid to your household's account."),
        S.ENROLLED: _("Approved. Your household receives the assistance."),
        S.REFUSED: _(
            "Not approved. The reason is shown below; you may ask for an administrative review."
        ),
        S.WITHDRAWN: _("The application was withdrawn."),
    }
    return str(steps.get(S(application.state), ""))


def withdraw_refusal(*, actor: User, application: AssistanceApplication) -> ApplicationError | None:
    """Why the resident may not withdraw the application now, or None when they may.

    The casework model decides: the `withdraw` transition is open from the open states
    (submitted, returned, in progress) and, for a resident, only to the one who filed it.
    Another member of the household sees the application but cannot withdraw it.
    """
    if application.state == S.WITHDRAWN:
        since = application.state_changed_at or timezone.now()
        return Conflict(
            _("This application was withdrawn on %(date)s: there is nothing more to do.")
            % {"date": timezone.localdate(since).isoformat()},
            code="already_withdrawn",
        )
    if not can_proceed(application.withdraw):
        return Conflict(
            _(
                "This application can no longer be withdrawn: it is “%(state)s”. If your "
                "household's situation has changed, tell the civil-affairs office of your town."
            )
            % {"state": application.get_state_display()},
            code="withdraw_not_allowed",
        )
    if getattr(actor, "kind", None) != UserKind.RESIDENT or not has_transition_perm(
        application.withdraw, actor
    ):
        return PermissionRefused(
            _("Only the member of your household who submitted this application can withdraw it."),
            code="withdraw_denied",
        )
    return None


@dataclass(frozen=True)
class ResidentStep:
    """One step of a case as the resident sees it: what, when, and which office."""

    label: str
    on: dt.date
    office: str
    detail: str = ""


def _office(
    application: AssistanceApplication, transition: str, step_actor: User | None, reader: User
) -> str:
    """Who took a step, as the resident may read it: "you", "the applicant" or an office."""
    if step_actor is not None and step_actor.kind == UserKind.RESIDENT:
        return _("You") if step_actor.pk == reader.pk else _("The applicant")
    if transition in ("approve", "approve_emergency", "refuse", "enrol"):
        if application.programme.approval_level == ApprovalLevel.TOWN:
            return _("Civil-affairs office of the town")
        return _("County civil-affairs bureau")
    return _("Civil-affairs office of the town")


def _step_label(transition: str) -> str:
    labels = {
        "submit": _("Application submitted"),
        "return_for_documents": _("Returned: documents missing"),
        "resubmit": _("Documents sent again"),
        "accept": _("Application accepted"),
        "investigate": _("Household visited"),
        "verify": _("Income and property checked"),
        "appraise": _("Democratic appraisal held"),
        "town_review": _("Reviewed by the town"),
        "publish_notice": _("Public notice started"),
        "approve": _("Approved"),
        "approve_emergency": _("Approved: emergency help paid first"),
        "enrol": _("Assistance started"),
        "refuse": _("Not approved"),
        "withdraw": _("Application withdrawn"),
        "document": _("Emergency case documented"),
    }
    return str(labels.get(transition, ""))


def resident_timeline(*, actor: User, application: AssistanceApplication) -> list[ResidentStep]:
    """The case's steps for the resident: dates and offices, no names and no internal notes.

    Internal steps (objections, extra reviews) are left out; the missing documents of a
    return and the reason of a refusal are shown, because the applicant must be told them.
    """
    application = resident_application_get(actor=actor, application_id=application.pk)
    result = []
    for step in workflow_selectors.case_timeline(case=application).order_by("at", "id"):
        transition = step.transition
        label = _step_label(transition)
        if not label:
            continue
        detail = ""
        if transition == "return_for_documents":
            detail = "、".join(str(d) for d in step.payload.get("missing", []))
        elif transition == "refuse":
            detail = application.decision_reason
        result.append(
            ResidentStep(
                label=label,
                on=timezone.localdate(step.at),
                office=_office(application, transition, step.actor, actor),
                detail=detail,
            )
        )
    return result


def application_status_url(application: AssistanceApplication) -> str:
    """The absolute address of the public status page of the application's case number."""
    query = urlencode({"case_number": application.case_number})
    return f"{site_url()}{reverse('documents:lookup')}?{query}"


def application_public_status(case_number: str) -> PublicCaseStatus | None:
    """Case-status resolver for the documents kernel: the state label only, nothing personal."""
    application = (
        AssistanceApplication.objects.filter(case_number=case_number)
        .select_related("programme")
        .first()
    )
    if application is None:
        return None
    since = (
        timezone.localdate(application.state_changed_at)
        if application.state_changed_at
        else application.submitted_on
    )
    return PublicCaseStatus(
        case_number=application.case_number,
        status=str(application.get_state_display()),
        title=_("Application for %(programme)s") % {"programme": application.programme.name},
        since=since,
    )
