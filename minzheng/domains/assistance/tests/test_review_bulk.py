"""The bulk write of recalculated enrolment amounts (standard change recalculation)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from minzheng.domains.assistance.models import Enrolment
from minzheng.domains.assistance.services import review as reviews
from minzheng.domains.assistance.tests.test_casework_support import cast
from minzheng.domains.assistance.tests.test_review_support import enrolled

pytestmark = pytest.mark.django_db

OLD = [dt.date(1950, 3, 1)]


def test_bulk_set_amounts_writes_each_enrolment_its_own_amount(world, monkeypatch):
    c = cast(world)
    families = [enrolled(c, 71 + i, OLD) for i in range(5)]
    ids = [f.enrolment.pk for f in families]
    untouched = ids.pop()
    before = Enrolment.objects.get(pk=untouched)
    # Distinct amounts, one of them shared by two enrolments; a tiny statement size so that
    # the ids are split over several statements.
    changed = {
        Decimal("101.10"): [ids[0], ids[3]],
        Decimal("202.20"): [ids[1]],
        Decimal("303.30"): [ids[2]],
    }
    monkeypatch.setattr(reviews, "BULK_UPDATE", 2)
    monkeypatch.setattr(reviews, "CHUNK", 2)
    reviews._bulk_set_amounts(changed)

    amounts = dict(Enrolment.objects.filter(pk__in=ids).values_list("pk", "monthly_amount"))
    assert amounts == {
        ids[0]: Decimal("101.10"),
        ids[1]: Decimal("202.20"),
        ids[2]: Decimal("303.30"),
        ids[3]: Decimal("101.10"),
    }
    after = Enrolment.objects.get(pk=untouched)
    assert after.monthly_amount == before.monthly_amount
    assert after.updated_at == before.updated_at
    assert all(e.updated_at > before.updated_at for e in Enrolment.objects.filter(pk__in=ids))


def test_bulk_set_amounts_with_nothing_changed_writes_nothing(world):
    c = cast(world)
    family = enrolled(c, 79, OLD)
    before = Enrolment.objects.get(pk=family.enrolment.pk)
    reviews._bulk_set_amounts({})
    after = Enrolment.objects.get(pk=family.enrolment.pk)
    assert (after.monthly_amount, after.updated_at) == (before.monthly_amount, before.updated_at)


def _change(world):  # type: ignore[no-untyped-def]
    from minzheng.domains.assistance.tests.test_casework_support import today
    from minzheng.domains.assistance.tests.test_payroll_back_pay import _standard
    from minzheng.domains.assistance.tests.test_payroll_support import NANHU
    from minzheng.kernel.parameters.services import (
        parameter_change_confirm,
        parameter_change_propose,
    )

    month = today().replace(day=1)
    change = parameter_change_propose(
        actor=world.city_admin,
        path=f"assistance.dibao.standard.c{NANHU}",
        start=month,
        value=float(_standard(month) + 10),
        source_document="嘉政发〔2026〕96号",
    )
    return parameter_change_confirm(actor=world.city_admin, change=change), month


def test_recalculation_reviews_record_each_outcome_once(world):
    """The set-based insert (PostgreSQL) writes the rows the ORM writes elsewhere."""
    from django.utils import timezone

    from minzheng.domains.assistance.models.review import (
        Review,
        ReviewKind,
        ReviewOutcome,
        ReviewReason,
        ReviewStatus,
        ReviewTrigger,
    )

    c = cast(world)
    families = [enrolled(c, 81 + i, OLD) for i in range(3)]
    adjusted, unchanged, unpaid = (f.enrolment for f in families)
    change, month = _change(world)
    now = timezone.now()
    rows = [
        (adjusted.pk, adjusted.region_id, Decimal("100.00"), Decimal("123.45")),
        (unchanged.pk, unchanged.region_id, Decimal("200.00"), Decimal("200.00")),
    ]
    kwargs = {"change_id": change.pk, "county": adjusted.county, "month": month, "now": now}
    reviews._record_standard_change_reviews(rows, **kwargs)
    # A single row whose outcome and reason are empty texts; then everything again.
    reviews._record_standard_change_reviews(
        [(unpaid.pk, unpaid.region_id, Decimal("300.00"), Decimal("0.00"))], **kwargs
    )
    reviews._record_standard_change_reviews(
        [(unchanged.pk, unchanged.region_id, Decimal("1.00"), Decimal("2.00"))], **kwargs
    )

    written = Review.objects.filter(parameter_change=change)
    assert written.count() == 3  # the repeat was left alone
    fields = (
        "status",
        "recommended_outcome",
        "recommended_amount",
        "outcome",
        "reason_code",
        "old_amount",
        "new_amount",
    )
    got = {r.enrolment_id: tuple(getattr(r, f) for f in fields) for r in written}
    assert got == {
        adjusted.pk: (
            ReviewStatus.DECIDED,
            ReviewOutcome.ADJUST,
            Decimal("123.45"),
            ReviewOutcome.ADJUST,
            ReviewReason.STANDARD_CHANGED,
            Decimal("100.00"),
            Decimal("123.45"),
        ),
        unchanged.pk: (
            ReviewStatus.DECIDED,
            ReviewOutcome.UNCHANGED,
            Decimal("200.00"),
            ReviewOutcome.UNCHANGED,
            ReviewReason.STANDARD_CHANGED,
            Decimal("200.00"),
            Decimal("200.00"),
        ),
        unpaid.pk: (
            ReviewStatus.OPEN,
            ReviewOutcome.STOP,
            Decimal("0.00"),
            "",
            "",
            Decimal("300.00"),
            None,
        ),
    }
    for review in written:
        assert review.kind == ReviewKind.STANDARD_CHANGE
        assert review.triggers == [ReviewTrigger.STANDARD]
        assert (review.period, review.due_on, review.county) == (month, month, adjusted.county)
        assert (review.assessment, review.note, review.interval_months) == ({}, "", 12)
        assert review.region_id == adjusted.region_id
        assert review.created_at >= now
        assert review.decided_at == (None if review.enrolment_id == unpaid.pk else now)
