"""Dynamic management: scheduling, triggered re-checks, outcomes and standard changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.domains.assistance.models import Enrolment, EnrolmentState
from minzheng.domains.assistance.models.review import (
    Review,
    ReviewKind,
    ReviewOutcome,
    ReviewReason,
    ReviewStatus,
    ReviewTrigger,
)
from minzheng.domains.assistance.services import review as reviews
from minzheng.domains.assistance.tests.test_casework_support import cast, today
from minzheng.domains.assistance.tests.test_payroll_back_pay import _rules_amount, _standard
from minzheng.domains.assistance.tests.test_payroll_support import NANHU
from minzheng.domains.assistance.tests.test_review_support import (
    enrolled,
    import_deaths,
    import_wages,
)
from minzheng.kernel.accounts.models import Role
from minzheng.kernel.accounts.services import staff_create
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.documents.models import IssuedDocument
from minzheng.kernel.jobs.services import job_run_chunk
from minzheng.kernel.parameters.services import parameter_change_confirm, parameter_change_propose
from minzheng.kernel.people.models import Person
from minzheng.testing.world import NANHU as NANHU_REGION
from minzheng.testing.world import PASSWORD, XINJIA

pytestmark = pytest.mark.django_db

OLD = [dt.date(1950, 3, 1)]
COUPLE = [dt.date(1949, 1, 2), dt.date(1951, 7, 8)]


@pytest.fixture
def notices(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _actions(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# --------------------------------------------------------------------------- scheduling


def test_scheduling_is_yearly_and_idempotent(world):
    c = cast(world)
    first = enrolled(c, 31, OLD).enrolment
    second = enrolled(c, 32, COUPLE).enrolment
    due = reviews.add_months(first.start_month, 12)

    assert reviews.reviews_schedule(actor=None, county=NANHU, on=due - dt.timedelta(days=1)) == 0
    assert reviews.reviews_schedule(actor=None, county=NANHU, on=due) == 2
    assert reviews.reviews_schedule(actor=None, county=NANHU, on=due) == 0  # idempotent
    rows = Review.objects.filter(kind=ReviewKind.SCHEDULED).order_by("enrolment_id")
    assert [(r.enrolment_id, r.due_on, r.interval_months) for r in rows] == [
        (first.pk, due, 12),
        (second.pk, reviews.add_months(second.start_month, 12), 12),
    ]
    assert all(r.status == ReviewStatus.OPEN and r.region_id == first.region_id for r in rows)
    # Even a year later, no second scheduled review while the first is open.
    assert reviews.reviews_schedule(actor=None, county=NANHU, on=reviews.add_months(due, 13)) == 0
    assert _actions("assistance.review.schedule") == 4


def test_unstable_income_and_a_member_able_to_work_make_it_six_months(world):
    c = cast(world)
    young = dt.date(1995, 4, 1)
    unstable = enrolled(c, 33, [dt.date(1960, 1, 1), young])
    stable = enrolled(c, 34, [dt.date(1960, 2, 1), young])
    not_able = enrolled(c, 35, [dt.date(1960, 3, 1), young])
    for family in (unstable, stable, not_able):
        Person.objects.filter(pk=family.members[1].pk).update(
            work_ability="none" if family is not_able else "full"
        )
    this_month = today().replace(day=1)
    sometimes = [reviews.add_months(this_month, -k) for k in (1, 2)]
    import_wages(
        c,
        [(unstable.members[1], m, 900) for m in sometimes]
        + [(not_able.members[1], m, 900) for m in sometimes],
    )
    on = reviews.add_months(unstable.enrolment.start_month, 6)

    created = reviews.reviews_schedule(actor=None, county=NANHU, on=on)

    assert created == 1
    review = Review.objects.get(kind=ReviewKind.SCHEDULED)
    assert review.enrolment_id == unstable.enrolment.pk
    assert review.interval_months == 6
    assert reviews.review_interval_months(household_id=stable.enrolment.household_id, on=on) == 12


def test_the_schedule_job_runs_a_chunk_per_county(world):
    from minzheng.kernel.jobs.services import job_start

    c = cast(world)
    family = enrolled(c, 36, OLD)
    on = reviews.add_months(family.enrolment.start_month, 12)
    job = job_start(
        actor=None,
        kind=reviews.SCHEDULE_KIND,
        params={"on": on.isoformat(), "counties": [NANHU]},
        enqueue=False,
    )
    assert job_run_chunk(job_id=job.pk, key=NANHU)
    assert Review.objects.filter(enrolment=family.enrolment, kind=ReviewKind.SCHEDULED).exists()


# --------------------------------------------------------------------------- triggers


def test_an_imported_batch_opens_exactly_one_triggered_review(
    world, django_capture_on_commit_callbacks
):
    c = cast(world)
    earner = enrolled(c, 41, OLD)
    small = enrolled(c, 42, COUPLE)
    untouched = enrolled(c, 43, OLD)
    month = reviews.add_months(today().replace(day=1), -1)

    with django_capture_on_commit_callbacks(execute=True):
        import_wages(c, [(earner.head, month, 6200), (small.head, month, 300)])
    with django_capture_on_commit_callbacks(execute=True):  # another file: still one review
        import_wages(c, [(earner.head, reviews.add_months(month, -1), 6300)], name="more.csv")

    triggered = Review.objects.filter(kind=ReviewKind.TRIGGERED)
    assert list(triggered.values_list("enrolment_id", flat=True)) == [earner.enrolment.pk]
    assert triggered.get().triggers == [ReviewTrigger.INCOME]
    assert not Review.objects.filter(enrolment__in=[small.enrolment, untouched.enrolment]).exists()
    assert _actions("assistance.review.trigger") == 2


def test_a_death_record_triggers_a_review(world):
    c = cast(world)
    family = enrolled(c, 44, COUPLE)
    batch = import_deaths(c, [family.members[1]], today() - dt.timedelta(days=3))

    assert reviews.reviews_trigger_for_batch(batch=batch) == 1
    assert reviews.reviews_trigger_for_batch(batch=batch) == 0  # retried: nothing more
    review = Review.objects.get(kind=ReviewKind.TRIGGERED)
    assert review.triggers == [ReviewTrigger.DEATH]
    assert review.source_batch_id == batch.pk


# --------------------------------------------------------------------------- outcomes


def _open_review(enrolment: Enrolment) -> Review:
    return Review.objects.create(
        enrolment=enrolment,
        region=enrolment.region,
        county=enrolment.county,
        kind=ReviewKind.SCHEDULED,
        period=today().replace(day=1),
        due_on=today(),
    )


def test_a_reason_code_is_required_and_must_fit(world):
    c = cast(world)
    review = _open_review(enrolled(c, 51, OLD).enrolment)
    with pytest.raises(ValidationFailed):
        reviews.review_propose(
            actor=c.clerk, review=review, outcome=ReviewOutcome.SUSPEND, reason_code=""
        )
    with pytest.raises(ValidationFailed):
        reviews.review_propose(
            actor=c.clerk,
            review=review,
            outcome=ReviewOutcome.STOP,
            reason_code=ReviewReason.STANDARD_CHANGED,
        )
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN and review.outcome == ""


def test_the_assessment_recommends_with_the_rules_in_force(world):
    c = cast(world)
    family = enrolled(c, 52, COUPLE)
    review = reviews.review_assess(actor=c.clerk, review=_open_review(family.enrolment))
    assert review.recommended_outcome == ReviewOutcome.UNCHANGED
    assert review.recommended_amount == family.enrolment.monthly_amount


def test_adjust_is_decided_by_another_person_and_issues_a_notice(world, notices):
    c = cast(world)
    family = enrolled(c, 53, OLD)
    review = _open_review(family.enrolment)
    review = reviews.review_propose(
        actor=c.clerk,
        review=review,
        outcome=ReviewOutcome.ADJUST,
        reason_code=ReviewReason.INCOME_CHANGED,
        new_amount=Decimal("321.50"),
        note="子女务工收入",
    )
    with pytest.raises(PermissionRefused):  # a clerk may not decide
        reviews.review_decide(actor=c.clerk, review=review)

    review = reviews.review_decide(actor=c.approver, review=review)

    enrolment = Enrolment.objects.get(pk=family.enrolment.pk)
    assert enrolment.monthly_amount == Decimal("321.50")
    assert enrolment.state == EnrolmentState.ACTIVE
    assert review.status == ReviewStatus.DECIDED and review.old_amount != review.new_amount
    notice = IssuedDocument.objects.get(pk=review.notice_id)
    assert notice.kind == "change" and notice.object_id == enrolment.pk
    for action in (
        "assistance.review.propose",
        "assistance.review.decide",
        "assistance.enrolment.adjust",
    ):
        assert _actions(action) == 1
    with pytest.raises(Conflict):
        reviews.review_decide(actor=c.approver, review=review)


def test_maker_checker(world):
    c = cast(world)
    both = staff_create(
        actor=None,
        username="both_roles",
        full_name="何兼办",
        password=PASSWORD,
        grants=[
            (Role.TOWN_CLERK, world.regions[XINJIA]),
            (Role.COUNTY_APPROVER, world.regions[NANHU_REGION]),
        ],
    )
    review = reviews.review_propose(
        actor=both,
        review=_open_review(enrolled(c, 54, OLD).enrolment),
        outcome=ReviewOutcome.UNCHANGED,
        reason_code=ReviewReason.NO_CHANGE,
    )
    with pytest.raises(PermissionRefused):
        reviews.review_decide(actor=both, review=review)


def test_stop_for_income_keeps_the_graduated_exit(world, notices):
    c = cast(world)
    family = enrolled(c, 55, OLD)
    review = reviews.review_propose(
        actor=c.clerk,
        review=_open_review(family.enrolment),
        outcome=ReviewOutcome.STOP,
        reason_code=ReviewReason.INCOME_ABOVE_STANDARD,
    )
    assert review.graduated_exit_months == 12
    reviews.review_decide(actor=c.approver, review=review, today=today())

    enrolment = Enrolment.objects.get(pk=family.enrolment.pk)
    assert enrolment.state == EnrolmentState.STOPPED
    expected = reviews.add_months(max(today().replace(day=1), enrolment.start_month), 12)
    assert enrolment.end_month == enrolment.graduated_exit_end_month == expected
    assert IssuedDocument.objects.get(pk=Review.objects.get().notice_id).kind == "termination"


def test_stop_for_property_has_no_graduated_exit(world, notices):
    c = cast(world)
    family = enrolled(c, 56, OLD)
    review = reviews.review_propose(
        actor=c.clerk,
        review=_open_review(family.enrolment),
        outcome=ReviewOutcome.STOP,
        reason_code=ReviewReason.PROPERTY_ABOVE_LIMIT,
    )
    reviews.review_decide(actor=c.approver, review=review)
    enrolment = Enrolment.objects.get(pk=family.enrolment.pk)
    assert enrolment.state == EnrolmentState.STOPPED and enrolment.graduated_exit_end_month is None


def test_suspend_then_restore(world, notices):
    c = cast(world)
    family = enrolled(c, 57, OLD)
    first = reviews.review_propose(
        actor=c.clerk,
        review=_open_review(family.enrolment),
        outcome=ReviewOutcome.SUSPEND,
        reason_code=ReviewReason.NOT_COOPERATING,
    )
    reviews.review_decide(actor=c.approver, review=first)
    assert Enrolment.objects.get(pk=family.enrolment.pk).state == EnrolmentState.SUSPENDED

    second = Review.objects.create(
        enrolment=family.enrolment,
        region=family.enrolment.region,
        county=NANHU,
        kind=ReviewKind.TRIGGERED,
        period=today().replace(day=1),
        due_on=today(),
    )
    second = reviews.review_assess(actor=c.clerk, review=second)
    assert second.recommended_outcome == ReviewOutcome.RESTORE
    second = reviews.review_propose(
        actor=c.clerk,
        review=second,
        outcome=ReviewOutcome.RESTORE,
        reason_code=ReviewReason.CIRCUMSTANCES_RESTORED,
    )
    reviews.review_decide(actor=c.approver, review=second)
    assert Enrolment.objects.get(pk=family.enrolment.pk).state == EnrolmentState.ACTIVE


# --------------------------------------------------------------------------- standard change


def test_a_standard_change_recalculates_every_enrolment_as_the_rules_do(world):
    c = cast(world)
    families = [
        enrolled(c, 61, OLD),
        enrolled(c, 62, COUPLE),
        enrolled(c, 63, [dt.date(1948, 4, 5), dt.date(1950, 9, 9), dt.date(1953, 2, 3)]),
    ]
    month = today().replace(day=1)
    change = parameter_change_propose(
        actor=world.city_admin,
        path=f"assistance.dibao.standard.c{NANHU}",
        start=month,
        value=float(_standard(month) + 137),
        source_document="嘉政发〔2026〕98号",
    )
    with pytest.raises(Conflict):  # not confirmed: the preview has not been confirmed
        reviews.standard_change_recalculate_start(actor=None, change=change)
    change = parameter_change_confirm(actor=world.city_admin, change=change)
    before = {f.enrolment.pk: f.enrolment.monthly_amount for f in families}

    job = reviews.standard_change_recalculate_start(
        actor=world.city_admin, change=change, counties=[NANHU], enqueue=False
    )
    assert job_run_chunk(job_id=job.pk, key=NANHU)

    for family in families:
        enrolment = Enrolment.objects.get(pk=family.enrolment.pk)
        assert enrolment.monthly_amount == _rules_amount(family.members, month)
        assert enrolment.monthly_amount != before[enrolment.pk]
    rows = Review.objects.filter(kind=ReviewKind.STANDARD_CHANGE, parameter_change=change)
    assert rows.count() == 3
    assert set(rows.values_list("outcome", flat=True)) == {ReviewOutcome.ADJUST}
    assert _actions("assistance.enrolment.recalculate") == 1
    with pytest.raises(Conflict):  # once per change
        reviews.standard_change_recalculate_start(actor=None, change=change)


def test_a_change_in_force_later_is_recalculated_by_the_daily_task(
    world, django_capture_on_commit_callbacks
):
    c = cast(world)
    family = enrolled(c, 64, OLD)
    later = reviews.add_months(today().replace(day=1), 3)
    change = parameter_change_propose(
        actor=world.city_admin,
        path=f"assistance.dibao.standard.c{NANHU}",
        start=later,
        value=float(_standard(later) + 50),
        source_document="嘉政发〔2026〕97号",
    )
    change = parameter_change_confirm(actor=world.city_admin, change=change)
    with pytest.raises(Conflict):
        reviews.standard_change_recalculate_start(actor=None, change=change)
    assert reviews.standard_changes_due_start(today=today()) == []
    with django_capture_on_commit_callbacks(execute=True):  # the chunks run on commit
        started = reviews.standard_changes_due_start(today=later)
    assert len(started) == 1
    enrolment = Enrolment.objects.get(pk=family.enrolment.pk)
    assert enrolment.monthly_amount == _rules_amount(family.members, later)
