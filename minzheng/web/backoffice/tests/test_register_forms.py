"""Keeping the register in the back office: register, edit, households, members, moves.

Every form for the persona who may use it (success, audit event, message after redirect),
refusals for the others, and bad input that comes back as a field error with nothing saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.people.id_numbers import check_character, make_id_number
from minzheng.kernel.people.models import Household, Membership, Person, Relation
from minzheng.kernel.people.services import person_create
from minzheng.web.backoffice.tests.conftest import HTMX, add_households

NEW_ID = make_id_number("330402", dt.date(1985, 3, 15), 101)  # a man born 1985-03-15


def html(response: Any) -> str:
    return response.content.decode()


def english(client: Any) -> Any:
    """The language switch stores the choice in a cookie; the browser's language is ignored."""
    client.cookies["django_language"] = "en"
    return client


def grid_codes(world: Any, key: str = "xinjia_grid") -> list[str]:
    """What the region cascade posts for a grid: town, village, grid."""
    grid = world.regions[key]
    return [grid.parent.parent.code, grid.parent.code, grid.code]


def person_data(world: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": "赵新民",
        "id_number": NEW_ID,
        "phone": "13912345678",
        "registered_region": grid_codes(world),
        "residence_region": [""],
        "disability_grade": "",
        "disability_category": "",
        "work_ability": "full",
    }
    data.update(overrides)
    return data


def register_snapshot() -> tuple[int, int, int, int]:
    return (
        Person.objects.count(),
        Household.objects.count(),
        Membership.objects.count(),
        AuditEvent.objects.count(),
    )


def lone_person(world: Any, *, name: str = "钱独居", sequence: int = 301) -> Person:
    """A person of 新嘉街道 who lives in no household yet."""
    return person_create(
        actor=None,
        name=name,
        id_number=make_id_number("330402", dt.date(1950, 6, 1), sequence),
        registered_region=world.regions["xinjia_grid"],
    )


# Registering a person --------------------------------------------------------------------------


def test_register_page_offers_the_form_in_chinese(login, world):
    response = login(world.town_clerk).get(reverse("backoffice:person_new"))
    page = html(response)
    assert response.status_code == 200
    for label in ["姓名", "公民身份号码", "联系电话", "户籍地", "居住地", "残疾等级", "劳动能力"]:
        assert label in page, label
    # The clerk's own town is fixed; its villages are offered below it.
    assert "新嘉街道" in page and "新嘉社区" in page
    assert "王店" not in page
    assert 'hx-post="/persons/new/check-id/"' in page
    assert "data-submit-once" in page


def test_clerk_registers_a_person_with_sex_and_birth_date_from_the_id_number(login, world):
    client = login(world.town_clerk)
    response = client.post(reverse("backoffice:person_new"), person_data(world))
    person = Person.objects.get(name="赵新民")
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:person", args=[person.pk])
    assert (person.sex, person.birth_date) == ("M", dt.date(1985, 3, 15))
    assert person.registered_region == world.regions["xinjia_grid"]
    assert person.residence_region == world.regions["xinjia_grid"]  # same as registration
    assert person.phone == "13912345678"
    event = AuditEvent.objects.get(action="people.person.create", object_id=str(person.pk))
    assert event.actor == world.town_clerk
    assert event.region_code == world.regions["xinjia_grid"].code
    page = html(client.get(response["Location"]))
    assert "赵新民" in page and "1985-03-15" in page
    assert 'class="alert alert-success' in page


def test_register_records_circumstances_and_a_separate_residence(login, world):
    data = person_data(
        world,
        disability_grade="2",
        disability_category="physical",
        serious_illness="on",
        is_student="on",
        work_ability="partial",
        residence_region=grid_codes(world)[:2],  # lives in the village, no grid
    )
    assert login(world.town_clerk).post(reverse("backoffice:person_new"), data).status_code == 302
    person = Person.objects.get(name="赵新民")
    assert (person.disability_grade, person.disability_category) == (2, "physical")
    assert person.serious_illness and person.is_student
    assert person.work_ability == "partial"
    assert person.residence_region == world.regions["xinjia_village"]


BAD_ID_NUMBERS = [
    (
        NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1"),
        "公民身份号码校验位不正确",
        "The check character of the ID number is wrong",
    ),
    (
        "33040219990231123" + check_character("33040219990231123"),
        "公民身份号码中的出生日期（19990231）不是有效日期",
        "(19990231) is not a real date",
    ),
    (
        "33040220990101123" + check_character("33040220990101123"),
        "公民身份号码中的出生日期（2099-01-01）晚于今天",
        "(2099-01-01) is in the future",
    ),
    ("33040219850315", "公民身份号码应为 18 位，当前为 14 位", "this one has 14"),
    ("3304021985A315101X", "公民身份号码由 17 位数字加 1 位数字或 X 组成", "17 digits followed by"),
]


@pytest.mark.parametrize(("id_number", "chinese", "english_text"), BAD_ID_NUMBERS)
def test_a_bad_id_number_is_refused_in_chinese_and_nothing_is_saved(
    login, world, id_number, chinese, english_text
):
    before = register_snapshot()
    response = login(world.town_clerk).post(
        reverse("backoffice:person_new"), person_data(world, id_number=id_number)
    )
    page = html(response)
    assert response.status_code == 422
    assert chinese in page
    assert 'id="id_id_number_error"' in page
    assert 'aria-invalid="true"' in page
    assert register_snapshot() == before


@pytest.mark.parametrize(("id_number", "chinese", "english_text"), BAD_ID_NUMBERS)
def test_a_bad_id_number_is_refused_in_english_after_the_switch(
    login, world, id_number, chinese, english_text
):
    before = register_snapshot()
    client = english(login(world.town_clerk))
    response = client.post(
        reverse("backoffice:person_new"),
        person_data(world, id_number=id_number),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    page = html(response)
    assert response.status_code == 422
    assert english_text in page
    assert chinese not in page
    assert register_snapshot() == before


@pytest.mark.parametrize(("id_number", "chinese", "english_text"), BAD_ID_NUMBERS)
def test_the_live_check_explains_a_bad_id_number(login, world, id_number, chinese, english_text):
    client = login(world.town_clerk)
    url = reverse("backoffice:person_check_id")
    assert chinese in html(client.post(url, {"id_number": id_number}, **HTMX))
    assert english_text in html(english(client).post(url, {"id_number": id_number}, **HTMX))


def test_the_live_check_shows_sex_and_birth_date_and_never_the_number(login, world):
    response = login(world.town_clerk).post(
        reverse("backoffice:person_check_id"), {"id_number": NEW_ID}, **HTMX
    )
    page = html(response)
    assert response.status_code == 200
    assert "<html" not in page
    assert "男 · 1985-03-15" in page
    assert NEW_ID not in page
    assert "no-store" in response["Cache-Control"]


def test_the_live_check_warns_of_a_number_already_in_the_register(login, world):
    head = world.families["xinjia"].head
    number = make_id_number("330402", dt.date(1968, 5, 4), 11)
    page = html(
        login(world.town_clerk).post(
            reverse("backoffice:person_check_id"), {"id_number": number}, **HTMX
        )
    )
    assert "人口信息库中已有该公民身份号码的人员" in page
    assert reverse("backoffice:person", args=[head.pk]) in page


def test_the_live_check_answers_posts_only(login, world):
    response = login(world.town_clerk).get(
        reverse("backoffice:person_check_id"), {"id_number": NEW_ID}
    )
    assert response.status_code == 405


def test_a_duplicate_id_number_gets_a_friendly_message_and_one_person(login, world):
    client = login(world.town_clerk)
    data = person_data(world)
    first = client.post(reverse("backoffice:person_new"), data)
    second = client.post(reverse("backoffice:person_new"), data)  # a double submit
    assert first.status_code == 302
    assert second.status_code == 422
    page = html(second)
    assert "人口信息库中已有该公民身份号码的人员" in page
    person = Person.objects.get(name="赵新民")
    assert reverse("backoffice:person", args=[person.pk]) in page  # a way to the record
    assert Person.objects.filter(name="赵新民").count() == 1
    assert (
        AuditEvent.objects.filter(action="people.person.create", actor=world.town_clerk).count()
        == 1
    )


def test_a_duplicate_met_only_by_the_service_is_reported_on_the_field(login, world, monkeypatch):
    """Two clerks at once: the form's check passed, the unique digest refuses the second."""
    monkeypatch.setattr(
        "minzheng.web.backoffice.forms.id_number_taken", lambda **kwargs: False, raising=True
    )
    client = login(world.town_clerk)
    client.post(reverse("backoffice:person_new"), person_data(world))
    response = client.post(reverse("backoffice:person_new"), person_data(world, name="赵重复"))
    assert response.status_code == 422
    assert "人口信息库中已有该公民身份号码的人员" in html(response)
    assert not Person.objects.filter(name="赵重复").exists()


def test_a_disability_grade_without_category_is_refused_on_the_field(login, world):
    before = register_snapshot()
    response = login(world.town_clerk).post(
        reverse("backoffice:person_new"), person_data(world, disability_grade="1")
    )
    page = html(response)
    assert response.status_code == 422
    assert "残疾等级和残疾类别须同时填写或同时留空" in page
    assert 'id="id_disability_category_error"' in page
    assert register_snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"id_number": ""}, "id_number"),
        ({"phone": "139-1234"}, "phone"),
        ({"registered_region": [""]}, "registered_region"),
        ({"registered_region": ["330402009"]}, "registered_region"),  # the town: too high
        ({"registered_region": ["330411105001001"]}, "registered_region"),  # 王店镇
        ({"residence_region": ["330411105", "330411105001"]}, "residence_region"),
    ],
)
def test_missing_or_foreign_values_come_back_as_field_errors(login, world, overrides, field):
    before = register_snapshot()
    response = login(world.town_clerk).post(
        reverse("backoffice:person_new"), person_data(world, **overrides)
    )
    assert response.status_code == 422
    assert f'id="id_{field}_error"' in html(response)
    assert register_snapshot() == before


def test_a_changed_upper_level_wins_over_stale_values_below_it(login, world):
    """Without JavaScript, changing the village leaves the old grid posted below it."""
    other_village = world.regions["xinjia_village"]
    data = person_data(world, residence_region=["330402009", other_village.code, "330402009999001"])
    assert login(world.town_clerk).post(reverse("backoffice:person_new"), data).status_code == 302
    assert Person.objects.get(name="赵新民").residence_region == other_village


def test_registering_first_then_creating_the_household_hands_the_person_over(login, world):
    client = login(world.town_clerk)
    response = client.post(
        reverse("backoffice:person_new") + "?then=household",
        {**person_data(world), "then": "household"},
    )
    person = Person.objects.get(name="赵新民")
    assert response["Location"] == f"{reverse('backoffice:household_new')}?head={person.pk}"
    page = html(client.get(response["Location"]))
    assert f'value="{person.pk}"' in page and "checked" in page


def test_then_accepts_only_known_destinations(login, world):
    data = {**person_data(world), "then": "https://example.com/"}
    response = login(world.town_clerk).post(reverse("backoffice:person_new"), data)
    assert response["Location"].startswith("/persons/")


# Editing a person ------------------------------------------------------------------------------


def test_clerk_edits_a_persons_facts_and_the_change_is_audited(login, world):
    child = world.families["xinjia"].members[2]
    client = login(world.town_clerk)
    page = html(client.get(reverse("backoffice:person_edit", args=[child.pk])))
    assert child.id_number_masked in page
    assert 'name="id_number"' not in page
    response = client.post(
        reverse("backoffice:person_edit", args=[child.pk]),
        {
            "name": child.name,
            "phone": "13800001111",
            "registered_region": grid_codes(world),
            "residence_region": grid_codes(world),
            "disability_grade": "3",
            "disability_category": "hearing",
            "work_ability": "none",
            "is_student": "on",
            "death_date": "",
            "id_number": "330402199901011234",  # not a field here: ignored
        },
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.phone, child.disability_grade, child.disability_category) == (
        "13800001111",
        3,
        "hearing",
    )
    assert child.work_ability == "none"
    assert child.birth_date == dt.date(2012, 1, 20)
    event = AuditEvent.objects.get(action="people.person.update", object_id=str(child.pk))
    assert event.actor == world.town_clerk
    assert set(event.changes) == {
        "phone",
        "disability_grade",
        "disability_category",
        "work_ability",
    }
    assert "alert-success" in html(client.get(response["Location"]))


def test_saving_an_unchanged_person_writes_nothing(login, world):
    child = world.families["xinjia"].members[2]
    before = register_snapshot()
    response = login(world.town_clerk).post(
        reverse("backoffice:person_edit", args=[child.pk]),
        {
            "name": child.name,
            "phone": "",
            "registered_region": grid_codes(world),
            "residence_region": grid_codes(world),
            "disability_grade": "",
            "disability_category": "",
            "work_ability": "full",
            "is_student": "on",
        },
    )
    assert response.status_code == 302
    assert register_snapshot() == before


def test_recording_a_death_reminds_to_end_the_membership(login, world):
    spouse = world.families["xinjia"].members[1]
    response = login(world.town_clerk).post(
        reverse("backoffice:person_edit", args=[spouse.pk]),
        {
            "name": spouse.name,
            "registered_region": grid_codes(world),
            "residence_region": grid_codes(world),
            "work_ability": "full",
            "death_date": "2024-02-03",
        },
        follow=True,
    )
    spouse.refresh_from_db()
    assert spouse.death_date == dt.date(2024, 2, 3)
    page = html(response)
    assert "alert-success" in page and "alert-info" in page
    assert "已故" in page


@pytest.mark.parametrize("death_date", ["2099-01-01", "2000-01-01"])
def test_a_date_of_death_in_the_future_or_before_birth_is_refused(login, world, death_date):
    child = world.families["xinjia"].members[2]  # born 2012
    response = login(world.town_clerk).post(
        reverse("backoffice:person_edit", args=[child.pk]),
        {
            "name": child.name,
            "registered_region": grid_codes(world),
            "residence_region": grid_codes(world),
            "work_ability": "full",
            "death_date": death_date,
        },
    )
    assert response.status_code == 422
    assert 'id="id_death_date_error"' in html(response)
    child.refresh_from_db()
    assert child.death_date is None


def test_a_person_registered_outside_the_clerks_regions_keeps_that_registration(login, world):
    """户籍 in 王店镇, living in 新嘉街道: the clerk edits the facts, not the foreign region."""
    person = person_create(
        actor=None,
        name="孙外来",
        id_number=make_id_number("330411", dt.date(1990, 2, 2), 401),
        registered_region=world.regions["wangdian_grid"],
        residence_region=world.regions["xinjia_grid"],
    )
    client = login(world.town_clerk)
    page = html(client.get(reverse("backoffice:person_edit", args=[person.pk])))
    assert "王店村第一网格" in page  # named as the current value, not offered as a choice
    response = client.post(
        reverse("backoffice:person_edit", args=[person.pk]),
        {
            "name": "孙外来",
            "phone": "13700000000",
            "registered_region": [""],
            "residence_region": grid_codes(world),
            "work_ability": "full",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == "13700000000"
    assert person.registered_region == world.regions["wangdian_grid"]


# Households and members ------------------------------------------------------------------------


def test_clerk_creates_a_household_with_a_head_found_by_search(login, world):
    head = lone_person(world)
    client = login(world.town_clerk)
    picked = html(client.get(reverse("backoffice:person_pick"), {"q": "qdj", "field": "head"}))
    assert f'name="head" value="{head.pk}"' in picked
    response = client.post(
        reverse("backoffice:household_new"),
        {
            "head": head.pk,
            "address": "新嘉街道和平路8号",
            "region": grid_codes(world),
            "start_date": "2024-03-01",
        },
    )
    household = Household.objects.get(address="新嘉街道和平路8号")
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:household", args=[household.pk])
    membership = household.memberships.get()
    assert (membership.person, membership.relation) == (head, Relation.HEAD)
    assert membership.start_date == dt.date(2024, 3, 1)
    assert AuditEvent.objects.filter(
        action="people.household.create", object_id=str(household.pk), actor=world.town_clerk
    ).exists()
    assert "alert-success" in html(client.get(response["Location"]))


def test_a_head_who_lives_in_another_household_is_refused(login, world):
    member = world.families["xinjia"].members[1]
    before = register_snapshot()
    client = login(world.town_clerk)
    picked = html(
        client.get(reverse("backoffice:person_pick"), {"q": member.name, "field": "head"})
    )
    assert "disabled" in picked and reverse("backoffice:person_move", args=[member.pk]) in picked
    response = client.post(
        reverse("backoffice:household_new"),
        {
            "head": member.pk,
            "address": "新嘉街道和平路9号",
            "region": grid_codes(world),
            "start_date": "2024-03-01",
        },
    )
    assert response.status_code == 422
    assert "已属于其他家庭，请办理迁移" in html(response)
    assert register_snapshot() == before


def test_a_head_outside_the_clerks_regions_cannot_be_chosen(login, world):
    outsider = world.families["wangdian"].head
    before = register_snapshot()
    response = login(world.town_clerk).post(
        reverse("backoffice:household_new"),
        {
            "head": outsider.pk,
            "address": "新嘉街道和平路9号",
            "region": grid_codes(world),
            "start_date": "2024-03-01",
        },
    )
    assert response.status_code == 422
    assert 'id="id_head_error"' in html(response)
    assert outsider.name not in html(response)
    assert register_snapshot() == before


def test_adding_a_member_asks_for_confirmation_first(login, world):
    household = world.families["xinjia"].household
    newcomer = lone_person(world)
    client = login(world.town_clerk)
    url = reverse("backoffice:member_add", args=[household.pk])
    data = {"person": newcomer.pk, "relation": Relation.PARENT, "start_date": "2024-05-01"}
    before = register_snapshot()
    confirm = client.post(url, data)
    page = html(confirm)
    assert confirm.status_code == 200
    assert 'name="confirmed" value="1"' in page
    assert newcomer.name in page and newcomer.id_number_masked in page
    assert register_snapshot() == before  # nothing yet
    response = client.post(url, {**data, "confirmed": "1"})
    assert response.status_code == 302
    membership = Membership.objects.get(person=newcomer, end_date__isnull=True)
    assert (membership.household, membership.relation) == (household, Relation.PARENT)
    assert AuditEvent.objects.filter(
        action="people.membership.add", object_id=str(household.pk), actor=world.town_clerk
    ).exists()
    page = html(client.get(response["Location"]))
    assert "alert-success" in page and newcomer.name in page


def test_change_on_the_confirmation_goes_back_to_the_form_with_the_values(login, world):
    household = world.families["xinjia"].household
    newcomer = lone_person(world)
    response = login(world.town_clerk).post(
        reverse("backoffice:member_add", args=[household.pk]),
        {
            "person": newcomer.pk,
            "relation": Relation.PARENT,
            "start_date": "2024-05-01",
            "revise": "1",
        },
    )
    page = html(response)
    assert 'name="confirmed"' not in page
    assert f'value="{newcomer.pk}"' in page and "checked" in page
    assert not Membership.objects.filter(person=newcomer).exists()


def test_a_second_head_is_not_offered_and_refused(login, world):
    household = world.families["xinjia"].household
    newcomer = lone_person(world)
    client = login(world.town_clerk)
    url = reverse("backoffice:member_add", args=[household.pk])
    assert 'value="head"' not in html(client.get(url))
    response = client.post(
        url,
        {"person": newcomer.pk, "relation": "head", "start_date": "2024-05-01", "confirmed": "1"},
    )
    assert response.status_code == 422
    assert not Membership.objects.filter(person=newcomer).exists()


def test_ending_a_membership_needs_a_reason(login, world):
    household = world.families["xinjia"].household
    child = world.families["xinjia"].members[2]
    url = reverse("backoffice:member_end", args=[household.pk, child.pk])
    before = register_snapshot()
    client = login(world.town_clerk)
    for data in [
        {"end_date": "2024-06-01", "reason": "", "confirmed": "1"},
        {"end_date": "2024-06-01", "reason": "other", "reason_detail": "", "confirmed": "1"},
    ]:
        response = client.post(url, data)
        assert response.status_code == 422
    assert "请填写该成员离开家庭的原因" in html(client.post(url, {"end_date": "2024-06-01"}))
    assert register_snapshot() == before
    assert Membership.objects.get(person=child).end_date is None


def test_ending_a_membership_keeps_it_as_history(login, world):
    household = world.families["xinjia"].household
    child = world.families["xinjia"].members[2]
    client = login(world.town_clerk)
    url = reverse("backoffice:member_end", args=[household.pk, child.pk])
    data = {"end_date": "2024-06-01", "reason": "moved_out", "reason_detail": "迁往上海市"}
    confirm = html(client.post(url, data))
    assert "迁出：迁往上海市" in confirm and 'name="confirmed" value="1"' in confirm
    response = client.post(url, {**data, "confirmed": "1"})
    assert response.status_code == 302
    membership = Membership.objects.get(person=child)
    assert (membership.end_date, membership.end_reason) == (dt.date(2024, 6, 1), "迁出：迁往上海市")
    event = AuditEvent.objects.get(action="people.membership.end")
    assert (event.actor, event.reason) == (world.town_clerk, "迁出：迁往上海市")
    household_page = html(client.get(response["Location"]))
    assert "历史成员" in household_page and "迁出：迁往上海市" in household_page
    person_page = html(client.get(reverse("backoffice:person", args=[child.pk])))
    assert "迁出：迁往上海市" in person_page and "已终止" in person_page


def test_ending_a_membership_of_someone_who_died_suggests_the_date_of_death(login, world):
    household = world.families["xinjia"].household
    spouse = world.families["xinjia"].members[1]
    client = login(world.town_clerk)
    response = client.post(
        reverse("backoffice:member_end", args=[household.pk, spouse.pk]),
        {"end_date": "2024-06-01", "reason": "died", "confirmed": "1"},
        follow=True,
    )
    assert Membership.objects.get(person=spouse).end_reason == "死亡"
    assert "alert-info" in html(response)


def test_a_former_member_cannot_be_ended_again(login, world):
    household = world.families["xinjia"].household
    child = world.families["xinjia"].members[2]
    client = login(world.town_clerk)
    url = reverse("backoffice:member_end", args=[household.pk, child.pk])
    client.post(url, {"end_date": "2024-06-01", "reason": "moved_out", "confirmed": "1"})
    assert client.get(url).status_code == 404


def test_moving_a_person_ends_the_old_membership_and_keeps_the_history(login, world):
    child = world.families["xinjia"].members[2]
    old = world.families["xinjia"].household
    (new,) = add_households(world.regions["xinjia_grid"], 1, members=1)
    client = login(world.town_clerk)
    picked = html(
        client.get(reverse("backoffice:household_pick"), {"q": "测试路", "exclude": old.pk})
    )
    assert f'name="household" value="{new.pk}"' in picked
    url = reverse("backoffice:person_move", args=[child.pk])
    data = {
        "household": new.pk,
        "relation": Relation.GRANDCHILD,
        "move_date": "2024-07-01",
        "reason": "other",
        "reason_detail": "随祖父母生活",
    }
    confirm = html(client.post(url, data))
    assert 'name="confirmed" value="1"' in confirm and "测试路0号" in confirm
    response = client.post(url, {**data, "confirmed": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:person", args=[child.pk])
    memberships = list(Membership.objects.filter(person=child).order_by("start_date"))
    assert [(m.household, m.end_date) for m in memberships] == [
        (old, dt.date(2024, 7, 1)),
        (new, None),
    ]
    assert memberships[0].end_reason == "其他：随祖父母生活"
    actions = AuditEvent.objects.filter(actor=world.town_clerk).values_list("action", flat=True)
    assert {"people.membership.end", "people.membership.add"} <= set(actions)
    page = html(client.get(response["Location"]))
    assert old.address in page and new.address in page and "其他：随祖父母生活" in page


def test_moving_into_the_same_household_is_refused(login, world):
    child = world.families["xinjia"].members[2]
    household = world.families["xinjia"].household
    before = register_snapshot()
    response = login(world.town_clerk).post(
        reverse("backoffice:person_move", args=[child.pk]),
        {
            "household": household.pk,
            "relation": "child",
            "move_date": "2024-07-01",
            "reason": "moved_out",
            "confirmed": "1",
        },
    )
    assert response.status_code == 422
    assert "该人员已在此家庭中" in html(response)
    assert register_snapshot() == before


def test_a_person_without_household_is_added_through_the_move_page_without_reason(login, world):
    loner = lone_person(world)
    (household,) = add_households(world.regions["xinjia_grid"], 1, members=1)
    client = login(world.town_clerk)
    url = reverse("backoffice:person_move", args=[loner.pk])
    assert 'name="reason"' not in html(client.get(url))
    response = client.post(
        url,
        {
            "household": household.pk,
            "relation": "other",
            "move_date": "2024-07-01",
            "confirmed": "1",
        },
    )
    assert response.status_code == 302
    assert Membership.objects.get(person=loner).household == household


def test_moving_into_a_household_of_another_town_is_refused(login, world):
    child = world.families["xinjia"].members[2]
    before = register_snapshot()
    response = login(world.town_clerk).post(
        reverse("backoffice:person_move", args=[child.pk]),
        {
            "household": world.families["wangdian"].household.pk,
            "relation": "child",
            "move_date": "2024-07-01",
            "reason": "moved_out",
            "confirmed": "1",
        },
    )
    assert response.status_code == 422
    assert world.families["wangdian"].household.address not in html(response)
    assert register_snapshot() == before


# Pickers and the region cascade ----------------------------------------------------------------


def test_the_region_cascade_offers_the_grids_under_a_village(login, world):
    client = login(world.town_clerk)
    village = world.regions["xinjia_village"]
    response = client.get(
        reverse("backoffice:region_choices"),
        {"field": "region", "depth": "2", "region": village.code},
        **HTMX,
    )
    page = html(response)
    assert response.status_code == 200
    assert "新嘉社区第一网格" in page and 'name="region"' in page
    grid = world.regions["xinjia_grid"]
    assert (
        html(
            client.get(
                reverse("backoffice:region_choices"),
                {"field": "region", "depth": "3", "region": grid.code},
            )
        ).strip()
        == ""
    )


@pytest.mark.parametrize(
    "params",
    [
        {"field": "region", "depth": "2", "region": "330411105001"},  # 王店镇
        {"field": "region", "depth": "2", "region": "330402"},  # above the clerk's town
        {"field": "password", "depth": "2", "password": "330402009"},
        {"field": "region", "depth": "9", "region": "330402009"},
    ],
)
def test_the_region_cascade_refuses_regions_outside_the_clerks(login, world, params):
    response = login(world.town_clerk).get(reverse("backoffice:region_choices"), params)
    assert response.status_code == 404
    assert "王店村" not in html(response)


def test_pickers_find_only_persons_and_households_of_the_clerks_regions(login, world):
    client = login(world.town_clerk)
    persons = html(client.get(reverse("backoffice:person_pick"), {"q": "王", "field": "head"}))
    assert "王建国" not in persons and "王小明" not in persons
    households = html(client.get(reverse("backoffice:household_pick"), {"q": "幸福路"}))
    assert "新嘉街道幸福路11号" in households
    assert "王店镇幸福路21号" not in households


# Who may keep the register ---------------------------------------------------------------------


def _register_urls(world: Any, family: str) -> list[str]:
    household = world.families[family].household
    child = world.families[family].members[2]
    return [
        reverse("backoffice:person_edit", args=[child.pk]),
        reverse("backoffice:person_move", args=[child.pk]),
        reverse("backoffice:member_add", args=[household.pk]),
        reverse("backoffice:member_end", args=[household.pk, child.pk]),
    ]


def _mutating_post(world: Any) -> dict[str, Any]:
    """A post that would change the register if it were accepted."""
    return {
        **person_data(world),
        "end_date": "2024-06-01",
        "reason": "moved_out",
        "relation": "other",
        "household": world.families["xinjia"].household.pk,
        "move_date": "2024-06-01",
        "start_date": "2024-06-01",
        "person": world.families["xinjia"].members[2].pk,
        "confirmed": "1",
    }


def test_another_towns_clerk_finds_nothing_of_a_xinjia_household(login, world):
    client = login(world.other_town_clerk)
    before = register_snapshot()
    for url in _register_urls(world, "xinjia"):
        assert client.get(url).status_code == 404, url
        response = client.post(url, _mutating_post(world))
        assert response.status_code == 404, url
        assert world.families["xinjia"].household.address not in html(response)
    assert register_snapshot() == before


@pytest.mark.parametrize("persona", ["village_worker", "county_approver", "auditor"])
def test_staff_who_may_only_read_get_no_buttons_and_403(login, world, persona):
    client = login(world.personas[persona])
    household = world.families["xinjia"].household
    person = world.families["xinjia"].members[2]
    before = register_snapshot()
    pages = [
        html(client.get(reverse("backoffice:household", args=[household.pk]))),
        html(client.get(reverse("backoffice:person", args=[person.pk]))),
        html(client.get(reverse("backoffice:search"))),
        html(client.get("/")),
    ]
    for page in pages:
        assert "/edit/" not in page and "/move/" not in page and "/members/" not in page
        assert reverse("backoffice:person_new") not in page
        assert reverse("backoffice:household_new") not in page
    urls = [
        *_register_urls(world, "xinjia"),
        reverse("backoffice:person_new"),
        reverse("backoffice:household_new"),
        reverse("backoffice:person_pick") + "?q=zjg",
        reverse("backoffice:household_pick") + "?q=zjg",
        reverse("backoffice:region_choices") + "?field=region&depth=1&region=330402009",
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, _mutating_post(world)).status_code == 403, url
    assert (
        client.post(reverse("backoffice:person_check_id"), {"id_number": NEW_ID}).status_code == 403
    )
    assert register_snapshot() == before


def test_the_town_clerk_sees_the_buttons(login, world):
    client = login(world.town_clerk)
    household = world.families["xinjia"].household
    child = world.families["xinjia"].members[2]
    household_page = html(client.get(reverse("backoffice:household", args=[household.pk])))
    assert reverse("backoffice:member_add", args=[household.pk]) in household_page
    assert reverse("backoffice:member_end", args=[household.pk, child.pk]) in household_page
    person_page = html(client.get(reverse("backoffice:person", args=[child.pk])))
    assert reverse("backoffice:person_edit", args=[child.pk]) in person_page
    assert reverse("backoffice:person_move", args=[child.pk]) in person_page
    search_page = html(client.get(reverse("backoffice:search")))
    assert reverse("backoffice:person_new") in search_page
    assert reverse("backoffice:household_new") in search_page


def test_a_person_living_elsewhere_but_registered_here_is_read_only(login, world):
    """户籍 in 新嘉街道, living in 王店镇: the 新嘉 clerk reads, the 王店 clerk edits."""
    person = person_create(
        actor=None,
        name="周外住",
        id_number=make_id_number("330402", dt.date(1990, 2, 2), 501),
        registered_region=world.regions["xinjia_grid"],
        residence_region=world.regions["wangdian_grid"],
    )
    client = login(world.town_clerk)
    page = html(client.get(reverse("backoffice:person", args=[person.pk])))
    assert reverse("backoffice:person_edit", args=[person.pk]) not in page
    assert client.get(reverse("backoffice:person_edit", args=[person.pk])).status_code == 403
    other = login(world.other_town_clerk)
    assert other.get(reverse("backoffice:person_edit", args=[person.pk])).status_code == 200


def test_searching_again_keeps_the_person_already_chosen(login, world):
    newcomer = lone_person(world)
    response = login(world.town_clerk).get(
        reverse("backoffice:person_pick"), {"field": "person", "q": "zzz", "person": newcomer.pk}
    )
    page = html(response)
    assert f'value="{newcomer.pk}"' in page and "checked" in page


def test_searching_again_never_keeps_a_household_of_another_town(login, world):
    foreign = world.families["wangdian"].household
    page = html(
        login(world.town_clerk).get(
            reverse("backoffice:household_pick"), {"q": "zzz", "household": foreign.pk}
        )
    )
    assert foreign.address not in page and f'value="{foreign.pk}"' not in page


def test_the_reason_other_needs_details_in_english_too(login, world):
    household = world.families["xinjia"].household
    child = world.families["xinjia"].members[2]
    response = english(login(world.town_clerk)).post(
        reverse("backoffice:member_end", args=[household.pk, child.pk]),
        {"end_date": "2024-06-01", "reason": "other", "reason_detail": ""},
    )
    assert response.status_code == 422
    assert "Describe the reason when you choose “Other”." in html(response)
    assert Membership.objects.get(person=child).end_date is None
