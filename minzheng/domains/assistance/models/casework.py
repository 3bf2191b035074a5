"""Casework tables: programmes, applications and their state machine, visits, public-notice
objections, the close-relatives register and enrolments.

An application's `state` is a protected django-fsm field: it changes only through
`minzheng.kernel.workflow.services.transition_apply`, called by the services in
`services/casework.py`. The transitions below are the whole state table; their bodies set
fields of the row only, the services write the other tables in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.common.models import TimeStampedModel
from minzheng.kernel.accounts.models import Role
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.workflow.fsm import LABEL, NOT_BY_ACTOR_OF, REASON_REQUIRED, condition
from minzheng.kernel.workflow.models import CaseModel, TaskSpec

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.regions.models import Region

__all__ = [
    "ApplicationChannel",
    "ApplicationState",
    "ApprovalLevel",
    "AssistanceApplication",
    "Enrolment",
    "EnrolmentState",
    "NoticeObjection",
    "Programme",
    "ProgrammeKind",
    "RelativeRegistration",
    "RelativeRelation",
    "VisitRecord",
]


class ProgrammeKind(models.TextChoices):
    BASIC = "basic", _("Basic programme (one of the 8)")
    SOCIAL = "social", _("Programme of a charity or social force (X)")


class ApprovalLevel(models.TextChoices):
    COUNTY = "county", _("County civil-affairs bureau")
    TOWN = "town", _("Town or street (delegated)")


class Programme(TimeStampedModel):
    """One programme of the "1+8+X" system: how its applications are decided.

    `deadlines` maps a step (the action a task waits for: accept, investigate, verify,
    appraise, town_review, publish_notice, approve, document) to working days counted from
    the day the case reached it. `rules_key` names the programme in the rules' assessment
    (dibao, marginal, tekun, temporary); without it the amount is proposed by the town.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80)
    kind = models.CharField(
        _("kind"), max_length=8, choices=ProgrammeKind.choices, default=ProgrammeKind.BASIC
    )
    operator = models.CharField(
        _("run by"), max_length=100, blank=True, help_text=_("For X programmes: the charity.")
    )
    approval_level = models.CharField(_("approved by"), max_length=8, choices=ApprovalLevel.choices)
    rules_key = models.CharField(_("programme in the rules"), max_length=30, blank=True)
    recurring = models.BooleanField(_("paid monthly"), default=True)
    requires_appraisal = models.BooleanField(_("democratic appraisal required"), default=False)
    requires_notice = models.BooleanField(_("public notice required"), default=True)
    notice_days = models.PositiveSmallIntegerField(_("public notice (days)"), default=7)
    allows_emergency = models.BooleanField(
        _("emergency help first (先行救助) allowed"), default=False
    )
    required_documents = models.JSONField(_("required documents"), default=list, blank=True)
    deadlines = models.JSONField(_("deadlines (working days per step)"), default=dict)
    source_document = models.CharField(_("source"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("assistance programme")
        verbose_name_plural = _("assistance programmes")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = (get_language() or "zh-hans").lower()
        return self.name_zh if language.startswith("zh") else (self.name_en or self.name_zh)

    def deadline(self, action: str) -> int | None:
        value = (self.deadlines or {}).get(action)
        return int(value) if value is not None else None


class ApplicationChannel(models.TextChoices):
    ONLINE = "online", _("Online, by the resident")
    COUNTER = "counter", _("At the counter, by a town clerk")
    DISCOVERED = "discovered", _("Discovered, filed by a grid or village worker")


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for missing documents")
    ACCEPTED = "accepted", _("Accepted")
    INVESTIGATED = "investigated", _("Household investigated")
    VERIFIED = "verified", _("Economic status verified")
    APPRAISED = "appraised", _("Democratic appraisal held")
    TOWN_REVIEWED = "town_reviewed", _("Reviewed by the town")
    NOTICE = "notice", _("Public notice")
    APPROVED = "approved", _("Approved")
    ENROLLED = "enrolled", _("Enrolled")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = ApplicationState
IN_PROGRESS = [
    S.ACCEPTED,
    S.INVESTIGATED,
    S.VERIFIED,
    S.APPRAISED,
    S.TOWN_REVIEWED,
    S.NOTICE,
]
OPEN_STATES = [S.SUBMITTED, S.RETURNED, *IN_PROGRESS]


# Permissions of the transitions: (application, user) -> bool. Region-scoped on the
# household's town.


def _may_process(application: Any, user: Any) -> bool:
    return has_perm(user, Perm.ASSISTANCE_PROCESS, application.region)


def _may_decide(application: Any, user: Any) -> bool:
    if application.programme.approval_level == ApprovalLevel.TOWN:
        return has_perm(user, Perm.ASSISTANCE_APPROVE_DELEGATED, application.region) or has_perm(
            user, Perm.ASSISTANCE_APPROVE, application.region
        )
    return has_perm(user, Perm.ASSISTANCE_APPROVE, application.region)


def _may_extra_review(application: Any, user: Any) -> bool:
    return has_perm(user, Perm.ASSISTANCE_EXTRA_REVIEW, application.region)


def _is_applicant_side(application: Any, user: Any) -> bool:
    """The resident who filed, or a clerk of the town acting on the applicant's request."""
    if getattr(user, "is_resident", False):
        return user.pk == application.submitted_by_id
    return _may_process(application, user)


def _may_decide_enrolment(enrolment: Any, user: Any) -> bool:
    return _may_decide(enrolment.application, user)


# Conditions: functions of the application alone, each with the refusal it gives.


@condition(_("This programme has no democratic appraisal."))
def _appraisal_required(application: AssistanceApplication) -> bool:
    return application.programme.requires_appraisal


@condition(_("This programme requires a democratic appraisal before the town review."))
def _appraisal_done_if_required(application: AssistanceApplication) -> bool:
    return application.state == S.APPRAISED or not application.programme.requires_appraisal


@condition(_("This programme requires a public notice before the decision."))
def _notice_done_if_required(application: AssistanceApplication) -> bool:
    return application.state == S.NOTICE or not application.programme.requires_notice


@condition(_("An objection raised during the public notice is not resolved yet."))
def _no_open_objection(application: AssistanceApplication) -> bool:
    return not application.objections.filter(resolved_at__isnull=True).exists()


@condition(
    _(
        "The household holds a close relative of staff or a village cadre: record the extra "
        "review before approving."
    )
)
def _extra_review_done_if_flagged(application: AssistanceApplication) -> bool:
    return not application.conflict_flag or application.extra_reviewed_at is not None


@condition(_("Only a household flagged for a conflict of interest needs an extra review."))
def _flagged(application: AssistanceApplication) -> bool:
    return application.conflict_flag and application.extra_reviewed_at is None


@condition(_("This programme does not allow emergency help before the investigation."))
def _emergency_allowed(application: AssistanceApplication) -> bool:
    return application.programme.allows_emergency


@condition(_("Only an emergency case paid first has documentation due afterwards."))
def _documentation_due(application: AssistanceApplication) -> bool:
    return application.emergency and application.documented_at is None


def _money(label: Any) -> models.DecimalField:
    return models.DecimalField(label, max_digits=12, decimal_places=2, default=Decimal("0"))


class AssistanceApplication(CaseModel):
    """An application of a household for one programme, from submission to decision.

    `region` is the household's own town, which handles it; `filed_region` the town where it
    was filed (异地申请 when they differ).
    """

    programme = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("programme"),
    )
    household = models.ForeignKey(
        "people.Household",
        on_delete=models.PROTECT,
        related_name="assistance_applications",
        verbose_name=_("household"),
    )
    applicant = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("applicant")
    )
    channel = models.CharField(_("channel"), max_length=12, choices=ApplicationChannel.choices)
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handling town"),
    )
    filed_region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("filed at"),
    )
    state = FSMField(
        _("state"),
        max_length=20,
        choices=ApplicationState.choices,
        default=ApplicationState.SUBMITTED,
        protected=True,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("submitted by"),
    )
    submitted_on = models.DateField(_("submitted on"))
    description = models.TextField(_("circumstances"), blank=True)
    documents_received = models.JSONField(_("documents received"), default=list, blank=True)
    missing_documents = models.JSONField(_("documents missing"), default=list, blank=True)
    emergency = models.BooleanField(_("emergency help first (先行救助)"), default=False)
    documentation_due_on = models.DateField(_("documentation due"), null=True, blank=True)
    documented_at = models.DateTimeField(_("documented at"), null=True, blank=True)
    verification_report = models.ForeignKey(
        "verification.VerificationReport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verification report"),
    )
    appraisal_note = models.TextField(_("democratic appraisal"), blank=True)
    recommendation = models.CharField(_("town's recommendation"), max_length=10, blank=True)
    proposed_amount = _money(_("proposed amount"))
    notice_starts_on = models.DateField(_("public notice from"), null=True, blank=True)
    notice_ends_on = models.DateField(_("public notice until"), null=True, blank=True)
    conflict_flag = models.BooleanField(_("close relative of staff or cadre"), default=False)
    conflict_note = models.CharField(_("conflict of interest"), max_length=300, blank=True)
    extra_reviewed_at = models.DateTimeField(_("extra review at"), null=True, blank=True)
    extra_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("extra review by"),
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision_reason = models.TextField(_("reason of the decision"), blank=True)
    approved_amount = _money(_("approved monthly amount"))
    approved_one_off = _money(_("approved one-off amount"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("assistance application")
        verbose_name_plural = _("assistance applications")
        indexes = [
            models.Index(fields=["state", "region"], name="application_state_region"),
            models.Index(fields=["household", "programme"], name="application_household"),
        ]

    def __str__(self) -> str:
        return self.case_number

    @property
    def is_remote_filing(self) -> bool:
        """异地申请: filed at a town other than the household's own."""
        return self.filed_region_id != self.region_id

    # -- the kernel's hooks ------------------------------------------------------------

    def case_region(self) -> Region:
        return self.region

    def case_task(self) -> TaskSpec | None:
        programme = self.programme
        clerk = Role.TOWN_CLERK
        approver = (
            Role.TOWN_REVIEWER
            if programme.approval_level == ApprovalLevel.TOWN
            else Role.COUNTY_APPROVER
        )
        next_action = {
            S.SUBMITTED: (clerk, "accept"),
            S.ACCEPTED: (clerk, "investigate"),
            S.INVESTIGATED: (clerk, "verify"),
            S.VERIFIED: (clerk, "appraise" if programme.requires_appraisal else "town_review"),
            S.APPRAISED: (clerk, "town_review"),
            S.TOWN_REVIEWED: (
                (clerk, "publish_notice") if programme.requires_notice else (approver, "approve")
            ),
            S.NOTICE: (approver, "approve"),
        }
        if self.state in next_action:
            role, action = next_action[S(self.state)]
            start = self.notice_ends_on if self.state == S.NOTICE else None
            return TaskSpec(
                role=role,
                region=self.region,
                action=action,
                working_days=programme.deadline(action),
                start=start,
            )
        if self.state in (S.APPROVED, S.ENROLLED) and self.emergency and not self.documented_at:
            return TaskSpec(
                role=clerk,
                region=self.region,
                action="document",
                working_days=None,
                due=self.documentation_due_on,
            )
        return None

    def case_check_actor(self, transition: str, actor: User | None) -> None:
        """Recusal: staff whose registered close relative lives in the household stand aside."""
        if actor is None or getattr(actor, "is_resident", False):
            return
        if (
            RelativeRegistration.objects.active()
            .filter(staff=actor, relative__in=self.current_member_ids())
            .exists()
        ):
            raise PermissionRefused(
                _(
                    "A close relative of yours lives in this household (近亲属备案): you must "
                    "stand aside from this case."
                ),
                code="recusal",
            )

    def current_member_ids(self) -> models.QuerySet[Any]:
        from minzheng.kernel.people.models import Membership

        return Membership.objects.filter(
            household_id=self.household_id, end_date__isnull=True
        ).values("person_id")

    # -- the state table -----------------------------------------------------------------

    @transition(
        field=state,
        source=S.SUBMITTED,
        target=S.ACCEPTED,
        permission=_may_process,
        custom={LABEL: _("Accept")},
    )
    def accept(self, *, actor: User, documents: list[str] | None = None) -> dict[str, Any]:
        received = sorted(set(self.documents_received) | set(documents or []))
        missing = [d for d in self.programme.required_documents if d not in received]
        if missing:
            raise ValidationFailed(
                _("Documents are missing (%(missing)s): return the application instead.")
                % {"missing": "、".join(missing)},
                code="documents_missing",
                field="documents",
            )
        self.documents_received = received
        self.missing_documents = []
        return {"documents": received}

    @transition(
        field=state,
        source=S.SUBMITTED,
        target=S.RETURNED,
        permission=_may_process,
        custom={LABEL: _("Return for missing documents"), REASON_REQUIRED: True},
    )
    def return_for_documents(self, *, actor: User, missing: list[str]) -> dict[str, Any]:
        missing = [m.strip() for m in missing if m and m.strip()]
        if not missing:
            raise ValidationFailed(
                _("List the missing documents so the applicant can bring them at once."),
                field="missing",
            )
        self.missing_documents = missing
        return {"missing": missing}

    @transition(
        field=state,
        source=S.RETURNED,
        target=S.SUBMITTED,
        permission=_is_applicant_side,
        custom={LABEL: _("Resubmit")},
    )
    def resubmit(self, *, actor: User, documents: list[str] | None = None) -> dict[str, Any]:
        received = sorted(set(self.documents_received) | set(documents or []))
        self.documents_received = received
        self.missing_documents = [d for d in self.missing_documents if d not in received]
        return {"documents": received}

    @transition(
        field=state,
        source=S.ACCEPTED,
        target=S.INVESTIGATED,
        permission=_may_process,
        custom={LABEL: _("Household investigation")},
    )
    def investigate(self, *, actor: User) -> None:
        """The visit record is written by the service (two distinct signing staff)."""

    @transition(
        field=state,
        source=S.INVESTIGATED,
        target=S.VERIFIED,
        permission=_may_process,
        custom={LABEL: _("Economic verification")},
    )
    def verify(self, *, actor: User, report: Any) -> dict[str, Any]:
        self._attach_report(report)
        return {"verification_report": report.pk}

    def _attach_report(self, report: Any) -> None:
        if report.household_id != self.household_id:
            raise ValidationFailed(
                _("The verification report is of another household."), field="report"
            )
        self.verification_report = report

    @transition(
        field=state,
        source=S.VERIFIED,
        target=S.APPRAISED,
        permission=_may_process,
        conditions=[_appraisal_required],
        custom={LABEL: _("Democratic appraisal")},
    )
    def appraise(self, *, actor: User, minutes: str, outcome: str) -> dict[str, Any]:
        if not minutes.strip():
            raise ValidationFailed(_("Record the appraisal's minutes."), field="minutes")
        self.appraisal_note = minutes.strip()
        return {"outcome": outcome}

    @transition(
        field=state,
        source=[S.VERIFIED, S.APPRAISED],
        target=S.TOWN_REVIEWED,
        permission=_may_process,
        conditions=[_appraisal_done_if_required],
        custom={LABEL: _("Town review")},
    )
    def town_review(
        self, *, actor: User, recommendation: str, proposed_amount: Decimal | None = None
    ) -> dict[str, Any]:
        if recommendation not in ("approve", "refuse"):
            raise ValidationFailed(_("Recommend approval or refusal."), field="recommendation")
        if self.verification_report_id is None:
            raise Conflict(_("Attach the verification report first."), code="no_report")
        self.recommendation = recommendation
        if proposed_amount is not None:
            if proposed_amount < 0:
                raise ValidationFailed(_("The amount cannot be negative."), field="amount")
            self.proposed_amount = proposed_amount
        return {"recommendation": recommendation, "proposed_amount": str(self.proposed_amount)}

    @transition(
        field=state,
        source=S.TOWN_REVIEWED,
        target=S.NOTICE,
        permission=_may_process,
        custom={LABEL: _("Public notice")},
    )
    def publish_notice(self, *, actor: User, today: dt.date) -> dict[str, Any]:
        if not self.programme.requires_notice:
            raise Conflict(_("This programme has no public notice."), code="no_notice")
        self.notice_starts_on = today
        self.notice_ends_on = today + dt.timedelta(days=self.programme.notice_days)
        return {"from": today.isoformat(), "until": self.notice_ends_on.isoformat()}

    @transition(
        field=state,
        source=S.NOTICE,
        target=None,
        permission=_may_process,
        custom={LABEL: _("Objection recorded")},
    )
    def record_objection(self, *, actor: User) -> None:
        """The objection row is written by the service; the state stays on notice."""

    @transition(
        field=state,
        source=S.NOTICE,
        target=None,
        permission=_may_process,
        custom={LABEL: _("Objection resolved"), REASON_REQUIRED: True},
    )
    def resolve_objection(self, *, actor: User) -> None:
        """The service marks the objection resolved; upheld objections leave a refusal."""

    @transition(
        field=state,
        source=[S.SUBMITTED, *IN_PROGRESS],
        target=None,
        permission=_may_extra_review,
        conditions=[_flagged],
        custom={LABEL: _("Conflict-of-interest extra review"), REASON_REQUIRED: True},
    )
    def extra_review(self, *, actor: User) -> None:
        self.extra_reviewed_at = timezone.now()
        self.extra_reviewed_by = actor

    @transition(
        field=state,
        source=[S.NOTICE, S.TOWN_REVIEWED],
        target=S.APPROVED,
        permission=_may_decide,
        conditions=[_notice_done_if_required, _no_open_objection, _extra_review_done_if_flagged],
        custom={LABEL: _("Approve"), NOT_BY_ACTOR_OF: ("town_review",)},
    )
    def approve(
        self,
        *,
        actor: User,
        today: dt.date,
        amounts: Callable[[], tuple[Decimal, Decimal]],
    ) -> dict[str, Any]:
        """`amounts` gives (monthly, one-off): from the rules, computed after the checks."""
        if self.state == S.NOTICE and self.notice_ends_on and today < self.notice_ends_on:
            raise Conflict(
                _("The public notice runs until %(date)s: decide after it ends.")
                % {"date": self.notice_ends_on.isoformat()},
                code="notice_running",
            )
        if self.objections.filter(upheld=True).exists():
            raise Conflict(
                _("An objection was upheld: the application can only be refused."),
                code="objection_upheld",
            )
        monthly_amount, one_off_amount = amounts()
        self.decided_on = today
        self.approved_amount = monthly_amount
        self.approved_one_off = one_off_amount
        return {"monthly_amount": str(monthly_amount), "one_off_amount": str(one_off_amount)}

    @transition(
        field=state,
        source=[S.SUBMITTED, S.ACCEPTED],
        target=S.APPROVED,
        permission=_may_decide,
        conditions=[_emergency_allowed, _extra_review_done_if_flagged],
        custom={LABEL: _("Emergency approval (先行救助)"), REASON_REQUIRED: True},
    )
    def approve_emergency(
        self, *, actor: User, today: dt.date, one_off_amount: Decimal, documentation_due: dt.date
    ) -> dict[str, Any]:
        if one_off_amount <= 0:
            raise ValidationFailed(_("Give the amount paid first."), field="amount")
        self.emergency = True
        self.decided_on = today
        self.approved_one_off = one_off_amount
        self.documentation_due_on = documentation_due
        return {
            "one_off_amount": str(one_off_amount),
            "documentation_due": documentation_due.isoformat(),
        }

    @transition(
        field=state,
        source=S.APPROVED,
        target=S.ENROLLED,
        permission=_may_decide,
        custom={LABEL: _("Enrol")},
    )
    def enrol(self, *, actor: User) -> None:
        """The enrolment row is written by the service."""

    @transition(
        field=state,
        source=[S.APPROVED, S.ENROLLED],
        target=None,
        permission=_may_process,
        conditions=[_documentation_due],
        custom={LABEL: _("Emergency case documented")},
    )
    def document(self, *, actor: User, report: Any) -> dict[str, Any]:
        """先行救助: the visit record and verification report follow the payment."""
        self._attach_report(report)
        self.documented_at = timezone.now()
        return {"verification_report": report.pk}

    @transition(
        field=state,
        source=IN_PROGRESS,
        target=S.REFUSED,
        permission=_may_decide,
        custom={LABEL: _("Refuse"), REASON_REQUIRED: True, NOT_BY_ACTOR_OF: ("town_review",)},
    )
    def refuse(self, *, actor: User, today: dt.date, decision_reason: str) -> None:
        self.decided_on = today
        self.decision_reason = decision_reason

    @transition(
        field=state,
        source=OPEN_STATES,
        target=S.WITHDRAWN,
        permission=_is_applicant_side,
        custom={LABEL: _("Withdraw")},
    )
    def withdraw(self, *, actor: User) -> None:
        """The applicant withdraws (a clerk records a written withdrawal at the counter)."""


class VisitRecord(models.Model):
    """The household investigation (入户调查): signed by two distinct staff."""

    application = models.ForeignKey(
        AssistanceApplication, on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("visited on"))
    findings = models.TextField(_("findings"))
    first_signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    second_signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attachments = models.JSONField(
        _("photos and attachments"), default=list, blank=True, help_text=_("Document ids.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visited_on", "id"]
        verbose_name = _("visit record")
        verbose_name_plural = _("visit records")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(first_signer=models.F("second_signer")),
                name="visit_two_distinct_signers",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} visit {self.visited_on}"


class NoticeObjection(models.Model):
    """An objection raised during the public notice (公示异议), and how it was resolved."""

    application = models.ForeignKey(
        AssistanceApplication, on_delete=models.PROTECT, related_name="objections"
    )
    raised_on = models.DateField(_("raised on"))
    raised_by = models.CharField(_("raised by"), max_length=100, blank=True)
    content = models.TextField(_("objection"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    resolution = models.TextField(_("resolution"), blank=True)
    upheld = models.BooleanField(_("upheld"), default=False)

    class Meta:
        ordering = ["raised_on", "id"]
        verbose_name = _("public-notice objection")
        verbose_name_plural = _("public-notice objections")

    def __str__(self) -> str:
        return f"{self.application_id} objection {self.raised_on}"


class RelativeRelation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Sibling")
    GRANDPARENT = "grandparent", _("Grandparent")
    GRANDCHILD = "grandchild", _("Grandchild")
    IN_LAW = "in_law", _("Parent-, child- or sibling-in-law")
    OTHER = "other", _("Other close relative")


class RelativeRegistrationQuerySet(models.QuerySet["RelativeRegistration"]):
    def active(self) -> RelativeRegistrationQuerySet:
        return self.filter(ended_on__isnull=True)


class RelativeRegistration(TimeStampedModel):
    """近亲属备案: a close relative of a staff member or a village cadre.

    Applications of a household holding a registered relative are flagged for an extra
    review, and the staff member stands aside from them.
    """

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registered_relatives",
        verbose_name=_("staff member"),
    )
    cadre_name = models.CharField(_("village cadre"), max_length=50, blank=True)
    cadre_post = models.CharField(_("cadre's post"), max_length=50, blank=True)
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    relative = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="relative_registrations",
        verbose_name=_("relative"),
    )
    relation = models.CharField(_("relation"), max_length=12, choices=RelativeRelation.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    objects = RelativeRegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("close-relative registration")
        verbose_name_plural = _("close-relative registrations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(staff__isnull=False) | ~models.Q(cadre_name=""),
                name="relative_of_staff_or_cadre",
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff or self.cadre_name} — {self.relative_id}"


class EnrolmentState(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    STOPPED = "stopped", _("Stopped")


class Enrolment(CaseModel):
    """A household's enrolment in a programme after approval; payments read active ones.

    `case_number` is the application's. Monthly amounts are paid from `start_month` to
    `end_month` (inclusive; None: open-ended); a one-off amount is paid once.
    """

    application = models.OneToOneField(
        AssistanceApplication, on_delete=models.PROTECT, related_name="enrolment"
    )
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("programme")
    )
    household = models.ForeignKey(
        "people.Household",
        on_delete=models.PROTECT,
        related_name="assistance_enrolments",
        verbose_name=_("household"),
    )
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("town")
    )
    county = models.CharField(_("county code"), max_length=6)
    members_covered = models.ManyToManyField(
        "people.Person", related_name="assistance_enrolments", verbose_name=_("members covered")
    )
    covered_count = models.PositiveSmallIntegerField(_("members covered"), default=0)
    monthly_amount = _money(_("monthly amount"))
    one_off_amount = _money(_("one-off amount"))
    start_month = models.DateField(_("from month"))
    end_month = models.DateField(_("until month"), null=True, blank=True)
    graduated_exit_end_month = models.DateField(_("graduated exit until"), null=True, blank=True)
    exit_reason = models.CharField(_("reason for leaving"), max_length=300, blank=True)
    state = FSMField(
        _("status"),
        max_length=12,
        choices=EnrolmentState.choices,
        default=EnrolmentState.ACTIVE,
        protected=True,
    )
    assessment = models.JSONField(_("assessment at approval"), default=dict, blank=True)
    # The payee account (发放账户): the head's active account at approval, kept current by
    # the hooks in services/payee.py; None when the household has none (the payroll then
    # rejects it and the case page asks for one).
    payee_account = models.ForeignKey(
        "payments.PayeeAccount",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payee account"),
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "household"],
                condition=models.Q(state__in=["active", "suspended"]),
                name="enrolment_one_current_per_programme_household",
            ),
            models.CheckConstraint(
                condition=models.Q(end_month__isnull=True)
                | models.Q(end_month__gte=models.F("start_month")),
                name="enrolment_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "programme", "county"], name="enrolment_payroll"),
        ]

    def __str__(self) -> str:
        return f"{self.case_number} {self.programme_id} {self.state}"

    def case_region(self) -> Region:
        return self.region

    @transition(
        field=state,
        source=EnrolmentState.ACTIVE,
        target=EnrolmentState.SUSPENDED,
        permission=_may_decide_enrolment,
        custom={LABEL: _("Suspend"), REASON_REQUIRED: True},
    )
    def suspend(self, *, actor: User) -> None:
        """Payments pause until restored (e.g. a review pending)."""

    @transition(
        field=state,
        source=EnrolmentState.SUSPENDED,
        target=EnrolmentState.ACTIVE,
        permission=_may_decide_enrolment,
        custom={LABEL: _("Restore"), REASON_REQUIRED: True},
    )
    def restore(self, *, actor: User) -> None:
        """Payments resume."""

    @transition(
        field=state,
        source=[EnrolmentState.ACTIVE, EnrolmentState.SUSPENDED],
        target=EnrolmentState.STOPPED,
        permission=_may_decide_enrolment,
        custom={LABEL: _("Stop"), REASON_REQUIRED: True},
    )
    def stop(
        self,
        *,
        actor: User,
        end_month: dt.date,
        exit_reason: str,
        graduated_exit_months: int = 0,
    ) -> dict[str, Any]:
        """Stop after `end_month`; a graduated exit keeps paying for its months first."""
        end_month = end_month.replace(day=1)
        if end_month < self.start_month:
            end_month = self.start_month
        if graduated_exit_months:
            year, month = divmod(end_month.month - 1 + graduated_exit_months, 12)
            self.graduated_exit_end_month = dt.date(end_month.year + year, month + 1, 1)
            end_month = self.graduated_exit_end_month
        self.end_month = end_month
        self.exit_reason = exit_reason
        return {
            "end_month": end_month.isoformat(),
            "graduated_exit_months": graduated_exit_months,
        }
