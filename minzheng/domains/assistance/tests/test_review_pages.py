"""Review pages: the town worklist (overdue first, scoped), the review page and its forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from minzheng.domains.assistance.models import Enrolment
from minzheng.domains.assistance.models.review import Review, ReviewKind, ReviewStatus
from minzheng.domains.assistance.tests.test_casework_support import cast, today
from minzheng.domains.assistance.tests.test_review_support import enrolled

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _review(enrolment: Enrolment, due: dt.date) -> Review:
    return Review.objects.create(
        enrolment=enrolment,
        region=enrolment.region,
        county=enrolment.county,
        kind=ReviewKind.SCHEDULED,
        period=due.replace(day=1),
        due_on=due,
    )


def test_the_worklist_shows_overdue_first_and_only_the_actors_towns(world):
    c = cast(world)
    later = _review(enrolled(c, 81, [dt.date(1950, 1, 1)]).enrolment, today() + dt.timedelta(20))
    overdue = _review(enrolled(c, 82, [dt.date(1951, 1, 1)]).enrolment, today() - dt.timedelta(9))

    body = _client(c.clerk).get(reverse("assistance:reviews")).content.decode()
    assert body.index(f"/reviews/{overdue.pk}/") < body.index(f"/reviews/{later.pk}/")

    other = _client(world.other_town_clerk)
    assert (
        f"/reviews/{overdue.pk}/" not in other.get(reverse("assistance:reviews")).content.decode()
    )
    assert other.get(reverse("assistance:review", args=[overdue.pk])).status_code == 404


def test_propose_then_decide_through_the_pages(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    c = cast(world)
    family = enrolled(c, 83, [dt.date(1950, 1, 1)])
    review = _review(family.enrolment, today())
    url = reverse("assistance:review", args=[review.pk])

    page = _client(c.clerk).get(url)
    assert page.status_code == 200 and 'data-testid="propose"' in page.content.decode()
    _client(c.clerk).post(reverse("assistance:review_assess", args=[review.pk]))
    review.refresh_from_db()
    assert review.recommended_outcome == "unchanged"

    # Without a reason code the proposal is refused and nothing changes.
    _client(c.clerk).post(
        reverse("assistance:review_propose", args=[review.pk]),
        {"outcome": "adjust", "reason_code": "", "new_amount": "500"},
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN

    _client(c.clerk).post(
        reverse("assistance:review_propose", args=[review.pk]),
        {"outcome": "adjust", "reason_code": "income_changed", "new_amount": "500.00"},
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.PROPOSED
    assert 'data-testid="decide"' in _client(c.approver).get(url).content.decode()

    response = _client(c.approver).post(reverse("assistance:review_decide", args=[review.pk]))
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.DECIDED and review.notice_id is not None
    assert Enrolment.objects.get(pk=family.enrolment.pk).monthly_amount == Decimal("500.00")


def test_confirming_a_change_from_its_preview_recalculates_the_enrolments(
    world, django_capture_on_commit_callbacks
):
    from minzheng.domains.assistance.tests.test_payroll_back_pay import _rules_amount, _standard
    from minzheng.domains.assistance.whatif import whatif_cache_clear
    from minzheng.kernel.parameters.services import parameter_change_propose

    whatif_cache_clear()
    c = cast(world)
    family = enrolled(c, 84, [dt.date(1950, 1, 1), dt.date(1952, 2, 2)])
    month = today().replace(day=1)
    change = parameter_change_propose(
        actor=world.city_admin,
        path="assistance.dibao.standard.c330402",
        start=month,
        value=float(_standard(month) + 90),
        source_document="嘉政发〔2026〕96号",
    )
    client = _client(world.city_admin)
    token = client.get(reverse("assistance:change", args=[change.pk])).context["preview_token"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("assistance:change_confirm", args=[change.pk]), {"preview": token}
        )
    whatif_cache_clear()

    assert response.status_code == 302
    enrolment = Enrolment.objects.get(pk=family.enrolment.pk)
    assert enrolment.monthly_amount == _rules_amount(family.members, month)
    assert Review.objects.filter(
        kind=ReviewKind.STANDARD_CHANGE, parameter_change=change, enrolment=enrolment
    ).exists()
