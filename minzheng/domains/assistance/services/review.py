"""Writes of dynamic management (动态管理): scheduling reviews, re-checks after new source
records, review outcomes, and the recalculation of every enrolment after a standard change.

Rules (docs/user/reviews.md):
- scheduled reviews are due 12 months after the enrolment started or after the previous
  scheduled review, 6 months for a household with unstable income and a member able to work;
- an imported source batch raises one triggered review per enrolment whose household holds
  a member with an income above the line, property, a death or a move in the batch;
- an outcome is proposed by a town clerk (with the rules' recommendation in front of them)
  and decided by an approver who did not propose it; the decision changes the enrolment only
  through the enrolment services and issues a notice;
- a confirmed standard change recalculates every active enrolment through the bulk path,
  reading only the enrolled households.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.domains.assistance.jobs import _county_keys
from minzheng.domains.assistance.models.casework import (
    ApprovalLevel,
    Enrolment,
    EnrolmentState,
)
from minzheng.domains.assistance.models.review import (
    OPEN_REVIEW_STATUSES,
    REASONS_BY_OUTCOME,
    Review,
    ReviewKind,
    ReviewOutcome,
    ReviewReason,
    ReviewStatus,
    ReviewTrigger,
)
from minzheng.domains.assistance.services.casework import (
    enrolment_restore,
    enrolment_stop,
    enrolment_suspend,
)
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.jobs.registry import JobKind, register_job
from minzheng.kernel.people.models import Membership, WorkAbility
from minzheng.kernel.verification.models import RecordKind, SourceBatch, SourceRecord

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.jobs.models import JobRun
    from minzheng.kernel.parameters.models import ParameterChange

__all__ = [
    "SCHEDULE_KIND",
    "STANDARD_CHANGE_KIND",
    "review_assess",
    "review_decide",
    "review_interval_months",
    "review_propose",
    "reviews_schedule",
    "reviews_trigger_for_batch",
    "standard_change_recalculate_county",
    "standard_change_recalculate_start",
    "standard_changes_due_start",
    "unstable_income_households",
]

CENT = Decimal("0.01")
YEARLY, HALF_YEARLY = 12, 6
WORKING_AGE = (16, 60)  # able to work: aged 16 to 59 with full or partial capacity
INCOME_WINDOW_MONTHS = 12
CHUNK = 2000
BULK_UPDATE = 50_000  # enrolments per UPDATE … FROM unnest (PostgreSQL)
# Parameter changes that move enrolment amounts; the daily task looks this far back for
# changes confirmed ahead of their date (later confirmations are enqueued at confirmation).
RECALCULATED_PATHS = ("assistance.", "minimum_wage.")
DUE_WINDOW_DAYS = 31
CURRENT = [EnrolmentState.ACTIVE, EnrolmentState.SUSPENDED]
# What a source kind says about an enrolled household.
TRIGGERS: dict[str, str] = {
    RecordKind.WAGE: ReviewTrigger.INCOME,
    RecordKind.SOCIAL_INSURANCE: ReviewTrigger.INCOME,
    RecordKind.UNEMPLOYMENT: ReviewTrigger.INCOME,
    RecordKind.REAL_ESTATE: ReviewTrigger.PROPERTY,
    RecordKind.VEHICLE: ReviewTrigger.PROPERTY,
    RecordKind.BUSINESS: ReviewTrigger.PROPERTY,
    RecordKind.DEPOSIT: ReviewTrigger.PROPERTY,
    RecordKind.DEATH: ReviewTrigger.DEATH,
    RecordKind.HUKOU_CHANGE: ReviewTrigger.MOVE,
}


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s month."""
    year, month = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + year, month + 1, 1)


def _months_covered(start: dt.date, end: dt.date) -> int:
    return max((end.year - start.year) * 12 + end.month - start.month + 1, 1)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def dibao_standard(county: str, on: dt.date) -> Decimal:
    """The county's monthly dibao standard (the line) on `on`, from the rules in force."""
    from minzheng.kernel.parameters.selectors import system_in_force

    node = system_in_force().parameters(on.isoformat()).assistance.dibao.standard
    return Decimal(str(float(node[f"c{county}"]))).quantize(CENT)


def grace_months(on: dt.date) -> int:
    """渐退期: months the benefit continues after income rises above the line (rules)."""
    from minzheng.kernel.parameters.selectors import system_in_force

    rule = system_in_force().parameters(on.isoformat()).assistance.graduated_exit
    return min(int(rule.exit_grace_months), 12)


# --------------------------------------------------------------------------- scheduling


def unstable_income_households(*, households: QuerySet[Any], on: dt.date) -> set[int]:
    """Households (of the `households` id subquery) reviewed every 6 months on `on`.

    Both must hold, from the register and the imported source records:
    1. a current member able to work: capacity full or partial, aged 16 to 59;
    2. unstable income: in the 12 months before `on`, a current member had unemployment
       benefit, or wage records in at least one month but not in all 12.
    """
    window_start = add_months(on, -INCOME_WINDOW_MONTHS)
    able = set(
        Membership.objects.filter(
            household_id__in=households,
            end_date__isnull=True,
            person__work_ability__in=[WorkAbility.FULL, WorkAbility.PARTIAL],
            person__birth_date__lte=_years_before(on, WORKING_AGE[0]),
            person__birth_date__gt=_years_before(on, WORKING_AGE[1]),
        ).values_list("household_id", flat=True)
    )
    if not able:
        return set()
    members = Membership.objects.filter(household_id__in=list(able), end_date__isnull=True)
    person_household = dict(members.values_list("person_id", "household_id"))
    records = SourceRecord.objects.filter(
        person_id__in=members.values("person_id"),
        period_start__gte=window_start,
        period_start__lt=on,
    )
    unstable: set[int] = set()
    for person_id in records.filter(source__kind=RecordKind.UNEMPLOYMENT).values_list(
        "person_id", flat=True
    ):
        unstable.add(person_household[person_id])
    wage_months = (
        records.filter(source__kind=RecordKind.WAGE)
        .values("person_id")
        .annotate(months=Count("period_start", distinct=True))
    )
    for row in wage_months:
        if 0 < row["months"] < INCOME_WINDOW_MONTHS:
            unstable.add(person_household[row["person_id"]])
    return unstable


def review_interval_months(*, household_id: int, on: dt.date) -> int:
    """6 for a household with unstable income and a member able to work, else 12."""
    ids = Membership.objects.filter(household_id=household_id).values("household_id")
    return HALF_YEARLY if unstable_income_households(households=ids, on=on) else YEARLY


def reviews_schedule(
    *, actor: User | None, county: str, on: dt.date, chunk_size: int = CHUNK
) -> int:
    """Create the scheduled reviews due by `on` for every current enrolment of a county.

    Idempotent: one review per enrolment and due month (a unique constraint; rows already
    there are skipped), and none while the enrolment's last scheduled review is open. The
    next review is due `interval` months after the previous scheduled one, or after the
    enrolment's first month. Returns how many were created.
    """
    enrolments = Enrolment.objects.filter(
        county=county, state__in=CURRENT, programme__recurring=True
    ).exclude(
        pk__in=Review.objects.filter(
            kind=ReviewKind.SCHEDULED, status__in=OPEN_REVIEW_STATUSES
        ).values("enrolment_id")
    )
    unstable = unstable_income_households(households=enrolments.values("household_id"), on=on)
    rows = enrolments.annotate(
        last=Max("reviews__period", filter=Q(reviews__kind=ReviewKind.SCHEDULED))
    ).values_list("id", "household_id", "region_id", "start_month", "last")
    created = 0
    batch: list[Review] = []

    def flush() -> int:
        before = Review.objects.filter(county=county, kind=ReviewKind.SCHEDULED).count()
        Review.objects.bulk_create(batch, ignore_conflicts=True)
        return Review.objects.filter(county=county, kind=ReviewKind.SCHEDULED).count() - before

    with transaction.atomic():
        for enrolment_id, household_id, region_id, start_month, last in rows.iterator(
            chunk_size=chunk_size
        ):
            interval = HALF_YEARLY if household_id in unstable else YEARLY
            due = add_months(last or start_month, interval)
            if due > on:
                continue
            batch.append(
                Review(
                    enrolment_id=enrolment_id,
                    region_id=region_id,
                    county=county,
                    kind=ReviewKind.SCHEDULED,
                    period=due,
                    due_on=due,
                    interval_months=interval,
                )
            )
            if len(batch) >= chunk_size:
                created += flush()
                batch = []
        if batch:
            created += flush()
        audit_record(
            actor=actor,
            action="assistance.review.schedule",
            object_type="assistance.review",
            region_code=county,
            changes={"county": county, "on": on.isoformat(), "created": created},
        )
    return created


# --------------------------------------------------------------------------- triggers


def reviews_trigger_for_batch(*, batch: SourceBatch, today: dt.date | None = None) -> int:
    """Open one triggered review per current enrolment whose household the batch concerns.

    Income records count only above the line: the record's monthly amount divided by the
    members covered is at or above the county's dibao standard (that income alone lifts
    the household's per-capita income over the line). Property, death and move records
    always count. An enrolment with an open triggered review gets no second one.
    """
    today = today or timezone.localdate()
    trigger = TRIGGERS.get(batch.source.kind)
    if trigger is None:
        return 0
    # One query, all in the database: the current members of enrolled households who appear
    # in the batch. Only those come back (a million-row file names far more persons than
    # are enrolled), instead of every person's household sent back as a list of ids.
    persons = SourceRecord.objects.filter(batch=batch, person__isnull=False).values("person_id")
    current = Enrolment.objects.filter(state__in=CURRENT)
    person_households = list(
        Membership.objects.filter(
            end_date__isnull=True,
            household_id__in=current.values("household_id"),
            person_id__in=persons,
        ).values_list("person_id", "household_id")
    )
    enrolments = {
        row[1]: row
        for row in current.filter(household_id__in={h for _, h in person_households}).values_list(
            "id", "household_id", "region_id", "county", "covered_count"
        )
    }
    enrolled = {p: h for p, h in person_households if h in enrolments}
    if not enrolled:
        return 0
    hits: set[int] = set()
    if trigger == ReviewTrigger.INCOME:
        standards: dict[str, Decimal] = {}
        for person_id, amount, start, end in SourceRecord.objects.filter(
            batch=batch, person_id__in=list(enrolled)
        ).values_list("person_id", "amount", "period_start", "period_end"):
            household = enrolled[person_id]
            _id, _h, _region, county, covered = enrolments[household]
            if county not in standards:
                standards[county] = dibao_standard(county, today)
            monthly = (amount or Decimal(0)) / _months_covered(start, end)
            if monthly / max(covered, 1) >= standards[county]:
                hits.add(household)
    else:
        hits = set(enrolled.values())
    period = today.replace(day=1)
    reviews = [
        Review(
            enrolment_id=enrolments[h][0],
            region_id=enrolments[h][2],
            county=enrolments[h][3],
            kind=ReviewKind.TRIGGERED,
            period=period,
            due_on=today,
            source_batch=batch,
            triggers=[trigger],
        )
        for h in sorted(hits)
    ]
    with transaction.atomic():
        before = Review.objects.filter(source_batch=batch).count()
        Review.objects.bulk_create(reviews, ignore_conflicts=True)
        created = Review.objects.filter(source_batch=batch).count() - before
        audit_record(
            actor=None,
            action="assistance.review.trigger",
            obj=batch,
            region_code=batch.region.code,
            changes={"source": batch.source.code, "trigger": trigger, "created": created},
        )
    return created


def batch_imported(batch: SourceBatch) -> None:
    """The verification kernel's after-import hook: enqueue the re-check (after commit)."""
    from minzheng.domains.assistance.tasks import reviews_trigger

    reviews_trigger.delay(batch.pk)


# --------------------------------------------------------------------------- outcomes


def _audit(
    actor: User, review: Review, action: str, changes: dict[str, Any], reason: str = ""
) -> None:
    audit_record(
        actor=actor,
        action=f"assistance.review.{action}",
        obj=review,
        region_code=review.region.code,
        changes=changes,
        reason=reason,
    )


def _locked(review: Review) -> Review:
    return (
        Review.objects.select_for_update()
        .select_related("enrolment", "enrolment__programme", "region")
        .get(pk=review.pk)
    )


def _locked_open(actor: User, review: Review) -> Review:
    """The review's row, locked, for a clerk of its town while it is open."""
    review = _locked(review)
    if not _may_process(actor, review):
        raise PermissionRefused(_("You may not process this review."), code="review_denied")
    if review.status != ReviewStatus.OPEN:
        raise Conflict(_("This review is not open."), code="review_not_open")
    return review


def _may_process(actor: User, review: Review) -> bool:
    return has_perm(actor, Perm.ASSISTANCE_PROCESS, review.region)


def _may_decide(actor: User, review: Review) -> bool:
    if review.enrolment.programme.approval_level == ApprovalLevel.TOWN and has_perm(
        actor, Perm.ASSISTANCE_APPROVE_DELEGATED, review.region
    ):
        return True
    return has_perm(actor, Perm.ASSISTANCE_APPROVE, review.region)


def _recommend(review: Review, on: dt.date) -> tuple[str, str, Decimal | None, dict[str, Any]]:
    """(outcome, reason code, amount, assessment summary) the rules in force give."""
    from minzheng.domains.assistance.assess import household_assess_unscoped

    enrolment = review.enrolment
    programme = enrolment.programme
    if not programme.rules_key or not programme.recurring:
        return ReviewOutcome.UNCHANGED, ReviewReason.NO_CHANGE, enrolment.monthly_amount, {}
    try:
        result = household_assess_unscoped(household_id=enrolment.household_id, on=on)
    except ValidationFailed as error:
        reason = (
            ReviewReason.MEMBER_DIED
            if ReviewTrigger.DEATH in review.triggers
            else ReviewReason.HOUSEHOLD_CHANGED
        )
        return ReviewOutcome.STOP, reason, None, {"error": error.code}
    found = result["programmes"].get(programme.rules_key, {})
    codes = list((found.get("explanation") or {}).get("reason_codes") or [])
    summary = {
        "date": result.get("date"),
        "dibao_standard": result.get("dibao_standard"),
        "eligible": bool(found.get("eligible")),
        "monthly_amount": found.get("monthly_amount"),
        "reason_codes": codes,
        "basis": result.get("basis"),
    }
    if not found.get("eligible"):
        if any("income" in code for code in codes):
            return ReviewOutcome.STOP, ReviewReason.INCOME_ABOVE_STANDARD, None, summary
        if any("asset" in code for code in codes):
            return ReviewOutcome.STOP, ReviewReason.PROPERTY_ABOVE_LIMIT, None, summary
        return ReviewOutcome.STOP, ReviewReason.HOUSEHOLD_CHANGED, None, summary
    amount = Decimal(str(found.get("monthly_amount") or 0)).quantize(CENT)
    if enrolment.state == EnrolmentState.SUSPENDED:
        return ReviewOutcome.RESTORE, ReviewReason.CIRCUMSTANCES_RESTORED, amount, summary
    if amount != enrolment.monthly_amount:
        reason = (
            ReviewReason.STANDARD_CHANGED
            if review.kind == ReviewKind.STANDARD_CHANGE
            else ReviewReason.INCOME_CHANGED
        )
        return ReviewOutcome.ADJUST, reason, amount, summary
    return ReviewOutcome.UNCHANGED, ReviewReason.NO_CHANGE, amount, summary


def review_assess(*, actor: User, review: Review, today: dt.date | None = None) -> Review:
    """Reassess the household with the rules (single-household assessment) and record the
    recommended outcome and amount on the review; the clerk still proposes the outcome."""
    today = today or timezone.localdate()
    with transaction.atomic():
        review = _locked_open(actor, review)
        outcome, reason, amount, summary = _recommend(review, today)
        review.recommended_outcome = outcome
        review.recommended_amount = amount
        review.assessment = {**summary, "recommended_reason": str(reason)}
        review.save(
            update_fields=["recommended_outcome", "recommended_amount", "assessment", "updated_at"]
        )
        _audit(
            actor,
            review,
            "assess",
            {"recommended": outcome, "amount": str(amount) if amount else None},
        )
    return review


def review_propose(
    *,
    actor: User,
    review: Review,
    outcome: str,
    reason_code: str,
    note: str = "",
    new_amount: Decimal | None = None,
    graduated_exit: bool | None = None,
    today: dt.date | None = None,
) -> Review:
    """The clerk's proposal: an outcome with a reason code (required, from the fixed list).

    An adjustment or a restoration takes the new amount (default: the rules' amount). A stop
    for income above the standard of a dibao or marginal enrolment keeps paying for the
    graduated exit (渐退期) of the rules unless `graduated_exit` is False.
    """
    today = today or timezone.localdate()
    if outcome not in ReviewOutcome.values:
        raise ValidationFailed(_("Choose an outcome."), field="outcome")
    if not reason_code:
        raise ValidationFailed(_("Give the reason code of the outcome."), field="reason_code")
    if reason_code not in REASONS_BY_OUTCOME[outcome]:
        raise ValidationFailed(
            _("This reason does not fit the outcome chosen."), field="reason_code"
        )
    with transaction.atomic():
        review = _locked_open(actor, review)
        enrolment = review.enrolment
        if outcome == ReviewOutcome.RESTORE and enrolment.state != EnrolmentState.SUSPENDED:
            raise Conflict(_("Only a suspended enrolment can be restored."), code="not_suspended")
        if outcome == ReviewOutcome.SUSPEND and enrolment.state != EnrolmentState.ACTIVE:
            raise Conflict(_("Only an active enrolment can be suspended."), code="not_active")
        amount: Decimal | None = None
        if outcome in (ReviewOutcome.ADJUST, ReviewOutcome.RESTORE):
            amount = new_amount if new_amount is not None else review.recommended_amount
            if outcome == ReviewOutcome.ADJUST and (amount is None or amount <= 0):
                raise ValidationFailed(_("Give the new monthly amount."), field="new_amount")
            if amount is not None:
                amount = Decimal(amount).quantize(CENT)
        months = 0
        if outcome == ReviewOutcome.STOP and reason_code == ReviewReason.INCOME_ABOVE_STANDARD:
            gives_exit = enrolment.programme.rules_key in ("dibao", "marginal")
            if gives_exit and graduated_exit is not False:
                months = grace_months(today)
        review.outcome = outcome
        review.reason_code = reason_code
        review.note = (note or "").strip()
        review.old_amount = enrolment.monthly_amount
        review.new_amount = amount
        review.graduated_exit_months = months
        review.proposed_by = actor
        review.proposed_at = timezone.now()
        review.status = ReviewStatus.PROPOSED
        review.save()
        _audit(
            actor,
            review,
            "propose",
            {
                "outcome": outcome,
                "reason_code": reason_code,
                "new_amount": str(amount) if amount is not None else None,
                "graduated_exit_months": months,
            },
            review.note,
        )
    return review


def _adjust(*, actor: User, enrolment: Enrolment, amount: Decimal, reason: str) -> None:
    """Set the monthly amount on the locked enrolment row (not a state change), audited."""
    locked = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    before = locked.monthly_amount
    Enrolment.objects.filter(pk=locked.pk).update(monthly_amount=amount, updated_at=timezone.now())
    audit_record(
        actor=actor,
        action="assistance.enrolment.adjust",
        obj=locked,
        region_code=locked.county,
        changes={"monthly_amount": [str(before), str(amount)]},
        reason=reason,
    )


def _notice(actor: User, review: Review, enrolment: Enrolment) -> Any:
    from minzheng.kernel.documents.hooks import DocumentKind
    from minzheng.kernel.documents.services import document_issue

    head = (
        Membership.objects.filter(household_id=enrolment.household_id, end_date__isnull=True)
        .select_related("person")
        .order_by("-relation", "id")
        .first()
    )
    stopped = review.outcome == ReviewOutcome.STOP
    details = [
        (_("Programme"), enrolment.programme.name),
        (_("Outcome"), review.get_outcome_display()),
        (_("Reason"), review.get_reason_code_display()),
    ]
    if review.new_amount is not None:
        details.append((_("New monthly amount (yuan)"), str(review.new_amount)))
    if stopped:
        details.append(
            (_("Paid until"), enrolment.end_month.strftime("%Y-%m") if enrolment.end_month else "—")
        )
        if review.graduated_exit_months:
            details.append((_("Graduated exit (months)"), str(review.graduated_exit_months)))
    return document_issue(
        actor=actor,
        target=enrolment,
        kind=DocumentKind.TERMINATION if stopped else DocumentKind.CHANGE,
        template="documents/notices/generic.html",
        context={
            "recipient": head.person.name if head else "",
            "paragraphs": [
                _(
                    "After the review of your household's circumstances, your assistance "
                    "has been decided as follows."
                )
            ],
            "details": details,
            "closing": [
                _(
                    "If you disagree, you may apply for administrative reconsideration within "
                    "60 days or bring an administrative lawsuit within 6 months."
                )
            ],
        },
    )


def review_decide(
    *, actor: User, review: Review, note: str = "", today: dt.date | None = None
) -> Review:
    """Decide the proposed outcome (maker-checker) and apply it to the enrolment.

    Through the enrolment services: adjust sets the amount, suspend and restore change the
    state (restore with the new amount, if any), stop ends payment after this month or after
    the graduated exit. A notice (PDF, documents kernel) is issued for every change.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        review = _locked(review)
        if not _may_decide(actor, review):
            raise PermissionRefused(_("You may not decide this review."), code="review_denied")
        if review.status != ReviewStatus.PROPOSED:
            raise Conflict(_("This review has no proposed outcome."), code="review_not_proposed")
        if review.proposed_by_id == actor.pk:
            raise PermissionRefused(
                _("Whoever proposed the outcome cannot decide it."), code="maker_checker"
            )
        enrolment = Enrolment.objects.select_related("programme").get(pk=review.enrolment_id)
        reason = f"{review.get_reason_code_display()} {review.note}".strip()
        outcome = review.outcome
        if outcome == ReviewOutcome.ADJUST and review.new_amount is not None:
            _adjust(actor=actor, enrolment=enrolment, amount=review.new_amount, reason=reason)
        elif outcome == ReviewOutcome.SUSPEND:
            enrolment = enrolment_suspend(actor=actor, enrolment=enrolment, reason=reason)
        elif outcome == ReviewOutcome.RESTORE:
            enrolment = enrolment_restore(actor=actor, enrolment=enrolment, reason=reason)
            if review.new_amount is not None and review.new_amount != enrolment.monthly_amount:
                _adjust(actor=actor, enrolment=enrolment, amount=review.new_amount, reason=reason)
        elif outcome == ReviewOutcome.STOP:
            enrolment = enrolment_stop(
                actor=actor,
                enrolment=enrolment,
                reason=reason,
                end_month=today.replace(day=1),
                graduated_exit_months=review.graduated_exit_months,
            )
        enrolment.refresh_from_db()
        review.status = ReviewStatus.DECIDED
        review.decided_by = actor
        review.decided_at = timezone.now()
        if note:
            review.note = f"{review.note}\n{note}".strip()
        if outcome != ReviewOutcome.UNCHANGED:
            review.notice = _notice(actor, review, enrolment)
        review.save()
        _audit(
            actor,
            review,
            "decide",
            {
                "outcome": outcome,
                "reason_code": review.reason_code,
                "enrolment_state": enrolment.state,
                "monthly_amount": str(enrolment.monthly_amount),
                "end_month": enrolment.end_month.isoformat() if enrolment.end_month else None,
                "notice": review.notice_id,
            },
            note,
        )
    return review


# --------------------------------------------------------------------------- standard change


def _county_amounts(
    county: str, month: dt.date, system: Any, households: Iterable[int]
) -> dict[str, dict[int, Decimal]]:
    """{programme: {household id: monthly amount}} of the given households of a county, from
    one population read of these households only and one rules evaluation (the bulk
    determination's reader and rules, with its household filter). A household without
    members living together in the county that month has no amount."""
    import numpy as np

    from minzheng.domains.assistance.determination import evaluate, lookback_months, read_population
    from minzheng.domains.assistance.services.payroll import PROGRAMME_AMOUNTS

    population = read_population(
        county, month, lookback_months=lookback_months(system, month), households=households
    )
    if not population.household_count:
        return {programme: {} for programme in PROGRAMME_AMOUNTS}
    outputs = evaluate(population, system=system)
    ids = population.household_ids.tolist()
    result = {}
    for programme, amounts_of in PROGRAMME_AMOUNTS.items():
        fen = np.rint(np.round(np.asarray(amounts_of(outputs), dtype=np.float64), 2) * 100)
        result[programme] = {
            int(h): (Decimal(int(f)) / 100).quantize(CENT)
            for h, f in zip(ids, fen.astype(np.int64).tolist(), strict=True)
        }
    return result


def standard_change_recalculate_county(*, change_id: int, county: str, month: dt.date) -> int:
    """Recalculate every active enrolment of a county after a confirmed standard change.

    The bulk path: the county's active enrolments of the programmes paid monthly are read
    first; then one population read of their households only (their members, incomes and
    assets: the determination's county reader with its household filter; households not
    enrolled are neither read nor evaluated) and one rules evaluation, never one assessment
    per household. Amounts the rules give above zero are written to the enrolments (paid
    from the next payroll; earlier months are settled by the payroll's back pay); a
    household the new rules pay nothing gets an open review instead, for a decision with a
    notice. One review row per enrolment records the change (idempotent: unique per
    enrolment and change). Returns how many enrolments were recalculated.
    """
    from minzheng.domains.assistance.services.payroll import PROGRAMME_AMOUNTS
    from minzheng.kernel.parameters.selectors import system_in_force

    month = month.replace(day=1)
    enrolments: dict[str, list[tuple[int, int, int, Decimal]]] = {
        programme: list(
            Enrolment.objects.filter(
                county=county, programme__code=programme, state=EnrolmentState.ACTIVE
            )
            .order_by("id")
            .values_list("id", "household_id", "region_id", "monthly_amount")
        )
        for programme in PROGRAMME_AMOUNTS
    }
    households = {row[1] for rows in enrolments.values() for row in rows}
    amounts = (
        _county_amounts(county, month, system_in_force(), households)
        if households
        else {programme: {} for programme in PROGRAMME_AMOUNTS}
    )
    now = timezone.now()
    done = 0
    for programme, due_by_household in amounts.items():
        rows: list[tuple[int, int, Decimal, Decimal]] = []
        changed: dict[Decimal, list[int]] = defaultdict(list)
        for enrolment_id, household_id, region_id, amount in enrolments[programme]:
            if household_id not in due_by_household:
                continue  # no member living together: left for a review
            new = due_by_household[household_id]
            if new > 0 and new != amount:
                changed[new].append(enrolment_id)
            rows.append((enrolment_id, region_id, amount, new))
        _bulk_set_amounts(changed)
        _record_standard_change_reviews(
            rows, change_id=change_id, county=county, month=month, now=now
        )
        done += len(rows)
    audit_record(
        actor=None,
        action="assistance.enrolment.recalculate",
        object_type="parameters.parameterchange",
        object_id=str(change_id),
        region_code=county,
        changes={"county": county, "month": month.isoformat(), "enrolments": done},
    )
    return done


def _standard_change_outcome(old: Decimal, new: Decimal, now: dt.datetime) -> dict[str, Any]:
    """What a recalculation review records of one enrolment: decided when the rules still
    pay (adjusted or unchanged), open with a stop recommended when they pay nothing."""
    paying = new > 0
    outcome = ReviewOutcome.ADJUST if new != old else ReviewOutcome.UNCHANGED
    return {
        "status": ReviewStatus.DECIDED if paying else ReviewStatus.OPEN,
        "recommended_outcome": outcome if paying else ReviewOutcome.STOP,
        "recommended_amount": new,
        "outcome": outcome if paying else "",
        "reason_code": ReviewReason.STANDARD_CHANGED if paying else "",
        "old_amount": old,
        "new_amount": new if paying else None,
        "decided_at": now if paying else None,
    }


# The review columns that differ from row to row (the keys of _standard_change_outcome after
# the enrolment and town), with the SQL that reads each from its text (an empty text is NULL
# for a nullable column).
_REVIEW_ARRAYS = (
    ("enrolment_id", "{}::int8"),
    ("region_id", "{}::int8"),
    ("status", "{}"),
    ("recommended_outcome", "{}"),
    ("recommended_amount", "NULLIF({}, '')::numeric"),
    ("outcome", "{}"),
    ("reason_code", "{}"),
    ("old_amount", "NULLIF({}, '')::numeric"),
    ("new_amount", "NULLIF({}, '')::numeric"),
    ("decided_at", "NULLIF({}, '')::timestamptz"),
)


def _record_standard_change_reviews(
    rows: list[tuple[int, int, Decimal, Decimal]],
    *,
    change_id: int,
    county: str,
    month: dt.date,
    now: dt.datetime,
) -> None:
    """One review per recalculated enrolment ((enrolment, town, old amount, new amount)
    rows); a row already there for the enrolment and change is left as it is (idempotent).

    PostgreSQL: one ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`` per
    BULK_UPDATE rows, each column sent as one comma-separated text (the ORM's
    ``bulk_create`` spent several seconds a county building and adapting model instances);
    the values come from the same ``_standard_change_outcome`` as the ``bulk_create`` used
    elsewhere, and the columns common to all rows from a model instance, so both write the
    same rows.
    """
    common: dict[str, Any] = {
        "county": county,
        "kind": ReviewKind.STANDARD_CHANGE,
        "period": month,
        "due_on": month,
        "parameter_change_id": change_id,
        "triggers": [ReviewTrigger.STANDARD],
        "created_at": now,
        "updated_at": now,
    }
    if connection.vendor != "postgresql":
        Review.objects.bulk_create(
            [
                Review(
                    enrolment_id=enrolment_id,
                    region_id=region_id,
                    **common,
                    **_standard_change_outcome(old, new, now),
                )
                for enrolment_id, region_id, old, new in rows
            ],
            batch_size=CHUNK,
            ignore_conflicts=True,
        )
        return
    if not rows:
        return
    # Every other column as a model instance of the common values holds it (defaults too).
    template = Review(enrolment_id=0, region_id=0, **common)
    varying = {name for name, _sql in _REVIEW_ARRAYS}
    constant_fields = [
        f for f in Review._meta.concrete_fields if not f.primary_key and f.attname not in varying
    ]
    constants = [
        f.get_db_prep_save(getattr(template, f.attname), connection) for f in constant_fields
    ]
    columns = [name for name, _sql in _REVIEW_ARRAYS] + [str(f.column) for f in constant_fields]
    # regexp_split_to_array: one empty element for an empty text (string_to_array: none).
    arrays_sql = ", ".join(["regexp_split_to_array(%s, ',')"] * len(_REVIEW_ARRAYS))
    values_sql = ", ".join(sql.format(f"v.c{i}") for i, (_name, sql) in enumerate(_REVIEW_ARRAYS))
    names = ", ".join(f"c{i}" for i in range(len(_REVIEW_ARRAYS)))
    statement = (
        f"INSERT INTO {Review._meta.db_table} ({', '.join(columns)})"  # noqa: S608
        f" SELECT {values_sql}, {', '.join(['%s'] * len(constants))}"
        f" FROM unnest({arrays_sql}) AS v ({names}) ON CONFLICT DO NOTHING"
    )
    decided = now.isoformat()

    def values(old: Decimal, new: Decimal) -> tuple[str, ...]:
        found = _standard_change_outcome(old, new, now)
        found["decided_at"] = decided if found["decided_at"] else None
        return tuple(
            "" if found[name] is None else str(found[name]) for name, _sql in _REVIEW_ARRAYS[2:]
        )

    with connection.cursor() as cursor:
        for start in range(0, len(rows), BULK_UPDATE):
            part = rows[start : start + BULK_UPDATE]
            texts = [values(old, new) for _e, _r, old, new in part]
            arrays = [
                ",".join(str(row[0]) for row in part),
                ",".join(str(row[1]) for row in part),
                *(",".join(column) for column in zip(*texts, strict=True)),
            ]
            cursor.execute(statement, [*constants, *arrays])  # in the order of the SQL


def _bulk_set_amounts(changed: dict[Decimal, list[int]]) -> None:
    """Write the new amounts of the enrolments ``changed`` ({amount: enrolment ids}).

    PostgreSQL: one ``UPDATE … FROM unnest(ids, amounts)`` per BULK_UPDATE enrolments
    (top-ups are standard × members − income, so amounts rarely repeat and one UPDATE per
    distinct amount would be one statement per household), both sent as comma-separated
    text (cheaper to send than lists adapted value by value). Elsewhere: one UPDATE per
    distinct amount.
    """
    now = timezone.now()
    if connection.vendor == "postgresql":
        ids = [pk for pks in changed.values() for pk in pks]
        amounts = [amount for amount, pks in changed.items() for _pk in pks]
        table = Enrolment._meta.db_table
        with connection.cursor() as cursor:
            for start in range(0, len(ids), BULK_UPDATE):
                cursor.execute(
                    f"UPDATE {table} e SET monthly_amount = v.amount, updated_at = %s"  # noqa: S608
                    " FROM unnest(string_to_array(%s, ',')::int8[],"
                    " string_to_array(%s, ',')::numeric[]) AS v(id, amount) WHERE e.id = v.id",
                    [
                        now,
                        ",".join(map(str, ids[start : start + BULK_UPDATE])),
                        ",".join(map(str, amounts[start : start + BULK_UPDATE])),
                    ],
                )
        return
    for amount, ids in changed.items():
        for start in range(0, len(ids), CHUNK):
            Enrolment.objects.filter(pk__in=ids[start : start + CHUNK]).update(
                monthly_amount=amount, updated_at=now
            )


def _recalculate_chunk(params: dict[str, Any], county: str) -> int:
    return standard_change_recalculate_county(
        change_id=int(params["change"]),
        county=county,
        month=dt.date.fromisoformat(params["month"]),
    )


def _schedule_chunk(params: dict[str, Any], county: str) -> int:
    return reviews_schedule(actor=None, county=county, on=dt.date.fromisoformat(params["on"]))


STANDARD_CHANGE_KIND = "assistance.standard_change"
SCHEDULE_KIND = "assistance.reviews_schedule"
register_job(
    JobKind(
        name=STANDARD_CHANGE_KIND,
        label="Recalculate every enrolment after a standard change",
        chunk_keys=_county_keys,
        run_chunk=_recalculate_chunk,
    )
)
register_job(
    JobKind(
        name=SCHEDULE_KIND,
        label="Schedule the reviews due",
        chunk_keys=_county_keys,
        run_chunk=_schedule_chunk,
    )
)


def _recalculated(change_id: int) -> bool:
    from minzheng.kernel.jobs.models import JobRun

    return JobRun.objects.filter(kind=STANDARD_CHANGE_KIND, params__change=change_id).exists()


def standard_change_recalculate_start(
    *,
    actor: User | None,
    change: ParameterChange,
    today: dt.date | None = None,
    counties: Iterable[str] = (),
    enqueue: bool = True,
) -> JobRun:
    """Start the recalculation job of a confirmed change that is in force (one per change).

    Only a confirmed change: confirming is done from the preview page, so the what-if has
    been shown. The month recalculated is the later of the change's month and this month.
    """
    from minzheng.kernel.jobs.services import job_start
    from minzheng.kernel.parameters.models import ChangeStatus

    today = today or timezone.localdate()
    if change.status != ChangeStatus.CONFIRMED:
        raise Conflict(
            _("Only a confirmed change recalculates the enrolments."), code="change_not_confirmed"
        )
    if change.start > today:
        raise Conflict(
            _("The change is in force from %(start)s: the enrolments are recalculated then.")
            % {"start": change.start.isoformat()},
            code="change_not_in_force",
        )
    if _recalculated(change.pk):
        raise Conflict(
            _("The enrolments were already recalculated for this change."),
            code="change_recalculated",
        )
    month = max(change.start.replace(day=1), today.replace(day=1))
    return job_start(
        actor=actor,
        kind=STANDARD_CHANGE_KIND,
        params={"change": change.pk, "month": month.isoformat(), "counties": list(counties)},
        enqueue=enqueue,
    )


def standard_changes_due_start(*, today: dt.date | None = None) -> list[int]:
    """Start the recalculation of every confirmed change in force not recalculated yet
    (the daily task: changes confirmed ahead of their effective date)."""
    from minzheng.kernel.parameters.models import ChangeStatus, ParameterChange

    today = today or timezone.localdate()
    started = []
    recent = ParameterChange.objects.filter(
        status=ChangeStatus.CONFIRMED,
        start__lte=today,
        start__gt=today - dt.timedelta(days=DUE_WINDOW_DAYS),
    )
    for change in recent.order_by("id"):
        if not change.path.startswith(RECALCULATED_PATHS):
            continue
        if not _recalculated(change.pk):
            started.append(
                standard_change_recalculate_start(actor=None, change=change, today=today).pk
            )
    return started


def standard_change_recalculate_enqueue(
    *, change: ParameterChange, today: dt.date | None = None
) -> bool:
    """After a change is confirmed (from its what-if preview page): enqueue the recalculation
    after commit when the change is already in force; later ones are picked up by the daily
    task on their effective date. Returns whether it was enqueued."""
    today = today or timezone.localdate()
    if change.start > today or not change.path.startswith(RECALCULATED_PATHS):
        return False
    change_id = change.pk

    def enqueue() -> None:
        from minzheng.domains.assistance.tasks import standard_change_recalculate

        standard_change_recalculate.delay(change_id)

    transaction.on_commit(enqueue)
    return True
