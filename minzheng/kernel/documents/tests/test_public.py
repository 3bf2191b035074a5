"""The public verification page and the case-number look-up: status only, never personal data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from minzheng.kernel.documents import hooks
from minzheng.kernel.documents.hooks import PublicCaseStatus, TargetPolicy
from minzheng.kernel.documents.services import document_issue, document_revoke
from minzheng.kernel.people.models import Household

pytestmark = pytest.mark.django_db

CASE = "JX-330402-202611-0042"


@pytest.fixture
def family(world):
    return world.families["xinjia"]


@pytest.fixture
def full_id_number(family):
    from minzheng.common import crypto
    from minzheng.kernel.people.models import ID_NUMBER_PURPOSE

    return crypto.decrypt(family.head.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)


@pytest.fixture
def issued(world, family, full_id_number):
    """A notice whose context holds the name, the full ID number and the address."""
    return document_issue(
        actor=world.town_clerk,
        target=family.household,
        kind="acceptance",
        template="documents/notices/generic.html",
        context={
            "recipient": family.head.name,
            "paragraphs": [
                f"申请人{family.head.name}（公民身份号码{full_id_number}）的申请予以受理。"
            ],
            "details": [("家庭住址", family.household.address)],
        },
        title="最低生活保障申请受理通知书",
        authority="嘉兴市南湖区新嘉街道办事处",
        case_number=CASE,
    )


def verify_url(document) -> str:
    return reverse("documents:verify", kwargs={"code": document.verification_code})


def personal_data(world, family, full_id_number) -> list[str]:
    values = [full_id_number, family.household.address, family.head.id_number_masked]
    values += [member.name for member in family.members]
    values += [world.town_clerk.full_name, world.town_clerk.username]
    return values


def test_the_page_shows_the_document_and_no_personal_data(
    client, world, family, issued, full_id_number
):
    response = client.get(verify_url(issued))
    assert response.status_code == 200
    page = response.content.decode()
    assert "最低生活保障申请受理通知书" in page
    assert CASE in page
    assert "嘉兴市南湖区新嘉街道办事处" in page
    assert issued.number in page
    assert issued.sha256 in page
    with translation.override("zh-hans"):
        assert gettext("Valid") in page
        assert gettext("Revoked") not in page
    # The PDF does hold the name and the full ID number: the page must not.
    for value in personal_data(world, family, full_id_number):
        assert value not in page, value
    assert full_id_number[:6] + "*" not in page
    assert "no-store" in response["Cache-Control"]


def test_the_page_needs_no_login_and_works_for_anyone(client, issued, world):
    client.force_login(world.other_town_clerk)
    assert client.get(verify_url(issued)).status_code == 200


def test_a_revoked_document_shows_as_revoked(client, world, issued):
    document_revoke(actor=world.town_clerk, document=issued, reason="重新出具")
    response = client.get(verify_url(issued))
    assert response.status_code == 200
    page = response.content.decode()
    with translation.override("zh-hans"):
        revoked = gettext("Revoked")
        valid = gettext("Valid")
    assert f'data-field="status">{revoked}<' in page
    assert f'data-field="status">{valid}<' not in page
    assert "alert-danger" in page
    assert "重新出具" not in page  # the reason is internal


def test_the_page_shows_the_case_status_from_the_target_hook(client, world, issued, monkeypatch):
    class HouseholdPolicy(TargetPolicy):
        def public_status(self, target):
            return "公示中"

    monkeypatch.setitem(hooks.TARGET_POLICIES, Household, HouseholdPolicy())
    page = client.get(verify_url(issued)).content.decode()
    assert 'data-field="case_status">公示中<' in page


def test_without_a_hook_no_case_status_is_shown(client, issued):
    assert 'data-field="case_status"' not in client.get(verify_url(issued)).content.decode()


def test_an_unknown_code_gives_a_friendly_404_in_chinese(client):
    response = client.get("/v/" + "A" * 32 + "/")
    assert response.status_code == 404
    assert "documents/public_not_found.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert 'lang="zh-hans"' in page
    with translation.override("zh-hans"):
        assert gettext("Document not found") in page


def test_a_code_of_the_wrong_shape_is_not_routed(client):
    assert client.get("/v/short/").status_code == 404
    assert client.get("/v/" + "a" * 65 + "/").status_code == 404


def test_unknown_codes_are_rate_limited(client, settings, issued):
    settings.DOCUMENTS_LOOKUP_LIMIT = 3
    statuses = [client.get("/v/" + f"{i:032d}" + "/").status_code for i in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
    # A genuine code still opens: only misses count.
    assert client.get(verify_url(issued)).status_code == 200
    # Another address has its own count.
    assert client.get("/v/" + "9" * 32 + "/", REMOTE_ADDR="10.0.0.9").status_code == 404


def test_case_number_lookup_by_a_registered_resolver(client, monkeypatch):
    def resolver(number):
        if number == "DB-2026-1":
            return PublicCaseStatus(
                case_number=number,
                status="审批通过",
                title="最低生活保障申请",
                since=dt.date(2026, 11, 2),
                authority="嘉兴市南湖区民政局",
            )
        return None

    monkeypatch.setattr(hooks, "CASE_STATUS_RESOLVERS", [])
    from minzheng.kernel.documents import selectors

    monkeypatch.setattr(selectors, "CASE_STATUS_RESOLVERS", hooks.CASE_STATUS_RESOLVERS)
    hooks.register_case_status_resolver(resolver)
    page = client.get(reverse("documents:lookup"), {"case_number": "DB-2026-1"}).content.decode()
    assert 'data-field="status"><strong>审批通过<' in page
    assert "最低生活保障申请" in page
    assert "嘉兴市南湖区民政局" in page
    page = client.get(reverse("documents:lookup"), {"case_number": "DB-2026-2"}).content.decode()
    assert 'data-field="not_found"' in page


def test_case_number_lookup_falls_back_to_issued_documents(
    client, world, family, issued, full_id_number
):
    page = client.get(reverse("documents:lookup"), {"case_number": CASE}).content.decode()
    assert 'data-field="status"' in page
    assert "最低生活保障申请受理通知书" in page
    for value in personal_data(world, family, full_id_number):
        assert value not in page, value


def test_case_number_lookup_uses_the_target_hook(client, issued, monkeypatch):
    class HouseholdPolicy(TargetPolicy):
        def public_status(self, target):
            return "已受理，入户调查中"

    monkeypatch.setitem(hooks.TARGET_POLICIES, Household, HouseholdPolicy())
    page = client.get(reverse("documents:lookup"), {"case_number": CASE}).content.decode()
    assert 'data-field="status"><strong>已受理，入户调查中<' in page


def test_case_number_lookup_validates_and_is_rate_limited(client, settings):
    settings.DOCUMENTS_LOOKUP_LIMIT = 2
    response = client.get(reverse("documents:lookup"), {"case_number": "<script>"})
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    statuses = [
        client.get(reverse("documents:lookup"), {"case_number": f"X-{i}"}).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 429, 429]


def test_the_lookup_form_page(client):
    response = client.get(reverse("documents:lookup"))
    assert response.status_code == 200
    assert 'name="case_number"' in response.content.decode()


def test_case_number_lookup_of_a_revoked_notice_says_revoked(client, world, issued):
    document_revoke(actor=world.town_clerk, document=issued, reason="重新出具")
    page = client.get(reverse("documents:lookup"), {"case_number": CASE}).content.decode()
    with translation.override("zh-hans"):
        expected = gettext("%(title)s revoked") % {"title": "最低生活保障申请受理通知书"}
    assert f'data-field="status"><strong>{expected}<' in page
