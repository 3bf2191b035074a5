"""GET /persons, /persons/{id}, /households, /households/{id} and the ID-number reveal."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.services import person_move_household, person_update
from minzheng.web.api.tests.helpers import assert_problem

pytestmark = pytest.mark.django_db

XINJIA_HEAD_ID = make_id_number("330402", dt.date(1968, 5, 4), 11)


def _names(response):
    assert response.status_code == 200, response.content
    return sorted(item["name"] for item in response.json()["items"])


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("town_clerk", ["张小明", "张建国", "李秀张"]),
        ("other_town_clerk", ["李秀王", "王小明", "王建国"]),
        ("village_worker", ["张小明", "张建国", "李秀张"]),
        ("county_approver", ["张小明", "张建国", "李秀张"]),
        ("city_admin", ["张小明", "张建国", "李秀张", "李秀王", "王小明", "王建国"]),
        ("auditor", ["张小明", "张建国", "李秀张", "李秀王", "王小明", "王建国"]),
    ],
)
def test_person_list_is_scoped_to_the_personas_regions(api_as, persona, expected):
    assert _names(api_as(persona).get("persons")) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zjg", ["张建国"]),
        ("zhang", ["张小明", "张建国"]),
        ("张建", ["张建国"]),
        ("13900000011", ["张建国"]),
        (XINJIA_HEAD_ID, ["张建国"]),
        ("王", []),  # the 王店镇 family is outside 新嘉街道
        ("wjg", []),
        ("  ", ["张小明", "张建国", "李秀张"]),
        ("%", []),
        ("ﷺ\U0001f600\u200b", []),
    ],
)
def test_person_search_uses_the_back_office_rules(api_as, query, expected):
    assert _names(api_as("town_clerk").get("persons", q=query)) == expected


def test_person_list_item_is_masked(api_as, world):
    item = api_as("town_clerk").get("persons", q="zjg").json()["items"][0]
    assert item == {
        "id": world.families["xinjia"].head.pk,
        "name": "张建国",
        "sex": "M",
        "birth_date": "1968-05-04",
        "id_number_masked": XINJIA_HEAD_ID[:6] + "********" + XINJIA_HEAD_ID[-4:],
        "phone_masked": "139****0011",
        "residence_region": {
            "code": "330402009001001",
            "name": "新嘉社区第一网格",
            "level": "grid",
        },
        "registered_region": {
            "code": "330402009001001",
            "name": "新嘉社区第一网格",
            "level": "grid",
        },
        "death_date": None,
    }


def test_pagination(api_as):
    client = api_as("city_admin")
    first = client.get("persons", limit=4).json()
    second = client.get("persons", limit=4, offset=4).json()
    assert (first["count"], first["limit"], first["offset"], len(first["items"])) == (6, 4, 0, 4)
    assert (second["count"], second["offset"], len(second["items"])) == (6, 4, 2)
    ids = [p["id"] for p in first["items"] + second["items"]]
    assert len(set(ids)) == 6
    assert client.get("persons").json()["limit"] == 20
    assert client.get("persons", offset=100).json()["items"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "5.0"}, "limit"),
        ({"limit": " 5"}, "limit"),
        ({"offset": "1_0"}, "offset"),
        ({"offset": "0.0"}, "offset"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**30}, "offset"),
        ({"q": "x" * 101}, "q"),
        ({"q": "张\x00"}, "q"),
    ],
)
def test_invalid_query_parameters_are_422(api_as, params, field):
    for path in ("persons", "households"):
        body = assert_problem(api_as("city_admin").get(path, **params), 422, "validation_failed")
        assert [(e["field"], e["location"]) for e in body["errors"]] == [(field, "query")]


def test_person_detail(api_as, world):
    family = world.families["xinjia"]
    body = api_as("town_clerk").get(f"persons/{family.members[2].pk}").json()
    assert body["name"] == "张小明"
    assert body["is_student"] is True
    assert body["disability_category"] is None
    assert body["work_ability"] == "full"
    assert body["memberships"] == [
        {
            "relation": "child",
            "start_date": "2012-01-20",
            "end_date": None,
            "end_reason": "",
            "region": {"code": "330402009001001", "name": "新嘉社区第一网格", "level": "grid"},
            "household": {
                "id": family.household.pk,
                "address": family.household.address,
                "region": {
                    "code": "330402009001001",
                    "name": "新嘉社区第一网格",
                    "level": "grid",
                },
            },
        }
    ]


def test_a_past_household_outside_the_scope_is_not_shown(api_as, world):
    # 王小明 moves from 王店镇 into the 新嘉街道 household.
    mover = world.families["wangdian"].members[2]
    person_move_household(
        actor=None,
        person=mover,
        household=world.families["xinjia"].household,
        relation="other",
        move_date=dt.date(2024, 3, 1),
        reason="投靠亲属",
    )
    person_update(actor=None, person=mover, residence_region=world.regions["xinjia_grid"])
    body = api_as("town_clerk").get(f"persons/{mover.pk}").json()
    current, past = body["memberships"]
    assert current["household"]["id"] == world.families["xinjia"].household.pk
    assert past["end_date"] == "2024-03-01"
    assert past["region"]["name"] == "王店村第一网格"
    assert past["household"] is None
    assert "王店镇幸福路" not in str(body)
    # The 王店镇 clerk still sees their own (former) household and the history in full.
    history = api_as("other_town_clerk").get(f"persons/{mover.pk}").json()["memberships"]
    assert history[1]["household"]["id"] == world.families["wangdian"].household.pk


@pytest.mark.parametrize("persona", ["town_clerk", "village_worker", "county_approver"])
def test_out_of_scope_person_and_household_are_404(api_as, world, persona):
    wangdian = world.families["wangdian"]
    client = api_as(persona)
    assert_problem(client.get(f"persons/{wangdian.head.pk}"), 404, "person_not_found")
    assert_problem(client.get(f"households/{wangdian.household.pk}"), 404, "household_not_found")


@pytest.mark.parametrize("path", ["persons", "households"])
@pytest.mark.parametrize(
    "object_id", ["0", "-1", str(2**63), "9" * 40, "abc", "1.5", "1.0", "1_0", "+1", "%201"]
)
def test_malformed_ids_are_422(api_as, path, object_id):
    body = assert_problem(api_as("city_admin").get(f"{path}/{object_id}"), 422)
    assert body["errors"][0]["location"] == "path"


def test_unknown_ids_are_404(api_as):
    assert_problem(api_as("city_admin").get(f"persons/{2**63 - 1}"), 404, "person_not_found")
    assert_problem(api_as("city_admin").get("households/999999"), 404, "household_not_found")


def test_household_list(api_as, world):
    body = api_as("town_clerk").get("households").json()
    household = world.families["xinjia"].household
    assert body["count"] == 1
    [item] = body["items"]
    assert item["id"] == household.pk
    assert item["address"] == household.address
    assert item["member_count"] == 3
    assert item["head"]["name"] == "张建国"
    assert item["region"]["code"] == "330402009001001"


@pytest.mark.parametrize(
    ("query", "count"), [("zjg", 1), ("幸福路", 1), ("新嘉街道幸福路11号", 1), ("wjg", 0)]
)
def test_household_search(api_as, query, count):
    assert api_as("town_clerk").get("households", q=query).json()["count"] == count


def test_household_detail_shows_current_and_past_members(api_as, world):
    family = world.families["xinjia"]
    person_move_household(
        actor=None,
        person=family.members[2],
        household=world.families["wangdian"].household,
        relation="other",
        move_date=dt.date(2025, 9, 1),
        reason="上学",
    )
    body = api_as("town_clerk").get(f"households/{family.household.pk}").json()
    assert [m["person"]["name"] for m in body["members"]] == ["张建国", "李秀张"]
    assert [m["relation"] for m in body["members"]] == ["head", "spouse"]
    [past] = body["past_members"]
    assert past["person"]["name"] == "张小明"
    assert (past["end_date"], past["end_reason"]) == ("2025-09-01", "上学")


def test_reveal_returns_the_full_number_and_writes_an_audit_event(api_as, world):
    head = world.families["xinjia"].head
    client = api_as("town_clerk")
    before = AuditEvent.objects.count()
    response = client.post(f"persons/{head.pk}/reveal-id-number", {"reason": "核对低保申请材料"})
    assert response.status_code == 200, response.content
    assert response.json() == {"person_id": head.pk, "id_number": XINJIA_HEAD_ID}
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.order_by("-seq").first()
    assert AuditEvent.objects.count() == before + 1
    assert event.action == "people.person.reveal_id_number"
    assert event.actor == world.town_clerk
    assert (event.object_id, event.reason) == (str(head.pk), "核对低保申请材料")
    assert event.ip_address == "127.0.0.1"


@pytest.mark.parametrize("persona", ["village_worker", "auditor"])
def test_reveal_needs_the_permission(api_as, world, persona):
    head = world.families["xinjia"].head
    client = api_as(persona)
    before = AuditEvent.objects.count()
    response = client.post(f"persons/{head.pk}/reveal-id-number", {"reason": "查看"})
    body = assert_problem(response, 403, "reveal_denied")
    assert XINJIA_HEAD_ID not in response.content.decode()
    assert body["detail"]
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "validation_failed"),
        ({"reason": ""}, "validation_failed"),
        ({"reason": "   "}, "validation_failed"),
        ({"reason": "x" * 501}, "validation_failed"),
        ({"reason": 12}, "validation_failed"),
    ],
)
def test_reveal_needs_a_reason(api_as, world, payload, code):
    head = world.families["xinjia"].head
    client = api_as("town_clerk")
    before = AuditEvent.objects.count()
    response = client.post(f"persons/{head.pk}/reveal-id-number", payload)
    body = assert_problem(response, 422, code)
    assert [e["field"] for e in body["errors"]] == ["reason"]
    assert AuditEvent.objects.count() == before


def test_reveal_outside_the_scope_is_404_and_not_audited(api_as, world):
    client = api_as("town_clerk")
    before = AuditEvent.objects.count()
    response = client.post(
        f"persons/{world.families['wangdian'].head.pk}/reveal-id-number", {"reason": "查看"}
    )
    assert_problem(response, 404, "person_not_found")
    assert AuditEvent.objects.count() == before


def test_reveal_with_a_body_that_is_not_json_is_400(api_as, world):
    client = api_as("town_clerk")
    response = client.client.post(
        f"/api/v1/persons/{world.families['xinjia'].head.pk}/reveal-id-number",
        "{not json",
        content_type="application/json",
        headers=client.headers,
    )
    assert_problem(response, 400, "bad_request")
