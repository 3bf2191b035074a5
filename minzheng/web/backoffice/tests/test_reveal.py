"""Revealing a full ID number: permission, a required reason, and an audit event each time."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minzheng.common import crypto
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE
from minzheng.web.backoffice.tests.conftest import HTMX

REVEAL = "people.person.reveal_id_number"


@pytest.fixture
def head(world):  # type: ignore[no-untyped-def]
    return world.families["xinjia"].head


@pytest.fixture
def full_number(head) -> str:  # type: ignore[no-untyped-def]
    return crypto.decrypt(head.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)


def reveal_url(person) -> str:  # type: ignore[no-untyped-def]
    return reverse("backoffice:person_reveal", args=[person.pk])


def test_clerk_reveals_in_place_with_a_reason_and_the_reveal_is_audited(
    login, world, head, full_number
):
    response = login(world.town_clerk).post(reveal_url(head), {"reason": "核对申请材料"}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert 'id="id-number-field"' in page
    assert full_number in page
    assert "本次查看已记入审计日志" in page
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action=REVEAL)
    assert event.actor == world.town_clerk
    assert event.object_id == str(head.pk)
    assert event.reason == "核对申请材料"
    assert event.region_code == head.residence_region.code


def test_each_reveal_is_a_new_audit_event(login, world, head):
    client = login(world.town_clerk)
    client.post(reveal_url(head), {"reason": "核对"}, **HTMX)
    client.post(reveal_url(head), {"reason": "再次核对"}, **HTMX)
    assert AuditEvent.objects.filter(action=REVEAL).count() == 2


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(login, world, head, full_number, reason):
    response = login(world.town_clerk).post(reveal_url(head), {"reason": reason}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 422
    assert "请填写查看完整公民身份号码的事由" in page
    assert full_number not in page
    assert not AuditEvent.objects.filter(action=REVEAL).exists()


@pytest.mark.parametrize("persona", ["village_worker", "auditor"])
def test_roles_without_the_permission_are_refused(login, world, head, full_number, persona):
    response = login(world.personas[persona]).post(reveal_url(head), {"reason": "好奇"}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 403
    assert "您无权查看该人员的完整公民身份号码" in page
    assert full_number not in page
    assert not AuditEvent.objects.filter(action=REVEAL).exists()


def test_county_approver_may_reveal_in_the_county(login, world, head, full_number):
    response = login(world.county_approver).post(reveal_url(head), {"reason": "审批核对"}, **HTMX)
    assert full_number in response.content.decode()


def test_reveal_is_post_only(login, world, head):
    assert login(world.town_clerk).get(reveal_url(head)).status_code == 405


def test_reveal_without_javascript_renders_the_whole_person_page(login, world, head, full_number):
    response = login(world.town_clerk).post(reveal_url(head), {"reason": "核对"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" in page
    assert "基本信息" in page
    assert full_number in page
    # The language switch must not send the user to the POST-only address.
    assert f'name="next" value="{reveal_url(head)}"' not in page


def test_the_number_is_masked_again_on_the_next_visit(login, world, head, full_number):
    client = login(world.town_clerk)
    client.post(reveal_url(head), {"reason": "核对"}, **HTMX)
    page = client.get(reverse("backoffice:person", args=[head.pk])).content.decode()
    assert full_number not in page
    assert head.id_number_masked in page
