"""Writes of assistance casework: filing, each step of the procedure, the decision, enrolment,
public-notice objections, the close-relatives register.

Every state change goes through the kernel's `transition_apply` (row lock, state table,
permission, maker-checker, reason, case step, task, audit event); the rows a step adds
(visit record, objection, enrolment) are written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from minzheng.domains.assistance.models.casework import (
    OPEN_STATES,
    ApplicationChannel,
    AssistanceApplication,
    Enrolment,
    NoticeObjection,
    Programme,
    RelativeRegistration,
    RelativeRelation,
    VisitRecord,
)
from minzheng.domains.assistance.services.payee import payee_default
from minzheng.kernel.accounts.models import Role, UserKind
from minzheng.kernel.accounts.permissions import Perm, grants, has_perm, scope_paths
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.people.models import Household, Membership, Person
from minzheng.kernel.regions.models import Region, RegionLevel
from minzheng.kernel.verification.models import ReportPurpose, VerificationReport
from minzheng.kernel.workflow import calendar
from minzheng.kernel.workflow.services import case_number_next, case_open, transition_apply

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

__all__ = [
    "application_accept",
    "application_appraise",
    "application_approve",
    "application_approve_emergency",
    "application_document",
    "application_extra_review",
    "application_investigate",
    "application_publish_notice",
    "application_refuse",
    "application_resubmit",
    "application_return",
    "application_submit",
    "application_town_review",
    "application_verify",
    "application_withdraw",
    "enrolment_restore",
    "enrolment_stop",
    "enrolment_suspend",
    "household_conflicts",
    "objection_record",
    "objection_resolve",
    "relative_register",
    "relative_register_end",
]

CENT = Decimal("0.01")
PURPOSES = {
    "dibao": ReportPurpose.DIBAO,
    "marginal": ReportPurpose.MARGINAL,
    "tekun": ReportPurpose.EXTREME_POVERTY,
    "temporary": ReportPurpose.TEMPORARY,
}
DEFAULT_DOCUMENTATION_DAYS = 10


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def town_of(region: Region) -> Region:
    """The town (镇/街道) a region lies in (the region itself if it is a town)."""
    parts = region.path.strip("/").split("/")
    if len(parts) < 3:
        raise ValidationFailed(
            _("The household's region lies in no town."), field="household", code="no_town"
        )
    if region.level == RegionLevel.TOWN:
        return region
    return Region.objects.get(code=parts[2])


def _current_member_ids(household: Household) -> set[int]:
    return set(
        Membership.objects.filter(household=household, end_date__isnull=True).values_list(
            "person_id", flat=True
        )
    )


def household_conflicts(*, household: Household) -> list[RelativeRegistration]:
    """Active close-relative registrations of any current member of the household."""
    return list(
        RelativeRegistration.objects.active()
        .filter(relative_id__in=_current_member_ids(household))
        .select_related("staff", "relative")
    )


def _conflict_note(registrations: Sequence[RelativeRegistration]) -> str:
    names = sorted({str(r.staff or r.cadre_name) for r in registrations})
    return (_("Close relative of: %(names)s") % {"names": "、".join(names)})[:300]


def _filing_region(actor: User, household_town: Region, filed_region: Region | None) -> Region:
    """Where a counter filing is made: the given town, or the actor's (first) town."""
    if filed_region is not None:
        if not has_perm(actor, Perm.ASSISTANCE_FILE, filed_region):
            raise PermissionRefused(
                _("You may not file applications at %(town)s.") % {"town": filed_region.name},
                code="file_denied",
            )
        return town_of(filed_region)
    if has_perm(actor, Perm.ASSISTANCE_FILE, household_town):
        return household_town
    paths = scope_paths(actor, Perm.ASSISTANCE_FILE)
    if not paths:
        raise PermissionRefused(_("You may not file applications."), code="file_denied")
    return town_of(Region.objects.get(path=paths[0]))


def application_submit(
    *,
    actor: User,
    programme: Programme,
    household: Household,
    channel: str,
    applicant: Person | None = None,
    description: str = "",
    documents: Iterable[str] = (),
    filed_region: Region | None = None,
    today: dt.date | None = None,
) -> AssistanceApplication:
    """File an application of `household` for `programme`.

    - online: a resident for their own current household (they are the applicant);
    - counter: a town clerk, at their town — for a household of another town too
      (异地申请): the case is routed to the household's own town, which handles it;
    - discovered: a grid or village worker for a household of their grid or village.
    One open application per household and programme. A household holding a registered
    close relative of staff or a village cadre is flagged for an extra review.
    """
    today = _today(today)
    if not programme.is_active:
        raise ValidationFailed(_("This programme takes no applications."), field="programme")
    if channel not in ApplicationChannel.values:
        raise ValidationFailed(_("Choose how the application is filed."), field="channel")
    household = Household.objects.select_related("region").get(pk=household.pk)
    town = town_of(household.region)
    members = _current_member_ids(household)
    if channel == ApplicationChannel.ONLINE:
        if actor.kind != UserKind.RESIDENT or actor.person_id not in members:
            raise PermissionRefused(
                _("Residents apply online for their own household only."), code="file_denied"
            )
        applicant = actor.person
        filed = town
    elif actor.kind == UserKind.RESIDENT:
        raise PermissionRefused(_("Residents apply online."), code="file_denied")
    elif channel == ApplicationChannel.DISCOVERED:
        if not has_perm(actor, Perm.ASSISTANCE_FILE, household.region):
            raise PermissionRefused(
                _("You may file discovered cases only for households of your grid or village."),
                code="file_denied",
            )
        filed = town
    else:
        filed = _filing_region(actor, town, filed_region)
    if applicant is None or applicant.pk not in members:
        raise ValidationFailed(
            _("The applicant must be a current member of the household."), field="applicant"
        )
    with transaction.atomic():
        Household.objects.select_for_update().filter(pk=household.pk).first()  # serialise filings
        if AssistanceApplication.objects.filter(
            household=household, programme=programme, state__in=OPEN_STATES
        ).exists():
            raise Conflict(
                _("The household already has an open application for this programme."),
                code="application_open",
            )
        if Enrolment.objects.filter(
            household=household, programme=programme, state__in=["active", "suspended"]
        ).exists():
            raise Conflict(
                _("The household is already enrolled in this programme."), code="already_enrolled"
            )
        conflicts = household_conflicts(household=household)
        prefix = f"JX-{household.region.county_code}-{today:%Y%m}"
        application = AssistanceApplication.objects.create(
            case_number=case_number_next(prefix=prefix),
            programme=programme,
            household=household,
            applicant=applicant,
            channel=channel,
            region=town,
            filed_region=filed,
            submitted_by=actor,
            submitted_on=today,
            description=description.strip(),
            documents_received=sorted(set(documents)),
            conflict_flag=bool(conflicts),
            conflict_note=_conflict_note(conflicts) if conflicts else "",
        )
        case_open(
            actor=actor,
            case=application,
            payload={
                "programme": programme.code,
                "household": household.pk,
                "channel": channel,
                "filed_at": filed.code,
                "routed_to": town.code,
                "conflict_flag": bool(conflicts),
            },
        )
    return application


def application_accept(
    *,
    actor: User,
    application: AssistanceApplication,
    documents: Iterable[str] = (),
    note: str = "",
) -> AssistanceApplication:
    """Accept a complete application (受理); the required documents must all be in."""
    return transition_apply(
        actor=actor,
        case=application,
        transition="accept",
        note=note,
        documents=list(documents),
    )


def application_return(
    *, actor: User, application: AssistanceApplication, missing: Sequence[str], reason: str
) -> AssistanceApplication:
    """Return an incomplete application, listing at once every missing document (一次性告知)."""
    return transition_apply(
        actor=actor,
        case=application,
        transition="return_for_documents",
        reason=reason,
        missing=list(missing),
    )


def application_resubmit(
    *, actor: User, application: AssistanceApplication, documents: Iterable[str] = ()
) -> AssistanceApplication:
    return transition_apply(
        actor=actor, case=application, transition="resubmit", documents=list(documents)
    )


# Who goes on a household visit besides the town's staff: the household's frontline worker.
VISIT_FRONTLINE_ROLES = frozenset({Role.VILLAGE_WORKER, Role.GRID_WORKER})


def _processes(signer: User, application: AssistanceApplication) -> bool:
    """Town staff who process the case (its handling town's clerk or reviewer)."""
    return has_perm(signer, Perm.ASSISTANCE_PROCESS, application.region)


def _frontline_of(signer: User, application: AssistanceApplication) -> bool:
    """The village (or grid) worker of the village (or grid) the household lives in."""
    household_path = application.household.region.path
    return any(
        role in VISIT_FRONTLINE_ROLES and household_path.startswith(path)
        for role, path in grants(signer)
    )


def _check_signers(application: AssistanceApplication, signers: Sequence[User]) -> None:
    """Two distinct staff who may act on the case sign a visit: town staff processing it and,
    with them, a colleague or the household's village (or grid) worker, who went along.

    A signer whose registered close relative lives in the household stands aside.
    """
    if len(signers) != 2 or signers[0].pk == signers[1].pk:
        raise ValidationFailed(
            _("A household visit is signed by two different staff members."),
            field="signers",
            code="visit_signers_not_distinct",
        )
    for signer in signers:
        if signer.kind != UserKind.STAFF or not (
            _processes(signer, application) or _frontline_of(signer, application)
        ):
            raise ValidationFailed(
                _(
                    "%(name)s may not sign this visit: only staff of %(town)s and the household's "
                    "village or grid worker sign it."
                )
                % {"name": signer, "town": application.region.name},
                field="signers",
                code="visit_signer_not_allowed",
            )
    if not any(_processes(signer, application) for signer in signers):
        raise ValidationFailed(
            _("One signer of the visit must be staff of %(town)s, which handles the case.")
            % {"town": application.region.name},
            field="signers",
            code="visit_signer_no_town_staff",
        )
    related = {
        registration.staff_id
        for registration in household_conflicts(household=application.household)
    }
    for signer in signers:
        if signer.pk in related:
            raise ValidationFailed(
                _(
                    "%(name)s has a registered close relative in this household (近亲属备案) and "
                    "may not sign its visit."
                )
                % {"name": signer},
                field="signers",
                code="visit_signer_recusal",
            )


def _visit(
    *,
    actor: User,
    application: AssistanceApplication,
    visited_on: dt.date,
    findings: str,
    signers: Sequence[User],
    attachments: Sequence[Any],
) -> VisitRecord:
    _check_signers(application, signers)
    if not findings.strip():
        raise ValidationFailed(_("Record what the visit found."), field="findings")
    if visited_on > timezone.localdate():
        raise ValidationFailed(_("The visit date lies in the future."), field="visited_on")
    return VisitRecord.objects.create(
        application=application,
        visited_on=visited_on,
        findings=findings.strip(),
        first_signer=signers[0],
        second_signer=signers[1],
        attachments=list(attachments),
        recorded_by=actor,
    )


def application_investigate(
    *,
    actor: User,
    application: AssistanceApplication,
    visited_on: dt.date,
    findings: str,
    signers: Sequence[User],
    attachments: Sequence[Any] = (),
    note: str = "",
) -> AssistanceApplication:
    """Record the household investigation (入户调查), signed by two distinct staff: town staff
    processing the case and a colleague or the household's village (or grid) worker."""
    with transaction.atomic():
        application = transition_apply(
            actor=actor,
            case=application,
            transition="investigate",
            note=note,
            payload={"visited_on": visited_on.isoformat(), "signers": [s.pk for s in signers]},
        )
        _visit(
            actor=actor,
            application=application,
            visited_on=visited_on,
            findings=findings,
            signers=signers,
            attachments=attachments,
        )
    return application


def _report(
    actor: User, application: AssistanceApplication, report: VerificationReport | None
) -> VerificationReport:
    if report is not None:
        return report
    from minzheng.kernel.verification.services import verification_report_create

    return verification_report_create(
        actor=actor,
        household=application.household,
        purpose=PURPOSES.get(application.programme.rules_key, ReportPurpose.OTHER),
        note=application.case_number,
    )


def application_verify(
    *,
    actor: User,
    application: AssistanceApplication,
    report: VerificationReport | None = None,
    note: str = "",
) -> AssistanceApplication:
    """Attach the household's economic verification report (a new one unless given)."""
    with transaction.atomic():
        return transition_apply(
            actor=actor,
            case=application,
            transition="verify",
            note=note,
            report=_report(actor, application, report),
        )


def application_appraise(
    *, actor: User, application: AssistanceApplication, minutes: str, outcome: str
) -> AssistanceApplication:
    """Record the democratic appraisal (民主评议), for programmes that require it."""
    return transition_apply(
        actor=actor, case=application, transition="appraise", minutes=minutes, outcome=outcome
    )


def application_town_review(
    *,
    actor: User,
    application: AssistanceApplication,
    recommendation: str,
    proposed_amount: Decimal | None = None,
    note: str = "",
) -> AssistanceApplication:
    """The town's review: it prepares the decision, so its actor may not approve it."""
    return transition_apply(
        actor=actor,
        case=application,
        transition="town_review",
        note=note,
        recommendation=recommendation,
        proposed_amount=proposed_amount,
    )


def application_publish_notice(
    *, actor: User, application: AssistanceApplication, today: dt.date | None = None
) -> AssistanceApplication:
    """Start the public notice (公示, the programme's days, 7 by default)."""
    return transition_apply(
        actor=actor, case=application, transition="publish_notice", today=_today(today)
    )


def objection_record(
    *,
    actor: User,
    application: AssistanceApplication,
    content: str,
    raised_by: str = "",
    raised_on: dt.date | None = None,
) -> NoticeObjection:
    """Record an objection to a case on public notice; it blocks approval until resolved."""
    if not content.strip():
        raise ValidationFailed(_("Record what the objection says."), field="content")
    with transaction.atomic():
        application = transition_apply(actor=actor, case=application, transition="record_objection")
        objection = NoticeObjection.objects.create(
            application=application,
            raised_on=_today(raised_on),
            raised_by=raised_by.strip()[:100],
            content=content.strip(),
            recorded_by=actor,
        )
    return objection


def objection_resolve(
    *, actor: User, objection: NoticeObjection, resolution: str, upheld: bool
) -> NoticeObjection:
    """Resolve an objection after checking it; an upheld one leaves only a refusal."""
    with transaction.atomic():
        locked = NoticeObjection.objects.select_for_update().get(pk=objection.pk)
        if locked.resolved_at is not None:
            raise Conflict(_("This objection is already resolved."), code="objection_resolved")
        transition_apply(
            actor=actor,
            case=locked.application,
            transition="resolve_objection",
            reason=resolution,
            payload={"objection": locked.pk, "upheld": upheld},
        )
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor
        locked.resolution = resolution.strip()
        locked.upheld = upheld
        locked.save(update_fields=["resolved_at", "resolved_by", "resolution", "upheld"])
    return locked


def application_extra_review(
    *, actor: User, application: AssistanceApplication, reason: str
) -> AssistanceApplication:
    """The extra review of a household holding a registered close relative (conflict)."""
    return transition_apply(actor=actor, case=application, transition="extra_review", reason=reason)


def _assessment(application: AssistanceApplication, on: dt.date) -> dict[str, Any]:
    from minzheng.domains.assistance.assess import household_assess_unscoped

    return household_assess_unscoped(household_id=application.household_id, on=on)


def _amounts(
    application: AssistanceApplication, on: dt.date
) -> tuple[Decimal, Decimal, dict[str, Any]]:
    """(monthly, one-off, assessment): from the rules where the programme has them."""
    programme = application.programme
    if not programme.rules_key:
        amount = application.proposed_amount
        return (amount, Decimal("0"), {}) if programme.recurring else (Decimal("0"), amount, {})
    result = _assessment(application, on)
    outcome = result["programmes"].get(programme.rules_key, {})
    if programme.recurring and not outcome.get("eligible"):
        raise Conflict(
            _(
                "The rules in force find the household not eligible for %(programme)s: refuse "
                "the application or verify the household again."
            )
            % {"programme": programme.name},
            code="not_eligible",
        )
    monthly = Decimal(str(outcome.get("monthly_amount") or 0)).quantize(CENT)
    one_off = Decimal(str(outcome.get("one_off_amount") or 0)).quantize(CENT)
    if not programme.recurring:
        one_off = one_off or application.proposed_amount
        monthly = Decimal("0")
    summary = {
        "date": result.get("date"),
        "dibao_standard": result.get("dibao_standard"),
        "eligible": outcome.get("eligible"),
        "monthly_amount": outcome.get("monthly_amount"),
        "basis": result.get("basis"),
    }
    return monthly, one_off, summary


def _month_after(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _enrol(
    *,
    actor: User,
    application: AssistanceApplication,
    monthly: Decimal,
    one_off: Decimal,
    start_month: dt.date,
    assessment: dict[str, Any],
    covered: Sequence[int] | None,
) -> Enrolment:
    application = transition_apply(actor=actor, case=application, transition="enrol")
    members = _current_member_ids(application.household)
    covered_ids = sorted(members if covered is None else set(covered) & members)
    enrolment = Enrolment.objects.create(
        case_number=application.case_number,
        application=application,
        programme=application.programme,
        household=application.household,
        region=application.region,
        county=application.region.county_code,
        covered_count=len(covered_ids),
        monthly_amount=monthly,
        one_off_amount=one_off,
        start_month=start_month,
        end_month=None if application.programme.recurring else start_month,
        assessment=assessment,
        payee_account=payee_default(application.household),
    )
    enrolment.members_covered.set(covered_ids)
    case_open(
        actor=actor,
        case=enrolment,
        transition="start",
        payload={
            "monthly_amount": str(monthly),
            "one_off_amount": str(one_off),
            "start_month": start_month.isoformat(),
            "covered": covered_ids,
        },
    )
    return enrolment


def application_approve(
    *,
    actor: User,
    application: AssistanceApplication,
    note: str = "",
    today: dt.date | None = None,
    covered_person_ids: Sequence[int] | None = None,
) -> Enrolment:
    """Approve after the public notice and enrol the household, in one transaction.

    The amount comes from the rules in force (the household's latest verification report)
    for programmes with rules, else from the town's proposal. Monthly payment starts the
    month after approval. Refused for the preparer of the town review (maker-checker), while
    an objection is open or was upheld, before the notice ends, and for a flagged household
    without its extra review.
    """
    today = _today(today)
    computed: dict[str, Any] = {}

    def amounts() -> tuple[Decimal, Decimal]:
        # Run by the transition after every check passed, on the locked row.
        monthly, one_off, computed["assessment"] = _amounts(application, today)
        return monthly, one_off

    with transaction.atomic():
        application = transition_apply(
            actor=actor,
            case=application,
            transition="approve",
            note=note,
            today=today,
            amounts=amounts,
        )
        start = _month_after(today) if application.programme.recurring else today.replace(day=1)
        return _enrol(
            actor=actor,
            application=application,
            monthly=application.approved_amount,
            one_off=application.approved_one_off,
            start_month=start,
            assessment=computed.get("assessment", {}),
            covered=covered_person_ids,
        )


def application_approve_emergency(
    *,
    actor: User,
    application: AssistanceApplication,
    amount: Decimal,
    reason: str,
    today: dt.date | None = None,
) -> Enrolment:
    """先行救助: approve and pay an emergency case first; the visit record and verification
    report are due within the programme's "document" working days and appear on the
    town clerk's worklist until recorded (application_document)."""
    today = _today(today)
    days = application.programme.deadline("document") or DEFAULT_DOCUMENTATION_DAYS
    with transaction.atomic():
        application = transition_apply(
            actor=actor,
            case=application,
            transition="approve_emergency",
            reason=reason,
            today=today,
            one_off_amount=Decimal(amount).quantize(CENT),
            documentation_due=calendar.add_working_days(today, days),
        )
        return _enrol(
            actor=actor,
            application=application,
            monthly=Decimal("0"),
            one_off=application.approved_one_off,
            start_month=today.replace(day=1),
            assessment={},
            covered=None,
        )


def application_document(
    *,
    actor: User,
    application: AssistanceApplication,
    visited_on: dt.date,
    findings: str,
    signers: Sequence[User],
    report: VerificationReport | None = None,
    attachments: Sequence[Any] = (),
) -> AssistanceApplication:
    """Complete the documentation of an emergency case paid first: visit and verification."""
    with transaction.atomic():
        application = transition_apply(
            actor=actor,
            case=application,
            transition="document",
            payload={"visited_on": visited_on.isoformat(), "signers": [s.pk for s in signers]},
            report=_report(actor, application, report),
        )
        _visit(
            actor=actor,
            application=application,
            visited_on=visited_on,
            findings=findings,
            signers=signers,
            attachments=attachments,
        )
    return application


def application_refuse(
    *,
    actor: User,
    application: AssistanceApplication,
    reason: str,
    today: dt.date | None = None,
) -> AssistanceApplication:
    """Refuse with a written reason (it goes on the refusal notice)."""
    return transition_apply(
        actor=actor,
        case=application,
        transition="refuse",
        reason=reason,
        today=_today(today),
        decision_reason=(reason or "").strip(),
    )


def application_withdraw(
    *, actor: User, application: AssistanceApplication, reason: str = ""
) -> AssistanceApplication:
    """The applicant withdraws (online, or in writing at the counter)."""
    return transition_apply(actor=actor, case=application, transition="withdraw", reason=reason)


def enrolment_suspend(*, actor: User, enrolment: Enrolment, reason: str) -> Enrolment:
    return transition_apply(actor=actor, case=enrolment, transition="suspend", reason=reason)


def enrolment_restore(*, actor: User, enrolment: Enrolment, reason: str) -> Enrolment:
    return transition_apply(actor=actor, case=enrolment, transition="restore", reason=reason)


def enrolment_stop(
    *,
    actor: User,
    enrolment: Enrolment,
    reason: str,
    end_month: dt.date,
    graduated_exit_months: int = 0,
) -> Enrolment:
    """Stop paying after `end_month`, or after a graduated exit of that many months."""
    if graduated_exit_months < 0 or graduated_exit_months > 12:
        raise ValidationFailed(
            _("A graduated exit lasts 0 to 12 months."), field="graduated_exit_months"
        )
    return transition_apply(
        actor=actor,
        case=enrolment,
        transition="stop",
        reason=reason,
        end_month=end_month,
        exit_reason=(reason or "").strip()[:300],
        graduated_exit_months=graduated_exit_months,
    )


def relative_register(
    *,
    actor: User,
    region: Region,
    relative: Person,
    relation: str,
    staff: User | None = None,
    cadre_name: str = "",
    cadre_post: str = "",
) -> RelativeRegistration:
    """Register a close relative of a staff member or a village cadre (近亲属备案).

    Open applications of the relative's household are flagged at once.
    """
    if not has_perm(actor, Perm.ASSISTANCE_RELATIVES, region):
        raise PermissionRefused(
            _("You may not keep the close-relatives register of %(region)s.")
            % {"region": region.name},
            code="relatives_denied",
        )
    if relation not in RelativeRelation.values:
        raise ValidationFailed(_("Choose the relation."), field="relation")
    cadre_name = cadre_name.strip()
    if (staff is None) == (not cadre_name):
        raise ValidationFailed(
            _("Name either the staff member or the village cadre."), field="staff"
        )
    with transaction.atomic():
        registration = RelativeRegistration.objects.create(
            staff=staff,
            cadre_name=cadre_name[:50],
            cadre_post=cadre_post.strip()[:50],
            region=region,
            relative=relative,
            relation=relation,
            recorded_by=actor,
        )
        households = Membership.objects.filter(person=relative, end_date__isnull=True).values(
            "household_id"
        )
        flagged = list(
            AssistanceApplication.objects.filter(
                household_id__in=households, state__in=OPEN_STATES, conflict_flag=False
            ).values_list("pk", flat=True)
        )
        note = _conflict_note([registration])
        # A flag, not a state: set on the rows directly, recorded in the audit event.
        AssistanceApplication.objects.filter(pk__in=flagged).update(
            conflict_flag=True, conflict_note=note
        )
        audit_record(
            actor=actor,
            action="assistance.relative.register",
            obj=registration,
            region_code=region.code,
            changes={
                "staff": staff.pk if staff else None,
                "cadre_name": cadre_name,
                "relative": relative.pk,
                "relation": relation,
                "flagged_applications": flagged,
            },
        )
    return registration


def relative_register_end(
    *, actor: User, registration: RelativeRegistration, ended_on: dt.date, reason: str
) -> RelativeRegistration:
    if not has_perm(actor, Perm.ASSISTANCE_RELATIVES, registration.region):
        raise NotFound(_("No such registration in your regions."))
    if not reason.strip():
        raise ValidationFailed(_("Give a written reason for this step."), field="reason")
    with transaction.atomic():
        locked = RelativeRegistration.objects.select_for_update().get(pk=registration.pk)
        if locked.ended_on is not None:
            raise Conflict(_("This registration has already ended."))
        locked.ended_on = ended_on
        locked.save(update_fields=["ended_on", "updated_at"])
        audit_record(
            actor=actor,
            action="assistance.relative.end",
            obj=locked,
            region_code=locked.region.code,
            changes={"ended_on": ended_on},
            reason=reason.strip(),
        )
    return locked
