"""The back-office pages of the policy parameters: reading, proposing, previewing, confirming."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from minzheng.domains.assistance.whatif import whatif_cache_clear
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.parameters.models import ChangeStatus, ParameterChange
from minzheng.kernel.parameters.selectors import parameter_history
from minzheng.kernel.parameters.services import parameter_change_propose

pytestmark = pytest.mark.django_db

PATH = "assistance.dibao.standard.c330402"
START = dt.date(2026, 7, 1)
NOTICE = "嘉兴市民政局《关于调整最低生活保障标准的通知》(测试)"


@pytest.fixture
def client() -> Client:
    """A browser that asks for Simplified Chinese, as the city's staff do."""
    return Client(HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _fresh_cache():
    whatif_cache_clear()
    yield
    whatif_cache_clear()


def html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def propose(world, value: str = "1200", path: str = PATH) -> ParameterChange:
    return parameter_change_propose(
        actor=world.city_admin, path=path, start=START, value=value, source_document=NOTICE
    )


# Reading -----------------------------------------------------------------------------------


def test_a_reader_sees_the_parameters_by_programme_with_the_unconfirmed_badge(
    login, world, django_assert_max_num_queries
):
    client = login(world.town_clerk)
    with django_assert_max_num_queries(12):  # not one query per parameter
        response = client.get(reverse("assistance:parameters"))
    assert response.status_code == 200
    body = html(response)
    assert "最低生活保障标准" in body and "南湖区 (330402)" in body
    assert "多维度贫困指数" in body and "最低工资标准" in body
    assert reverse("assistance:parameter", args=[PATH]) in body
    assert "data-unconfirmed" in body
    assert reverse("assistance:parameters") in body  # the side navigation entry


def test_the_filter_keeps_only_unconfirmed_values(login, world):
    client = login(world.town_clerk)
    everything = html(client.get(reverse("assistance:parameters")))
    only = html(client.get(reverse("assistance:parameters"), {"unconfirmed": "1"}))
    # 两线合一 (same_line_as_marginal) is a confirmed value: it goes away under the filter.
    confirmed = reverse(
        "assistance:parameter", args=["assistance.graduated_exit.exit_grace_months"]
    )
    assert confirmed in everything
    assert confirmed not in only
    assert reverse("assistance:parameter", args=[PATH]) in only


def test_english_pages_show_the_english_label_under_the_chinese_one(world):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(world.town_clerk)
    body = html(client.get(reverse("assistance:parameters")))
    assert "最低生活保障标准" in body and "Dibao standard" in body


def test_a_reader_sees_the_history_but_no_propose_form(login, world):
    propose(world)
    client = login(world.town_clerk)
    response = client.get(reverse("assistance:parameter", args=[PATH]))
    assert response.status_code == 200
    body = html(response)
    assert "2023-07-01" in body and "2022-01-01" in body
    assert body.index("2023-07-01") < body.index("2022-01-01")  # newest first
    assert 'data-origin="baseline"' in body
    assert 'name="source_document"' not in body
    assert NOTICE in body  # the proposal waiting


def test_an_unknown_parameter_is_not_found(login, world):
    client = login(world.town_clerk)
    assert client.get(reverse("assistance:parameter", args=["no.such.thing"])).status_code == 404
    assert client.get(reverse("assistance:parameter", args=["assistance.dibao"])).status_code == 404


def test_residents_are_sent_to_the_portal(client, world):
    client.force_login(world.resident)
    response = client.get(reverse("assistance:parameters"))
    assert response.status_code == 302


# Proposing, previewing, confirming ---------------------------------------------------------


def test_city_admin_proposes_previews_and_confirms(login, world):
    client = login(world.city_admin)
    detail = reverse("assistance:parameter", args=[PATH])
    assert 'name="source_document"' in html(client.get(detail))

    response = client.post(
        detail,
        {"start": START.isoformat(), "value": "1200", "source_document": NOTICE, "note": "测试"},
    )
    change = ParameterChange.objects.get(path=PATH)
    assert change.status == ChangeStatus.PROPOSED and change.value == 1200
    assert response.status_code == 302
    assert response["Location"] == reverse("assistance:change", args=[change.pk])

    preview = client.get(response["Location"])
    assert preview.status_code == 200
    body = html(preview)
    assert "data-whatif" in body and "南湖区" in body  # the table by county
    assert 'name="preview"' in body
    token = preview.context["preview_token"]
    assert preview.context["lines"][0].code == "330402"

    response = client.post(
        reverse("assistance:change_confirm", args=[change.pk]), {"preview": token}
    )
    assert response.status_code == 302
    assert response["Location"] == detail
    change.refresh_from_db()
    assert change.status == ChangeStatus.CONFIRMED and change.decided_by == world.city_admin
    assert AuditEvent.objects.filter(action="parameters.change.confirm").exists()

    page = client.get(detail)
    newest = parameter_history(path=PATH)[0]
    assert newest.start == START.isoformat() and newest.from_database and not newest.unconfirmed
    body = html(page)
    item = body[body.index(f'data-start="{START.isoformat()}"') :]
    item = item[: item.index("</li>")]
    assert "1,200" in item and 'data-origin="database"' in item
    assert "data-unconfirmed" not in item
    assert NOTICE in item


def test_confirming_needs_the_preview(login, world):
    change = propose(world)
    client = login(world.city_admin)
    response = client.post(reverse("assistance:change_confirm", args=[change.pk]), {})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.PROPOSED


def test_a_preview_of_another_value_does_not_confirm(login, world):
    change = propose(world)
    other = propose(world, "1300")
    client = login(world.city_admin)
    token = client.get(reverse("assistance:change", args=[other.pk])).context["preview_token"]
    client.post(reverse("assistance:change_confirm", args=[change.pk]), {"preview": token})
    change.refresh_from_db()
    assert change.status == ChangeStatus.PROPOSED


def test_a_conflict_is_shown_as_a_message(login, world):
    first, second = propose(world), propose(world, "1300")
    client = login(world.city_admin)
    for change in (first, second):
        token = client.get(reverse("assistance:change", args=[change.pk])).context["preview_token"]
        response = client.post(
            reverse("assistance:change_confirm", args=[change.pk]), {"preview": token}, follow=True
        )
    assert response.status_code == 200
    assert "withdraw it first" in html(response) or "撤回" in html(response)
    second.refresh_from_db()
    assert second.status == ChangeStatus.PROPOSED


def test_city_admin_withdraws_a_proposal_with_a_reason(login, world):
    change = propose(world)
    client = login(world.city_admin)
    url = reverse("assistance:change_withdraw", args=[change.pk])
    client.post(url, {"reason": ""})
    change.refresh_from_db()
    assert change.status == ChangeStatus.PROPOSED
    response = client.post(url, {"reason": "文件号有误"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN
    event = AuditEvent.objects.get(action="parameters.change.withdraw")
    assert event.reason == "文件号有误"
    body = html(client.get(reverse("assistance:change", args=[change.pk])))
    assert 'name="preview"' not in body and "data-whatif" not in body


# Refusals ----------------------------------------------------------------------------------


def test_a_county_approver_cannot_propose_or_confirm(login, world):
    change = propose(world)
    client = login(world.county_approver)
    detail = reverse("assistance:parameter", args=[PATH])
    response = client.post(
        detail, {"start": START.isoformat(), "value": "999", "source_document": NOTICE}
    )
    assert response.status_code == 403
    assert client.post(reverse("assistance:change_confirm", args=[change.pk])).status_code == 403
    response = client.post(reverse("assistance:change_withdraw", args=[change.pk]), {"reason": "x"})
    assert response.status_code == 403
    page = client.get(reverse("assistance:change", args=[change.pk]))
    assert page.status_code == 200 and "data-whatif" not in html(page)
    assert ParameterChange.objects.count() == 1
    change.refresh_from_db()
    assert change.status == ChangeStatus.PROPOSED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"value": "一千二"}, "value"),
        ({"value": "-5"}, "value"),
        ({"source_document": "   "}, "source_document"),
        ({"start": "not a date"}, "start"),
    ],
)
def test_a_bad_value_is_a_field_error_and_nothing_is_saved(login, world, data, field):
    client = login(world.city_admin)
    form = {"start": START.isoformat(), "value": "1200", "source_document": NOTICE, **data}
    response = client.post(reverse("assistance:parameter", args=[PATH]), form)
    assert response.status_code == 422
    assert response.context["form"].errors[field]
    assert 'id="error-summary"' in html(response)
    assert not ParameterChange.objects.exists()
    assert not AuditEvent.objects.filter(action="parameters.change.propose").exists()


def test_a_yes_no_parameter_takes_yes_or_no(login, world):
    client = login(world.city_admin)
    url = reverse("assistance:parameter", args=["assistance.dibao.floor.enabled"])
    form = {"start": START.isoformat(), "source_document": NOTICE}
    assert client.post(url, {**form, "value": "maybe"}).status_code == 422
    assert client.post(url, {**form, "value": "是"}).status_code == 302
    assert ParameterChange.objects.get().value is True
