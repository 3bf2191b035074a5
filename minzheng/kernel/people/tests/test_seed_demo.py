"""The demo register: deterministic, valid ID numbers, plausible households, safe to repeat."""

import datetime as dt
import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Concat
from django.utils import translation

from minzheng.common import crypto
from minzheng.common.masking import mask_id_number
from minzheng.common.pinyin import name_initials, name_pinyin
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.audit.services import audit_verify
from minzheng.kernel.people.demo import loader
from minzheng.kernel.people.demo.names import vocabulary
from minzheng.kernel.people.demo.population import (
    NO_DAY,
    REFERENCE_DAY,
    REL,
    WORK,
    address_codes,
    generate_county,
)
from minzheng.kernel.people.demo.regions import plan_city, plan_town
from minzheng.kernel.people.demo.rows import IdBases, build_rows
from minzheng.kernel.people.id_numbers import parse_id_number
from minzheng.kernel.people.models import (
    ID_NUMBER_PURPOSE,
    Household,
    Membership,
    Person,
    Relation,
)
from minzheng.kernel.people.services import id_number_digest
from minzheng.kernel.regions.loading import official_rows
from minzheng.kernel.regions.models import Region, RegionLevel

TOWNS = [row["code"] for row in official_rows() if row["level"] == "town"]
NAMES = {row["code"]: row["name"] for row in official_rows()}
NANHU = 0  # county index of 南湖区 (counties in code order)
EPOCH = dt.date(1970, 1, 1)


@pytest.fixture(scope="module")
def grids():
    """The city's planned grids with made-up ids: no database needed."""
    planned = [region for town in TOWNS for region in plan_town(town)]
    names = NAMES | {region.code: region.name for region in planned}
    ids = {region.code: i for i, region in enumerate(planned, start=1)}
    return loader.grids_from_plan(planned, ids, names)


def _county(grids, households=2000, seed=7, county=NANHU):
    return generate_county(
        vocab=vocabulary(), grids=grids, county_index=county, households=households, seed=seed
    )


def _rows(grids, pop):
    return build_rows(
        pop=pop,
        grids=grids,
        vocab=vocabulary(),
        codes=address_codes(grids.county_codes),
        bases=IdBases(1, 1, 1),
        household_offset=0,
        person_offset=0,
        lo=0,
        hi=pop.household_count,
    )


def _seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# The generator, without a database.


def test_the_region_plan_depends_only_on_the_town_code():
    assert plan_town("330402009") == plan_town("330402009")
    assert len(TOWNS) == 72


@pytest.mark.parametrize("town", ["330402009", "330411105"])
def test_planned_codes_extend_their_parents_by_three_digits(town):
    planned = plan_town(town)
    villages = [r for r in planned if r.level == RegionLevel.VILLAGE]
    grids = [r for r in planned if r.level == RegionLevel.GRID]

    assert villages and grids
    assert all(len(r.code) == 12 and r.code.startswith(town) for r in villages)
    assert all(len(r.code) == 15 and r.code[:12] == r.parent_code for r in grids)
    suffix = "社区" if town[6] == "0" else "村"  # streets have communities, towns villages
    assert all(r.name.endswith(suffix) for r in villages)
    assert len({r.name for r in villages}) == len(villages)


def test_same_seed_gives_the_same_people(grids):
    first, second = _rows(grids, _county(grids)), _rows(grids, _county(grids))

    for column in ("name", "id_number_digest", "id_number_masked", "phone", "name_pinyin"):
        assert first.persons[column] == second.persons[column]
    assert first.households == second.households
    assert first.memberships["relation"] == second.memberships["relation"]


def test_another_seed_gives_other_people(grids):
    first, other = _rows(grids, _county(grids)), _rows(grids, _county(grids, seed=8))

    assert first.persons["id_number_digest"][:50] != other.persons["id_number_digest"][:50]


def test_every_id_number_is_valid_and_agrees_with_the_person(grids):
    pop = _county(grids, households=3000)
    rows = _rows(grids, pop)
    numbers = [
        crypto.decrypt(token, purpose=ID_NUMBER_PURPOSE)
        for token in rows.persons["id_number_ciphertext"]
    ]
    codes = address_codes(grids.county_codes)

    assert len(set(numbers)) == len(numbers)
    for i, number in enumerate(numbers):
        parsed = parse_id_number(number)
        assert parsed.birth_date == EPOCH + dt.timedelta(days=int(pop.birth_day[i]))
        assert parsed.sex == ("M" if pop.male[i] else "F")
        assert parsed.address_code == codes[pop.address_code[i]]
        assert rows.persons["id_number_digest"][i] == id_number_digest(number)
        assert rows.persons["id_number_masked"][i] == mask_id_number(number)


def test_most_persons_carry_the_code_of_the_county_they_are_registered_in(grids):
    pop = _county(grids, households=3000)
    registered = {int(i): grids.county[k] for k, i in enumerate(grids.ids)}
    county_of_person = np.array([registered[int(r)] for r in pop.registered_region])

    share = np.mean(pop.address_code == county_of_person)

    assert 0.8 < share < 0.97  # a small share was born elsewhere


def test_counties_generated_apart_never_share_an_id_number(grids):
    numbers = set()
    for county in range(7):
        rows = _rows(grids, _county(grids, households=400, county=county))
        digests = set(rows.persons["id_number_digest"])
        assert not numbers & digests
        numbers |= digests


def test_pinyin_is_what_person_create_would_store(grids):
    rows = _rows(grids, _county(grids, households=3000))
    vocab = vocabulary()
    risky = np.argwhere(vocab.whole_spelling)[:200]
    s, g = risky[:, 0], risky[:, 1]
    names = vocab.full_names(s, g)
    pinyin, initials = vocab.spellings(s, g)

    for name, spelt, first in zip(
        rows.persons["name"],
        rows.persons["name_pinyin"],
        rows.persons["name_initials"],
        strict=True,
    ):
        assert (spelt, first) == (name_pinyin(name), name_initials(name))
    assert pinyin == [name_pinyin(n) for n in names]
    assert initials == [name_initials(n) for n in names]


def test_households_have_one_head_listed_first_and_consistent_members(grids):
    pop = _county(grids, households=5000)
    household, relation = pop.person_household, pop.relation
    age = (REFERENCE_DAY - pop.birth_day) / 365.2425
    first = np.r_[True, household[1:] != household[:-1]]
    dead = pop.death_day != NO_DAY

    assert np.all(np.bincount(household[relation == REL["head"]]) == 1)
    assert np.all(relation[first] == REL["head"])
    assert np.all(age[relation == REL["head"]] >= 18)
    assert not np.any(dead & (relation == REL["head"]))
    assert np.all(pop.start_day >= pop.birth_day)
    assert np.all(pop.start_day < REFERENCE_DAY)
    assert np.all(pop.death_day[dead] >= pop.start_day[dead])
    assert np.all(pop.death_day[dead] < REFERENCE_DAY)
    assert np.all((pop.disability_grade == 0) == (pop.disability_category == -1))
    assert np.all(pop.work_ability[age < 16] == WORK["none"])
    assert np.all(pop.work_ability[(pop.disability_grade > 0) & (pop.disability_grade <= 2)] > 0)
    assert not np.any(pop.is_student & ((age < 6) | (age >= 23)))
    assert not np.any((pop.phone > 0) & (age < 18))


def test_rates_follow_an_ageing_city(grids):
    pop = _county(grids, households=20_000)
    alive = pop.death_day == NO_DAY
    age = ((REFERENCE_DAY - pop.birth_day) / 365.2425)[alive]
    sizes = np.bincount(pop.person_household)

    assert 0.22 < np.mean(age >= 60) < 0.30
    assert 0.05 < np.mean(pop.disability_grade > 0) < 0.07
    assert 0.01 < np.mean(pop.serious_illness) < 0.02
    assert 2.6 < sizes.mean() < 3.0
    assert 0.08 < np.mean(pop.registered_region != pop.residence_region) < 0.16
    assert set(np.unique(sizes)) >= {1, 2, 3, 4, 5}


# The command, with a database.


@pytest.mark.django_db
def test_seed_demo_loads_a_consistent_register():
    output = _seed("--scale", "county", "--households", "300", "--seed", "3", "--history")

    persons = list(Person.objects.select_related("registered_region"))
    assert "300 households" in output
    assert Household.objects.count() == 300
    assert Membership.objects.count() == len(persons)
    for person in persons:
        number = crypto.decrypt(person.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)
        parsed = parse_id_number(number)
        assert (parsed.birth_date, parsed.sex) == (person.birth_date, person.sex)
        assert person.id_number_digest == id_number_digest(number)
        assert person.id_number_masked == mask_id_number(number)
        assert person.name_pinyin == name_pinyin(person.name)
        assert person.name_initials == name_initials(person.name)
    heads = Household.objects.annotate(
        heads=Count(
            "memberships",
            filter=Q(memberships__relation=Relation.HEAD, memberships__end_date__isnull=True),
        )
    )
    assert set(heads.values_list("heads", flat=True)) == {1}
    ended = Membership.objects.filter(end_date__isnull=False)
    assert ended.count() == Person.objects.filter(death_date__isnull=False).count()
    assert not ended.exclude(end_date=F("person__death_date")).exists()
    assert not Membership.objects.filter(start_date__lt=F("person__birth_date")).exists()
    assert Person.history.count() == len(persons) + 1  # the load, and the resident's phone
    assert AuditEvent.objects.filter(action="people.seed_demo").count() == 1
    assert audit_verify() == []


@pytest.mark.django_db
def test_seeded_regions_have_paths_and_populations_that_add_up():
    _seed("--scale", "demo", "--households", "200", "--seed", "4")

    city = Region.objects.get(code="330400")
    living = Person.objects.filter(death_date__isnull=True)
    counties = Region.objects.filter(level=RegionLevel.COUNTY)
    sums = counties.aggregate(
        registered=Sum("registered_population"), resident=Sum("resident_population")
    )
    nanhu = Region.objects.get(code="330402")

    assert Region.objects.filter(level=RegionLevel.VILLAGE).count() > 700
    assert Region.objects.filter(level=RegionLevel.GRID).count() > 3000
    grids = Region.objects.filter(level=RegionLevel.GRID)
    assert not grids.exclude(path=Concat("parent__path", "code", Value("/"))).exists()
    assert city.resident_population == living.count() == sums["resident"]
    assert city.registered_population == sums["registered"] == living.count()
    assert (
        nanhu.resident_population
        == living.filter(residence_region__path__startswith=nanhu.path).count()
    )
    towns = Region.objects.filter(parent=nanhu).aggregate(total=Sum("resident_population"))
    assert towns["total"] == nanhu.resident_population


@pytest.mark.django_db
def test_if_empty_leaves_a_loaded_register_alone_and_a_plain_run_refuses():
    _seed("--households", "60", "--if-empty")
    persons, regions = Person.objects.count(), Region.objects.count()

    output = _seed("--households", "60", "--if-empty")

    assert "left as it is" in output
    assert (Person.objects.count(), Region.objects.count()) == (persons, regions)
    assert AuditEvent.objects.filter(action="people.seed_demo").count() == 1
    with translation.override("en"), pytest.raises(CommandError, match="already holds persons"):
        _seed("--households", "60")


@pytest.mark.django_db
def test_the_loaded_register_is_what_the_seed_generates():
    _seed("--scale", "county", "--households", "80", "--seed", "5")
    grids = loader.city_grids(plan_city())

    expected = _rows(grids, _county(grids, households=80, seed=5))

    loaded = list(Person.objects.order_by("id").values_list("name", "id_number_digest"))
    assert loaded == list(
        zip(expected.persons["name"], expected.persons["id_number_digest"], strict=True)
    )


@pytest.mark.django_db
def test_a_failed_load_leaves_nothing_behind(monkeypatch):
    indexes_before = connection.introspection.get_constraints(connection.cursor(), "people_person")

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "build_rows", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        loader.seed_demo(scale="county", households=50)

    assert not Person.objects.exists()
    assert not Household.objects.exists()
    after = connection.introspection.get_constraints(connection.cursor(), "people_person")
    assert set(after) == set(indexes_before)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY path is PostgreSQL only")
def test_postgresql_load_rebuilds_every_index_and_constraint():
    tables = ("people_person", "people_household", "people_membership")
    with connection.cursor() as cursor:
        before = {t: connection.introspection.get_constraints(cursor, t) for t in tables}

    _seed("--scale", "county", "--households", "50")

    with connection.cursor() as cursor:
        after = {t: connection.introspection.get_constraints(cursor, t) for t in tables}
    assert {t: set(v) for t, v in after.items()} == {t: set(v) for t, v in before.items()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('people_person', 'id'))")
        assert cursor.fetchone()[0] > Person.objects.order_by("-id").first().pk
