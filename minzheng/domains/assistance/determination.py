"""The bulk bridge between the register and the rules: one county per call, arrays throughout.

Steps of one county (one job chunk):

1. read the members living together on the date (Membership current on that date, living
   persons) and their facts into numpy arrays: PostgreSQL streams them with a binary COPY of
   fixed-width integer columns (parsed by numpy without a Python loop); SQLite reads
   ``values_list`` in chunks; numpy sorts them by household, the head first;
2. read each member's monthly incomes from the verification sources with one grouped query;
3. read each household's assets (deposits, houses, vehicles, business) from the asset
   sources' records with the household check's rules of counting (one COPY, numpy groups);
4. evaluate every household with ``rules.batch.determine`` and the rules in force;
5. write one Determination per household: PostgreSQL deletes the county's rows of the month
   and copies the new ones straight into the table (a binary COPY built by numpy; if a
   household still has a row of the month under another county, the chunk falls back to a
   temporary table and ``INSERT … ON CONFLICT (household, period) DO UPDATE``); SQLite
   deletes and bulk-creates. Households of the county without members that day lose their row.

Nothing here loops over ORM objects; the caller's transaction (the job chunk's) holds it all.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from psycopg import sql as pgsql

from minzheng.domains.assistance.models import Determination
from minzheng.kernel.people.models import Membership
from minzheng.kernel.regions.models import Region, RegionLevel, path_is_rural
from minzheng.kernel.verification.sources import INCOME_HEADINGS
from minzheng.rules import batch
from minzheng.rules.batch import HOUSEHOLD_OUTPUTS
from minzheng.rules.enums import (
    ApprovalLevel,
    DisabilityCategory,
    Relation,
    TemporaryType,
    WorkAbility,
)

EPOCH = dt.date(1970, 1, 1)
NOT_SET = np.datetime64("0001-01-01", "D")

# Register relations to the rules' relations (in-laws count as the generation they married into).
RELATIONS = {
    "head": "head",
    "spouse": "spouse",
    "child": "child",
    "child_in_law": "child",
    "grandchild": "grandchild",
    "parent": "parent",
    "parent_in_law": "parent",
    "grandparent": "grandparent",
    "sibling": "sibling",
    "other": "other",
}
RELATION_NAMES = list(Relation.names)
CATEGORY_NAMES = list(DisabilityCategory.names)
WORK_NAMES = list(WorkAbility.names)
TEMPORARY_NAMES = list(TemporaryType.names)
APPROVAL_NAMES = list(ApprovalLevel.names)

# What the batch computes for the Determination table: the rules' household outputs.
PERSON_OUTPUTS = (
    "dibao_covered",
    "separate_enrolment_amount",
    "tekun_eligible",
    "tekun_amount",
    "orphan_amount",
    "unsupported_amount",
    "disability_living",
    "disability_nursing",
)


@dataclass(frozen=True)
class Column:
    """One column of the Determination table: its type and how it comes from the outputs."""

    name: str
    kind: str  # money | bool | int | code
    value: Callable[[OutputArrays], np.ndarray]
    codes: tuple[str, ...] = ()


@dataclass
class OutputArrays:
    """The batch's outputs for one county, household-aligned."""

    households: dict[str, np.ndarray]
    persons: dict[str, np.ndarray]
    person_household: np.ndarray
    count: int

    def h(self, name: str) -> np.ndarray:
        return self.households[name]

    def total(self, *names: str) -> np.ndarray:
        values = sum(np.asarray(self.persons[n], dtype=np.float64) for n in names)
        return np.bincount(self.person_household, weights=values, minlength=self.count)

    def members(self, name: str) -> np.ndarray:
        """How many members have a true (or positive) ``name``."""
        flags = (np.asarray(self.persons[name], dtype=np.float64) > 0).astype(np.float64)
        return np.bincount(self.person_household, weights=flags, minlength=self.count)


def _h(name: str) -> Callable[[OutputArrays], np.ndarray]:
    return lambda out: out.h(name)


COLUMNS: tuple[Column, ...] = (
    Column("household_size", "int", _h("household_size")),
    Column("dibao_standard", "money", _h("dibao_standard")),
    Column("per_capita_income", "money", _h("per_capita_income")),
    Column("assets_pass", "bool", _h("assets_pass")),
    Column("dibao_eligible", "bool", _h("dibao_eligible")),
    Column("dibao_top_up", "money", _h("dibao_top_up")),
    Column("dibao_graduated_exit", "bool", _h("dibao_graduated_exit")),
    Column("dibao_graduated_exit_amount", "money", _h("dibao_graduated_exit_amount")),
    Column("dibao_amount", "money", _h("dibao_amount")),
    Column("on_dibao", "bool", _h("on_dibao")),
    Column("dibao_covered", "int", lambda out: out.members("dibao_covered")),
    Column("marginal_eligible", "bool", _h("marginal_eligible")),
    Column("marginal_graduated_exit", "bool", _h("marginal_graduated_exit")),
    Column("on_marginal", "bool", _h("on_marginal")),
    Column("low_income_rural", "bool", _h("low_income_rural")),
    Column("expenditure_poverty", "bool", _h("expenditure_poverty")),
    Column(
        "separate_enrolment_members", "int", lambda out: out.members("separate_enrolment_amount")
    ),
    Column(
        "separate_enrolment_amount", "money", lambda out: out.total("separate_enrolment_amount")
    ),
    Column("tekun_members", "int", lambda out: out.members("tekun_eligible")),
    Column("tekun_amount", "money", lambda out: out.total("tekun_amount")),
    Column(
        "children_amount", "money", lambda out: out.total("orphan_amount", "unsupported_amount")
    ),
    Column(
        "disability_amount",
        "money",
        lambda out: out.total("disability_living", "disability_nursing"),
    ),
    Column("temporary_type", "code", _h("temporary_type"), tuple(TEMPORARY_NAMES)),
    Column("temporary_amount", "money", _h("temporary_amount")),
    Column(
        "temporary_approval_level", "code", _h("temporary_approval_level"), tuple(APPROVAL_NAMES)
    ),
    Column("price_subsidy", "money", _h("price_subsidy")),
    Column("assistance_monthly_total", "money", _h("assistance_monthly_total")),
)


# ---------------------------------------------------------------- reading the register


@dataclass
class CountyPopulation:
    """One county's assistance households on a date, as columns (persons sorted by household)."""

    county: str
    on: dt.date
    household_ids: np.ndarray  # int64, ascending
    household_rural: np.ndarray  # bool
    person_ids: np.ndarray  # int64
    person_household: np.ndarray  # int64 index into household_ids
    person_is_head: np.ndarray  # bool
    relation: np.ndarray  # int16 index into the rules' Relation
    birth_date: np.ndarray  # datetime64[D]
    disability_grade: np.ndarray
    disability_category: np.ndarray  # int16 index
    serious_illness: np.ndarray
    student: np.ndarray
    work_ability: np.ndarray  # int16 index
    incomes: dict[str, np.ndarray] = field(default_factory=dict)  # heading -> yuan per month
    # deposits (yuan), houses, vehicles (counts), business (bool): household-aligned
    assets: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def household_count(self) -> int:
        return len(self.household_ids)

    @property
    def person_count(self) -> int:
        return len(self.person_ids)


PERSON_COLUMNS = (
    "household_id",
    "person_id",
    "relation",
    "birth_days",
    "disability_grade",
    "disability_category",
    "serious_illness",
    "student",
    "work_ability",
    "region_id",
)


def county_codes() -> list[str]:
    return list(
        Region.objects.filter(level=RegionLevel.COUNTY)
        .order_by("code")
        .values_list("code", flat=True)
    )


def _rural_regions(county_path: str) -> dict[int, bool]:
    """Regions of the county that count as rural: under a town (镇/乡), not a street (街道).

    The town's statistical code says which: its last three digits are 0xx for a street and
    1xx/2xx for a town or township (GB/T 10114).
    """
    rows = Region.objects.filter(path__startswith=county_path).values_list("id", "path")
    return {region_id: path_is_rural(path) for region_id, path in rows}


def _case(column: str, mapping: dict[str, int], default: int) -> str:
    whens = " ".join(f"WHEN '{key}' THEN {value}" for key, value in mapping.items())
    return f"(CASE {column} {whens} ELSE {default} END)::int4"


def _copy_binary_ints(
    query: pgsql.Composable, width: int, *, wide: tuple[int, ...] = ()
) -> np.ndarray:
    """Rows of ``width`` non-null integer columns from a binary COPY, as an (n, width) array.

    Columns are int4 except those whose positions are in ``wide`` (int8). Every row of such a
    COPY has the same size (field count, then length and value of each field), so numpy reads
    the stream as a structured array in one step.
    """
    connection.ensure_connection()
    raw = connection.connection
    buffer = bytearray()
    with raw.cursor() as cursor:
        statement = pgsql.SQL("COPY ({}) TO STDOUT (FORMAT BINARY)").format(query)
        with cursor.copy(statement) as copy:
            for data in copy:
                buffer += data
    header = 11 + 4 + 4 + struct.unpack(">I", bytes(buffer[15:19]))[0]
    row_dtype = np.dtype(
        [("fields", ">i2")]
        + [
            item
            for i in range(width)
            for item in ((f"l{i}", ">i4"), (f"v{i}", ">i8" if i in wide else ">i4"))
        ]
    )
    count = (len(buffer) - header - 2) // row_dtype.itemsize
    rows = np.frombuffer(buffer, dtype=row_dtype, count=count, offset=header)
    return np.stack([rows[f"v{i}"].astype(np.int64) for i in range(width)], axis=1)


def _members_postgresql(county_path: str, on: dt.date) -> np.ndarray:
    relation = _case("m.relation", {k: RELATION_NAMES.index(v) for k, v in RELATIONS.items()}, 7)
    category = _case(
        "p.disability_category", {n: i for i, n in enumerate(CATEGORY_NAMES) if n != "none"}, 0
    )
    work = _case("p.work_ability", {n: i for i, n in enumerate(WORK_NAMES)}, 0)
    # Only code constants are spliced in; the path and the date are quoted literals.
    query = pgsql.SQL(
        "SELECT m.household_id::int4, m.person_id::int4, "  # noqa: S608
        + relation
        + ", (p.birth_date - DATE '1970-01-01')::int4, COALESCE(p.disability_grade, 0)::int4, "
        + category
        + ", p.serious_illness::int4, p.is_student::int4, "
        + work
        + ", h.region_id::int4"
        " FROM people_membership m"
        " JOIN people_household h ON h.id = m.household_id"
        " JOIN regions_region r ON r.id = h.region_id"
        " JOIN people_person p ON p.id = m.person_id"
        " WHERE r.path LIKE {path} AND m.start_date <= {on}"
        " AND (m.end_date IS NULL OR m.end_date >= {on})"
        " AND (p.death_date IS NULL OR p.death_date > {on})"
    ).format(path=pgsql.Literal(county_path + "%"), on=pgsql.Literal(on))
    return _copy_binary_ints(query, len(PERSON_COLUMNS))


def _members_portable(county_path: str, on: dt.date, chunk_size: int = 20_000) -> np.ndarray:
    rows = (
        Membership.objects.filter(
            household__region__path__startswith=county_path, start_date__lte=on
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .filter(Q(person__death_date__isnull=True) | Q(person__death_date__gt=on))
        .order_by("household_id", "id")
        .values_list(
            "household_id",
            "person_id",
            "relation",
            "person__birth_date",
            "person__disability_grade",
            "person__disability_category",
            "person__serious_illness",
            "person__is_student",
            "person__work_ability",
            "household__region_id",
        )
    )
    relation = {k: RELATION_NAMES.index(v) for k, v in RELATIONS.items()}
    category = {n: i for i, n in enumerate(CATEGORY_NAMES)}
    work = {n: i for i, n in enumerate(WORK_NAMES)}
    stream = rows.iterator(chunk_size=chunk_size)
    encoded = [
        (
            household,
            person,
            relation.get(rel, 7),
            (birth - EPOCH).days,
            grade or 0,
            category.get(cat or "none", 0),
            int(ill),
            int(student),
            work.get(ability, 0),
            region,
        )
        for household, person, rel, birth, grade, cat, ill, student, ability, region in stream
    ]
    return np.array(encoded, dtype=np.int64).reshape(-1, len(PERSON_COLUMNS))


def read_population(county: str, on: dt.date, *, lookback_months: int = 12) -> CountyPopulation:
    """The county's households living together on ``on``, their members' facts and incomes."""
    county_region = Region.objects.get(code=county, level=RegionLevel.COUNTY)
    if connection.vendor == "postgresql":
        rows = _members_postgresql(county_region.path, on)
    else:
        rows = _members_portable(county_region.path, on)
    # By household, the head first: sorted here, not by the database (a sort of the county's
    # members spills to disk at the default work_mem and costs more than the query's joins).
    rows = rows[np.lexsort((rows[:, 1], rows[:, 2] != RELATION_NAMES.index("head"), rows[:, 0]))]
    household_of = rows[:, 0]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = household_of[1:] != household_of[:-1]
    household_ids = household_of[first]
    person_household = np.cumsum(first) - 1
    is_head = rows[:, 2] == RELATION_NAMES.index("head")
    # At most one head per household (two could overlap on a past date): keep the first.
    is_head &= first | ~np.r_[False, is_head[:-1]]
    rural_of = _rural_regions(county_region.path)
    unique_regions, region_index = np.unique(rows[first, 9], return_inverse=True)
    rural = np.array([rural_of.get(int(r), False) for r in unique_regions], dtype=bool)
    rural = rural[region_index] if len(region_index) else np.zeros(0, dtype=bool)
    population = CountyPopulation(
        county=county,
        on=on,
        household_ids=household_ids.astype(np.int64),
        household_rural=rural.astype(bool),
        person_ids=rows[:, 1].astype(np.int64),
        person_household=person_household.astype(np.int64),
        person_is_head=is_head,
        relation=rows[:, 2].astype(np.int16),
        birth_date=rows[:, 3].astype("datetime64[D]"),
        disability_grade=rows[:, 4].astype(np.int32),
        disability_category=rows[:, 5].astype(np.int16),
        serious_illness=rows[:, 6].astype(bool),
        student=rows[:, 7].astype(bool),
        work_ability=rows[:, 8].astype(np.int16),
    )
    population.incomes = read_incomes(population, lookback_months=lookback_months)
    population.assets = read_assets(population)
    return population


def read_incomes(population: CountyPopulation, *, lookback_months: int) -> dict[str, np.ndarray]:
    """Each member's monthly income by heading, averaged over the look-back window.

    Set-based: one grouped query of the verification source records (income kinds, months
    in the window) of the county's members, summed per person, source, item and month. As
    in the household check, a month's wage reported by several departments counts once (the
    largest figure). Records not yet matched to a person of the register are not counted.
    """
    from minzheng.kernel.verification.models import DataSource, SourceRecord
    from minzheng.kernel.verification.summary import INCOME_KINDS, window

    incomes = {
        heading: np.zeros(population.person_count, dtype=np.float64) for heading in INCOME_HEADINGS
    }
    if not population.person_count:
        return incomes
    start, end = window(population.on, lookback_months)
    headings: dict[tuple[int, str], str] = {}
    for source_id, columns in DataSource.objects.filter(kind__in=INCOME_KINDS).values_list(
        "id", "columns"
    ):
        for column in columns or []:
            if column.get("target") == "item":
                for code in column.get("codes", []):
                    headings[(source_id, code["code"])] = code.get("heading", "")
    if not headings:
        return incomes
    ids = population.person_ids
    rows = (
        SourceRecord.objects.filter(
            source_id__in={source for source, _ in headings},
            person_id__gte=int(ids.min()),
            person_id__lte=int(ids.max()),
            period_start__gte=start,
            period_start__lte=end,
            amount__isnull=False,
        )
        .values_list("person_id", "source_id", "item", "period_start")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    order = np.argsort(ids)
    sorted_ids = ids[order]
    # A month's wage: summed within each source (wage and labour of the tax source add up),
    # then the largest of the sources.
    wage_by_source: dict[tuple[int, dt.date, int], float] = defaultdict(float)
    for person_id, source_id, item, month, total in rows.iterator(chunk_size=20_000):
        heading = headings.get((source_id, item), "")
        if heading not in incomes:
            continue
        position = np.searchsorted(sorted_ids, person_id)
        if position >= len(sorted_ids) or sorted_ids[position] != person_id:
            continue  # not a member of this county's households on the date
        index = int(order[position])
        if heading == "wage":
            wage_by_source[(index, month, source_id)] += float(total)
        else:
            incomes[heading][index] += float(total)
    wage_by_month: dict[tuple[int, dt.date], float] = {}
    for (index, month, _source), amount in wage_by_source.items():
        wage_by_month[(index, month)] = max(wage_by_month.get((index, month), 0.0), amount)
    for (index, _month), amount in wage_by_month.items():
        incomes["wage"][index] += amount
    for heading in incomes:
        incomes[heading] /= lookback_months
    return incomes


# Asset kinds counted for the household, as the verification summary counts them.
DEPOSITS, HOUSES, VEHICLES, BUSINESS = range(4)
ASSET_RECORD_COLUMNS = (
    "person_id",
    "source_id",
    "kind",  # DEPOSITS … BUSINESS
    "key",  # reference and item: records about the same thing of the same person
    "thing",  # reference (or the record's own id when it has none): a co-owned thing
    "batch_id",
    "record_id",
    "cents",
    "active",  # a business registration in force
)


@dataclass(frozen=True)
class AssetRules:
    """Which records of the asset sources count as what (the verification summary's rules).

    Deposits: items of the deposit source with an asset heading; houses: real-estate items
    headed "houses"; vehicles: vehicle items headed "vehicles" (a mobility vehicle for a
    disabled person is not counted); businesses: every item of the business source while the
    registration's status is "active".
    """

    items: dict[int, dict[str, int]]  # source id -> item code -> kind (deposits, houses, vehicles)
    business_sources: tuple[int, ...]

    @property
    def source_ids(self) -> list[int]:
        return sorted({*self.items, *self.business_sources})


def asset_rules() -> AssetRules:
    from minzheng.kernel.verification.models import DataSource, RecordKind
    from minzheng.kernel.verification.sources import ASSET_HEADINGS
    from minzheng.kernel.verification.summary import ASSET_KINDS, item_headings

    sources = {s.pk: s for s in DataSource.objects.filter(kind__in=ASSET_KINDS)}
    items: dict[int, dict[str, int]] = defaultdict(dict)
    for (source_id, item), heading in item_headings(sources).items():
        kind = sources[source_id].kind
        if kind == RecordKind.DEPOSIT and heading in ASSET_HEADINGS:
            items[source_id][item] = DEPOSITS
        elif kind == RecordKind.REAL_ESTATE and heading == "houses":
            items[source_id][item] = HOUSES
        elif kind == RecordKind.VEHICLE and heading == "vehicles":
            items[source_id][item] = VEHICLES
    business = tuple(sorted(pk for pk, s in sources.items() if s.kind == RecordKind.BUSINESS))
    return AssetRules(items=dict(items), business_sources=business)


def _asset_records_postgresql(
    rules: AssetRules, lowest: int, highest: int, on: dt.date
) -> np.ndarray:
    """The asset records of persons ``lowest``…``highest`` dated up to ``on``, as int columns.

    References and items are hashed to 64 bits (``hashtextextended``) so that every column
    is a fixed-width integer; the chance that two different references of one person in one
    source share a hash is about 1 in 10^19.
    """
    from minzheng.kernel.verification.models import SourceRecord

    table = pgsql.Identifier(SourceRecord._meta.db_table)
    conditions: list[pgsql.Composable] = []
    if rules.business_sources:
        conditions.append(
            pgsql.SQL("WHEN r.source_id IN ({}) THEN {}").format(
                pgsql.SQL(", ").join(pgsql.Literal(pk) for pk in rules.business_sources),
                pgsql.Literal(BUSINESS),
            )
        )
    for source_id, items in sorted(rules.items.items()):
        for asset in sorted(set(items.values())):
            codes = [code for code, k in items.items() if k == asset]
            conditions.append(
                pgsql.SQL("WHEN r.source_id = {} AND r.item IN ({}) THEN {}").format(
                    pgsql.Literal(source_id),
                    pgsql.SQL(", ").join(pgsql.Literal(code) for code in codes),
                    pgsql.Literal(asset),
                )
            )
    kind = pgsql.SQL("(CASE {} ELSE -1 END)").format(pgsql.SQL(" ").join(conditions))
    query = pgsql.SQL(
        "SELECT * FROM (SELECT r.person_id::int4, r.source_id::int4, {kind}::int4 AS kind,"
        " hashtextextended(COALESCE(r.reference, '') || chr(31) || r.item, 0),"
        " CASE WHEN COALESCE(r.reference, '') = '' THEN -r.id"
        " ELSE hashtextextended(r.reference, 0) END,"
        " r.batch_id::int8, r.id::int8, COALESCE(round(r.amount * 100), 0)::int8,"
        " CASE WHEN r.source_id IN ({business}) THEN (NOT (r.payload ? 'status')"
        " OR COALESCE(r.payload ->> 'status' = 'active', false))::int4 ELSE 1 END"
        " FROM {table} r"
        " WHERE r.source_id IN ({sources}) AND r.person_id BETWEEN {lowest} AND {highest}"
        " AND r.period_start <= {on}) AS records WHERE kind >= 0"
    ).format(
        kind=kind,
        table=table,
        sources=pgsql.SQL(", ").join(pgsql.Literal(pk) for pk in rules.source_ids),
        business=pgsql.SQL(", ").join(pgsql.Literal(pk) for pk in rules.business_sources or (0,)),
        lowest=pgsql.Literal(lowest),
        highest=pgsql.Literal(highest),
        on=pgsql.Literal(on),
    )
    return _copy_binary_ints(query, len(ASSET_RECORD_COLUMNS), wide=(3, 4, 5, 6, 7))


def _asset_records_portable(
    rules: AssetRules, lowest: int, highest: int, on: dt.date, chunk_size: int = 20_000
) -> np.ndarray:
    from minzheng.kernel.verification.models import SourceRecord

    rows = (
        SourceRecord.objects.filter(
            source_id__in=rules.source_ids,
            person_id__gte=lowest,
            person_id__lte=highest,
            period_start__lte=on,
        )
        .order_by()
        .values_list(
            "person_id", "source_id", "item", "reference", "batch_id", "id", "amount", "payload"
        )
    )
    keys: dict[tuple[str, str], int] = {}
    things: dict[str, int] = {}
    encoded = []
    for person, source, item, reference, batch_id, pk, amount, payload in rows.iterator(chunk_size):
        if source in rules.business_sources:
            kind = BUSINESS
        else:
            kind = rules.items.get(source, {}).get(item, -1)
        if kind < 0:
            continue
        reference = reference or ""
        key = keys.setdefault((reference, item), len(keys))
        thing = things.setdefault(reference, len(things) + 1) if reference else -pk
        cents = round((amount or 0) * 100)
        encoded.append(
            (
                person,
                source,
                kind,
                key,
                thing,
                batch_id,
                pk,
                cents,
                (payload or {}).get("status", "active") == "active",
            )
        )
    return np.array(encoded, dtype=np.int64).reshape(-1, len(ASSET_RECORD_COLUMNS))


def _distinct_count(groups: np.ndarray, *keys: np.ndarray, count: int) -> np.ndarray:
    """How many distinct ``keys`` each group (household index) holds."""
    if not len(groups):
        return np.zeros(count, dtype=np.int32)
    order = np.lexsort((*reversed(keys), groups))
    stacked = [groups[order], *(k[order] for k in keys)]
    first = np.ones(len(order), dtype=bool)
    first[1:] = np.any([column[1:] != column[:-1] for column in stacked], axis=0)
    return np.bincount(stacked[0][first], minlength=count).astype(np.int32)


def read_assets(population: CountyPopulation) -> dict[str, np.ndarray]:
    """Each household's assets on the date, as the verification report of that day counts them.

    Set-based, aggregated per household in numpy, with the rules of the household check
    (``kernel.verification.summary``): of the records about the same thing of a person
    (source, reference, item) the one of the latest batch counts; a house, vehicle or
    business held by several members counts once; deposits add up. Records dated after the
    day and records not yet matched to a person of the register do not count.
    """
    n = population.household_count
    assets: dict[str, np.ndarray] = {
        "deposits": np.zeros(n, dtype=np.float64),
        "houses": np.zeros(n, dtype=np.int32),
        "vehicles": np.zeros(n, dtype=np.int32),
        "business": np.zeros(n, dtype=bool),
    }
    rules = asset_rules()
    if not population.person_count or not rules.source_ids:
        return assets
    ids = population.person_ids
    reader = (
        _asset_records_postgresql if connection.vendor == "postgresql" else _asset_records_portable
    )
    records = reader(rules, int(ids.min()), int(ids.max()), population.on)
    if not len(records):
        return assets
    person, source, kind, key, thing, batch, record, cents, active = records.T
    # 1. members of the county's households only
    order = np.argsort(ids)
    position = np.clip(np.searchsorted(ids[order], person), 0, len(ids) - 1)
    member = ids[order][position] == person
    # 2. the latest record of each (person, source, reference, item)
    picked = np.flatnonzero(member)
    latest = np.lexsort(
        (record[picked], batch[picked], key[picked], source[picked], person[picked])
    )
    picked = picked[latest]
    last = np.ones(len(picked), dtype=bool)
    same = (person[picked][1:] == person[picked][:-1]) & (source[picked][1:] == source[picked][:-1])
    last[:-1] = ~(same & (key[picked][1:] == key[picked][:-1]))
    picked = picked[last]
    # 3. a business counts while its registration is active
    picked = picked[(kind[picked] != BUSINESS) | (active[picked] != 0)]
    household = population.person_household[order[position[picked]]]
    kinds = kind[picked]
    deposits = kinds == DEPOSITS
    assets["deposits"] = (
        np.bincount(household[deposits], weights=cents[picked][deposits], minlength=n) / 100
    )
    for name, value in (("houses", HOUSES), ("vehicles", VEHICLES), ("business", BUSINESS)):
        chosen = kinds == value
        counted = _distinct_count(
            household[chosen], source[picked][chosen], thing[picked][chosen], count=n
        )
        assets[name] = counted > 0 if name == "business" else counted
    return assets


def rule_inputs(
    population: CountyPopulation,
) -> tuple[dict[str, Any], dict[str, Any], np.ndarray, np.ndarray]:
    """The batch's columns: households, persons, person → household index, heads."""
    n = population.household_count
    households = {
        "county": np.full(n, int(population.county), dtype=np.int64),
        "rural": population.household_rural,
    }
    persons = {
        "birth_date": population.birth_date,
        "relation": population.relation,
        "disability_grade": population.disability_grade,
        "disability_category": population.disability_category,
        "serious_illness": population.serious_illness,
        "student": population.student,
        "work_ability": population.work_ability,
    }
    for heading, values in population.incomes.items():
        persons[f"income_{heading}"] = values
    households.update(population.assets)
    return households, persons, population.person_household, population.person_is_head


def lookback_months(system: Any, on: dt.date) -> int:
    return int(system.parameters(on.isoformat()).assistance.income.lookback_months)


def evaluate(population: CountyPopulation, *, system: Any) -> OutputArrays:
    """Run the rules over the county's households (one simulation)."""
    households, persons, person_household, is_head = rule_inputs(population)
    result = batch.determine(
        population.on.strftime("%Y-%m"),
        households=households,
        persons=persons,
        person_household=person_household,
        person_is_head=is_head,
        system=system,
        household_outputs=HOUSEHOLD_OUTPUTS,
        person_outputs=PERSON_OUTPUTS,
    )
    return OutputArrays(
        households=result.households,
        persons=result.persons,
        person_household=person_household,
        count=population.household_count,
    )


def empty_outputs(population: CountyPopulation) -> OutputArrays:
    """Outputs of the right shapes with no rules run: the floor the benchmark compares with."""
    n, p = population.household_count, population.person_count
    households: dict[str, np.ndarray] = {name: np.zeros(n) for name in HOUSEHOLD_OUTPUTS}
    households["household_size"] = np.bincount(population.person_household, minlength=n)
    households["temporary_type"] = np.full(n, "none", dtype=object)
    households["temporary_approval_level"] = np.full(n, "none", dtype=object)
    persons = {name: np.zeros(p) for name in PERSON_OUTPUTS}
    return OutputArrays(households, persons, population.person_household, n)


# ---------------------------------------------------------------- writing the results


def _column_values(outputs: OutputArrays) -> dict[str, np.ndarray]:
    values: dict[str, np.ndarray] = {}
    for column in COLUMNS:
        array = column.value(outputs)
        if column.kind == "money":
            values[column.name] = np.round(np.asarray(array, dtype=np.float64), 2)
        elif column.kind == "bool":
            values[column.name] = np.asarray(array).astype(bool)
        elif column.kind == "int":
            values[column.name] = np.rint(np.asarray(array, dtype=np.float64)).astype(np.int32)
        else:
            lookup = {name: i for i, name in enumerate(column.codes)}
            uniques, inverse = np.unique(np.asarray(array).astype(str), return_inverse=True)
            codes = np.array([lookup.get(u, 0) for u in uniques], dtype=np.int16)
            values[column.name] = codes[inverse] if len(inverse) else np.zeros(0, np.int16)
    return values


_PG_TYPES = {"money": ("float8", ">f8"), "bool": ("bool", "u1"), "int": ("int4", ">i4")}
_PG_TYPES["code"] = ("int2", ">i2")


def _binary_copy_payload(household_ids: np.ndarray, values: dict[str, np.ndarray]) -> bytes:
    """A PostgreSQL binary COPY stream of fixed-width columns, built by numpy."""
    fields: list[tuple[str, str]] = [("count", ">i2"), ("l_id", ">i4"), ("v_id", ">i8")]
    for column in COLUMNS:
        fields += [(f"l_{column.name}", ">i4"), (f"v_{column.name}", _PG_TYPES[column.kind][1])]
    rows = np.empty(len(household_ids), dtype=np.dtype(fields))
    rows["count"] = 1 + len(COLUMNS)
    rows["l_id"] = 8
    rows["v_id"] = household_ids
    for column in COLUMNS:
        dtype = np.dtype(_PG_TYPES[column.kind][1])
        rows[f"l_{column.name}"] = dtype.itemsize
        rows[f"v_{column.name}"] = values[column.name]
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    return header + rows.tobytes() + struct.pack(">h", -1)


def _write_postgresql(
    county: str,
    period: dt.date,
    household_ids: np.ndarray,
    values: dict[str, np.ndarray],
    job_id: int | None,
    now: dt.datetime,
) -> None:
    table = Determination._meta.db_table
    temp = "assistance_determination_incoming"
    definitions = ", ".join(f"{c.name} {_PG_TYPES[c.kind][0]} NOT NULL" for c in COLUMNS)
    targets = []
    for column in COLUMNS:
        if column.kind == "money":
            targets.append(f"round({column.name}::numeric, 2)")
        elif column.kind == "code":
            labels = ", ".join(f"'{code}'" for code in column.codes)
            targets.append(f"(ARRAY[{labels}]::varchar[])[{column.name} + 1]")
        else:
            targets.append(column.name)
    names = [column.name for column in COLUMNS]
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in [*names, "county", "job_id", "computed_at"])
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} (household_id int8 NOT NULL, {definitions})"
            " ON COMMIT DROP"
        )
        with cursor.copy(f"COPY {temp} FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(_binary_copy_payload(household_ids, values))
        # Statistics let the planner hash-join the temporary table (not a nested loop).
        cursor.execute(f"ANALYZE {temp}")
        # Table and column names come from the model; values are parameters.
        cursor.execute(
            f"INSERT INTO {table} (household_id, period, county, job_id, computed_at, "  # noqa: S608
            f"{', '.join(names)}) SELECT household_id, %s, %s, %s, %s, {', '.join(targets)} "
            f"FROM {temp} ON CONFLICT (household_id, period) DO UPDATE SET {updates}",
            [period, county, job_id, now],
        )
        cursor.execute(
            f"DELETE FROM {table} d WHERE d.period = %s AND d.county = %s AND NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {temp} t WHERE t.household_id = d.household_id)",
            [period, county],
        )
        cursor.execute(f"DROP TABLE {temp}")


# A fixed-width binary numeric of four base-10000 digits (weight 2, two decimals): holds any
# value of a numeric(12, 2) column; the server strips the zero digits. Two big-endian words:
# the header (digit count, weight, sign, scale) and the four digits.
_NUMERIC_FIELDS = [("head", ">u8"), ("digits", ">u8")]
_PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _numeric_words(array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The header and digit words of each value, rounded to cents."""
    cents = np.rint(np.asarray(array, dtype=np.float64) * 100).astype(np.int64)
    head = np.where(
        cents < 0, (4 << 48) | (2 << 32) | (0x4000 << 16) | 2, (4 << 48) | (2 << 32) | 2
    )
    cents = np.abs(cents)
    whole = cents // 100
    digits = (whole // 100_000_000) << 48
    digits |= ((whole // 10_000) % 10_000) << 32
    digits |= (whole % 10_000) << 16
    digits |= (cents % 100) * 100
    return head.astype(np.uint64), digits.astype(np.uint64)


def _direct_copy_payload(
    county: str,
    period: dt.date,
    household_ids: np.ndarray,
    values: dict[str, np.ndarray],
    job_id: int | None,
    now: dt.datetime,
) -> tuple[list[str], list[Any]]:
    """The table's columns and the parts of a binary COPY stream of the rows, built by numpy.

    The code columns come last; rows are grouped by their pair of codes so that every group
    has fixed-width rows (one structured array per group).
    """
    fixed = [c for c in COLUMNS if c.kind != "code"]
    coded = [c for c in COLUMNS if c.kind == "code"]
    names = ["household_id", "period", "county", "computed_at", "job_id"]
    names += [c.name for c in fixed] + [c.name for c in coded]
    county_bytes = county.encode()
    base: list[tuple[str, Any]] = [
        ("count", ">i2"),
        ("l_household", ">i4"),
        ("v_household", ">i8"),
        ("l_period", ">i4"),
        ("v_period", ">i4"),
        ("l_county", ">i4"),
        ("v_county", f"S{len(county_bytes)}"),
        ("l_computed", ">i4"),
        ("v_computed", ">i8"),
        ("l_job", ">i4"),
    ]
    if job_id is not None:
        base.append(("v_job", ">i8"))
    types = {"bool": "u1", "int": ">i2"}
    for column in fixed:
        if column.kind == "money":
            base += [(f"l_{column.name}", ">i4"), (f"v_{column.name}", _NUMERIC_FIELDS)]
        else:
            base += [(f"l_{column.name}", ">i4"), (f"v_{column.name}", types[column.kind])]
    numerics = {c.name: _numeric_words(values[c.name]) for c in fixed if c.kind == "money"}
    microseconds = (now - _PG_EPOCH) // dt.timedelta(microseconds=1)
    pair = np.zeros(len(household_ids), dtype=np.int64)
    for column in coded:
        pair = pair * len(column.codes) + values[column.name].astype(np.int64)
    unique_pairs, group_of = np.unique(pair, return_inverse=True)
    keys: list[list[int]] = []
    for value in unique_pairs.tolist():
        key: list[int] = []
        for column in reversed(coded):
            value, code = divmod(value, len(column.codes))
            key.insert(0, code)
        keys.append(key)
    parts: list[Any] = [b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)]
    for group, key in enumerate(keys):
        picked: Any = slice(None) if len(keys) == 1 else np.flatnonzero(group_of == group)
        labels = [c.codes[int(code)].encode() for c, code in zip(coded, key, strict=True)]
        fields = base + [
            item
            for i, label in enumerate(labels)
            for item in ((f"l_code{i}", ">i4"), (f"v_code{i}", f"S{len(label)}" if label else "V0"))
        ]
        rows = np.zeros(len(household_ids[picked]), dtype=np.dtype(fields))
        rows["count"] = len(names)
        rows["l_household"], rows["v_household"] = 8, household_ids[picked]
        rows["l_period"], rows["v_period"] = 4, (period - dt.date(2000, 1, 1)).days
        rows["l_county"], rows["v_county"] = len(county_bytes), county_bytes
        rows["l_computed"], rows["v_computed"] = 8, microseconds
        if job_id is None:
            rows["l_job"] = -1
        else:
            rows["l_job"], rows["v_job"] = 8, job_id
        for column in fixed:
            target = rows[f"v_{column.name}"]
            if column.kind == "money":
                head, digits = numerics[column.name]
                rows[f"l_{column.name}"] = 16
                target["head"], target["digits"] = head[picked], digits[picked]
            else:
                rows[f"l_{column.name}"] = np.dtype(types[column.kind]).itemsize
                rows[f"v_{column.name}"] = values[column.name][picked]
        for i, label in enumerate(labels):
            rows[f"l_code{i}"] = len(label)
            if label:
                rows[f"v_code{i}"] = label
        parts.append(rows.view(np.uint8).data)
    parts.append(struct.pack(">h", -1))
    return names, parts


def _write_postgresql_county(
    county: str,
    period: dt.date,
    household_ids: np.ndarray,
    values: dict[str, np.ndarray],
    job_id: int | None,
    now: dt.datetime,
) -> None:
    """Replace the county's rows of the month: one DELETE, then one binary COPY into the table.

    A household of the county may still have a row of the month under another county (it
    moved since the last run): the COPY then breaks the one-row-per-month constraint, and the
    chunk falls back to the upsert, which replaces that row.
    """
    from psycopg import errors

    table = Determination._meta.db_table
    names, parts = _direct_copy_payload(county, period, household_ids, values, job_id, now)
    connection.ensure_connection()
    with transaction.atomic():
        raw = connection.connection
        with raw.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE period = %s AND county = %s",  # noqa: S608
                [period, county],
            )
        try:
            with transaction.atomic(), raw.cursor() as cursor:
                statement = f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)"
                with cursor.copy(statement) as copy:
                    for part in parts:
                        copy.write(part)
        except errors.UniqueViolation:
            _write_postgresql(county, period, household_ids, values, job_id, now)


def _write_portable(
    county: str,
    period: dt.date,
    household_ids: np.ndarray,
    values: dict[str, np.ndarray],
    job_id: int | None,
    now: dt.datetime,
) -> None:
    ids = [int(i) for i in household_ids]
    Determination.objects.filter(period=period).filter(
        Q(county=county) | Q(household_id__in=ids)
    ).delete()
    cents = Decimal("0.01")
    columns: dict[str, list[Any]] = {}
    for column in COLUMNS:
        array = values[column.name]
        if column.kind == "money":
            columns[column.name] = [Decimal(repr(float(v))).quantize(cents) for v in array]
        elif column.kind == "code":
            columns[column.name] = [column.codes[int(v)] for v in array]
        elif column.kind == "bool":
            columns[column.name] = [bool(v) for v in array]
        else:
            columns[column.name] = [int(v) for v in array]
    Determination.objects.bulk_create(
        [
            Determination(
                household_id=household_id,
                period=period,
                county=county,
                job_id=job_id,
                computed_at=now,
                **{name: columns[name][i] for name in columns},
            )
            for i, household_id in enumerate(ids)
        ],
        batch_size=2000,
    )


def write_determinations(
    population: CountyPopulation, outputs: OutputArrays, *, job_id: int | None = None
) -> int:
    """Replace the county's determinations for the month with ``outputs``; returns the count."""
    period = population.on.replace(day=1)
    values = _column_values(outputs)
    writer = _write_postgresql_county if connection.vendor == "postgresql" else _write_portable
    writer(population.county, period, population.household_ids, values, job_id, timezone.now())
    return population.household_count


def determine_county(
    *,
    county: str,
    on: dt.date,
    job_id: int | None = None,
    system: Any = None,
    rules: bool = True,
) -> int:
    """Determine every household of one county for the month of ``on`` (read → rules → write).

    Always with the rules in force unless ``system`` is given. ``rules=False`` reads and writes
    the same columns without evaluating anything (the benchmark's floor).
    """
    from minzheng.kernel.parameters.selectors import system_in_force

    system = system or system_in_force()
    population = read_population(county, on, lookback_months=lookback_months(system, on))
    outputs = evaluate(population, system=system) if rules else empty_outputs(population)
    return write_determinations(population, outputs, job_id=job_id)


def determine_counties(counties: Iterable[str], on: dt.date) -> int:
    """Every given county in turn (without a job), for scripts and the benchmark."""
    return sum(determine_county(county=county, on=on) for county in counties)
