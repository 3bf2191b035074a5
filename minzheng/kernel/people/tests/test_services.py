import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from minzheng.common import crypto
from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.people.id_numbers import IdNumberError, make_id_number
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE, Membership, Person, Relation
from minzheng.kernel.people.services import (
    household_add_member,
    household_create,
    household_end_membership,
    person_create,
    person_move_household,
    person_reveal_id_number,
    person_update,
)

pytestmark = pytest.mark.django_db


def _new_person(world, *, actor=None, seq=101, **facts):
    grid = world.regions["xinjia_grid"]
    return person_create(
        actor=actor,
        name="赵丽",
        id_number=make_id_number("330402", dt.date(1990, 2, 3), seq),
        registered_region=grid,
        **facts,
    )


def test_person_create_derives_facts_and_encrypts_the_id_number(world):
    number = make_id_number("330402", dt.date(1990, 2, 3), 101)

    person = person_create(
        actor=world.town_clerk,
        name=" 赵丽 ",
        id_number=number,
        registered_region=world.regions["xinjia_grid"],
    )

    assert person.name == "赵丽"
    assert person.sex == "M"  # sequence 101 is odd
    assert person.birth_date == dt.date(1990, 2, 3)
    assert person.name_pinyin == "zhaoli"
    assert person.name_initials == "zl"
    assert person.id_number_masked == number[:6] + "********" + number[-4:]
    assert number.encode() not in bytes(person.id_number_ciphertext)
    assert crypto.decrypt(person.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE) == number
    event = AuditEvent.objects.get(action="people.person.create", object_id=str(person.pk))
    assert event.actor == world.town_clerk
    assert number not in str(event.changes)


def test_the_full_number_is_nowhere_in_the_database_row(world):
    number = make_id_number("330402", dt.date(1990, 2, 3), 101)
    person = _new_person(world)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_person WHERE id = %s", [person.pk])
        row = cursor.fetchone()
    assert not any(number in str(value) for value in row)


@pytest.mark.parametrize(
    "bad", ["33040219900203101", "3304021990020310X1", "33040219900230101X", "abc"]
)
def test_bad_id_numbers_save_nothing(world, bad):
    before = (Person.objects.count(), AuditEvent.objects.count())
    with pytest.raises(IdNumberError):
        person_create(
            actor=None, name="赵丽", id_number=bad, registered_region=world.regions["xinjia_grid"]
        )
    assert (Person.objects.count(), AuditEvent.objects.count()) == before


def test_sex_and_birth_date_given_by_the_caller_must_agree_with_the_id(world):
    with pytest.raises(ValidationFailed) as caught:
        _new_person(world, sex="F")
    assert caught.value.field == "sex"
    with pytest.raises(ValidationFailed) as caught:
        _new_person(world, birth_date=dt.date(1990, 2, 4))
    assert caught.value.field == "birth_date"


def test_duplicate_id_number_is_refused_clearly(world):
    _new_person(world)
    with translation.override("en"), pytest.raises(Conflict) as caught:
        _new_person(world)
    assert caught.value.code == "id_number_taken"
    assert "already" in str(caught.value)
    assert Person.objects.filter(name="赵丽").count() == 1


def test_other_town_clerk_cannot_create_or_change_in_my_town(world):
    with pytest.raises(PermissionRefused):
        _new_person(world, actor=world.other_town_clerk)
    person = world.families["xinjia"].head
    with pytest.raises(PermissionRefused):
        person_update(actor=world.other_town_clerk, person=person, phone="13911112222")
    person.refresh_from_db()
    assert person.phone != "13911112222"


def test_disability_grade_and_category_go_together(world):
    with pytest.raises(ValidationFailed):
        _new_person(world, disability_grade=2)
    person = _new_person(world, disability_grade=2, disability_category="physical")
    assert person.disability_grade == 2


def test_person_update_records_the_change_and_refreshes_pinyin(world):
    person = world.families["xinjia"].head
    updated = person_update(
        actor=world.town_clerk, person=person, name="张建华", phone="13800001111"
    )
    assert updated.name_pinyin == "zhangjianhua"
    event = AuditEvent.objects.filter(action="people.person.update").latest("seq")
    assert event.changes["name"] == ["张建国", "张建华"]
    assert updated.history.count() == 2


def test_reveal_needs_permission_and_reason_and_is_audited(world):
    person = world.families["xinjia"].head
    with pytest.raises(ValidationFailed):
        person_reveal_id_number(actor=world.town_clerk, person=person, reason=" ")
    with pytest.raises(PermissionRefused):
        person_reveal_id_number(actor=world.village_worker, person=person, reason="核对")
    with pytest.raises(PermissionRefused):
        person_reveal_id_number(actor=world.other_town_clerk, person=person, reason="核对")
    assert not AuditEvent.objects.filter(action="people.person.reveal_id_number").exists()

    number = person_reveal_id_number(actor=world.town_clerk, person=person, reason="低保申请核对")

    assert number == make_id_number("330402", dt.date(1968, 5, 4), 11)
    event = AuditEvent.objects.get(action="people.person.reveal_id_number")
    assert (event.actor, event.object_id, event.reason) == (
        world.town_clerk,
        str(person.pk),
        "低保申请核对",
    )


def test_a_person_lives_in_one_household_at_a_time(world):
    family = world.families["xinjia"]
    newcomer = _new_person(world)
    household_add_member(
        actor=world.town_clerk, household=family.household, person=newcomer, relation="other"
    )
    other = household_create(
        actor=world.town_clerk,
        region=world.regions["xinjia_grid"],
        address="新嘉街道和平路1号",
        head=_new_person(world, seq=103),
    )
    with pytest.raises(Conflict):
        household_add_member(
            actor=world.town_clerk, household=other, person=newcomer, relation="other"
        )
    assert Membership.objects.filter(person=newcomer, end_date__isnull=True).count() == 1


def test_moving_keeps_history(world):
    family = world.families["xinjia"]
    child = family.members[2]
    new_home = household_create(
        actor=world.town_clerk,
        region=world.regions["xinjia_grid"],
        address="新嘉街道和平路2号",
        head=_new_person(world, seq=105),
    )
    person_move_household(
        actor=world.town_clerk,
        person=child,
        household=new_home,
        relation=Relation.OTHER,
        move_date=dt.date(2026, 9, 1),
        reason="随亲属居住",
    )
    memberships = list(Membership.objects.filter(person=child).order_by("start_date"))
    assert [(m.household_id, m.end_date) for m in memberships] == [
        (family.household.pk, dt.date(2026, 9, 1)),
        (new_home.pk, None),
    ]
    assert memberships[0].end_reason == "随亲属居住"


def test_ending_a_membership_needs_a_reason_and_cannot_repeat(world):
    membership = Membership.objects.get(person=world.families["xinjia"].members[1])
    with pytest.raises(ValidationFailed):
        household_end_membership(actor=world.town_clerk, membership=membership, reason="")
    household_end_membership(actor=world.town_clerk, membership=membership, reason="离婚")
    with pytest.raises(Conflict):
        household_end_membership(actor=world.town_clerk, membership=membership, reason="离婚")


def test_a_household_has_one_head(world):
    family = world.families["xinjia"]
    with pytest.raises(Conflict):
        household_add_member(
            actor=world.town_clerk,
            household=family.household,
            person=_new_person(world),
            relation=Relation.HEAD,
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="covering indexes on PostgreSQL")
def test_the_digest_key_is_unique_and_holds_the_person_id(world):
    """Imports look persons up by digest for the id alone: the key answers from the index."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conname = 'people_person_id_number_digest_key'"
        )
        assert cursor.fetchall() == [("UNIQUE (id_number_digest) INCLUDE (id)",)]
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'people_person' "
            "AND indexdef LIKE '%id_number_digest%'"
        )
        assert cursor.fetchone() == (1,)  # no second (pattern-matching) index on digests
    person = Person.objects.order_by("id").first()
    assert person is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.filter(pk=person.pk).update(
            id_number_digest=Person.objects.exclude(pk=person.pk).values("id_number_digest")[:1]
        )
