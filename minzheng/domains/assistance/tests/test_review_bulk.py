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
