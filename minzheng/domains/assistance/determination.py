"""The bulk bridge between the register and the rules: one county per call, arrays throughout.

Steps of one county (one job chunk):

1. read the members living together on the date (Membership current on that date, living
   persons) and their facts into numpy arrays: PostgreSQL streams them with a binary COPY of
   fixed-width integer columns (parsed by numpy without a Python loop); SQLite reads
   ``values_list`` in chunks; numpy sorts them by household, the head first;
2. read each member's monthly incomes from the verification sources with one grouped query;
3. read each household's assets (deposits, houses, vehicles, business) from the asset
   sources' records with the household check's rules of counting (one COPY, numpy groups);
   a caller that needs only some households of the county (the recalculation after a
   standard change: the enrolled ones) passes their ids, and steps 1 to 3 read only those
   households, their members and their members' records (``= ANY(array)``, still set-based);
4. evaluate every household with ``rules.batch.determine`` and the rules in force;
5. write one Determination per household: on PostgreSQL the table is partitioned by month
   and county (ADR 0019), so a county's rerun empties its partition and copies the new rows
   straight in (a binary COPY built by numpy, frozen), then deletes the month's rows of its
   households under another county (households that moved); SQLite deletes and
   bulk-creates. Households of the county without members that day lose their row.

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
import psycopg
from django.db import connection, transaction
from django.db.models import BooleanField, Q, Sum
from django.db.models.expressions import RawSQL
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
    # Read for given households only (``read_population(households=…)``): the source records
    # are then read for these persons' ids, not for the range of the county's ids.
    subset: bool = False

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
    """Rows of ``width`` non-null integer columns of ``query``, as an (n, width) int64 array.

    Columns are int4 except those whose positions are in ``wide`` (int8). The server gathers
    each column into one array (``array_agg``) and sends it in its binary form
    (``array_send``): a header, then each element's length and big-endian value, which numpy
    reads in one step. Ten arrays cross the wire instead of a message per row, whose
    handling in Python cost more than the query (about 2 s per million rows).
    """
    names = [f"c{i}" for i in range(width)]
    statement = pgsql.SQL("SELECT {} FROM ({}) AS q ({})").format(
        pgsql.SQL(", ").join(
            pgsql.SQL("array_send(array_agg({}))").format(pgsql.Identifier(name)) for name in names
        ),
        query,
        pgsql.SQL(", ").join(pgsql.Identifier(name) for name in names),
    )
    connection.ensure_connection()
    # A server-side-binding cursor: Django's default client-side cursor cannot return binary.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(statement, binary=True)
        arrays = cursor.fetchone()
    if arrays is None or arrays[0] is None:
        return np.zeros((0, width), dtype=np.int64)
    columns = []
    for i, data in enumerate(arrays):
        # ndim, has-nulls flag, element type; then length and lower bound of the dimension
        ndim, _flags, _type, length = struct.unpack_from(">iiii", data)
        if ndim != 1:
            raise ValueError("expected a one-dimensional array")
        element = np.dtype([("size", ">i4"), ("value", ">i8" if i in wide else ">i4")])
        values = np.frombuffer(data, dtype=element, count=length, offset=20)["value"]
        columns.append(values.astype(np.int64))
    return np.stack(columns, axis=1)


def _id_array(ids: np.ndarray) -> pgsql.Composable:
    """A literal int8 array of ``ids`` for ``= ANY(…)``: integers only, joined as text (the
    list adapter quotes value by value, slower for a county's tens of thousands)."""
    text = ",".join(map(str, np.asarray(ids, dtype=np.int64).tolist()))
    return pgsql.SQL("{}::int8[]").format(pgsql.Literal("{" + text + "}"))


def _members_postgresql(
    county_path: str, on: dt.date, households: np.ndarray | None = None
) -> np.ndarray:
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
    if households is not None:
        query = pgsql.SQL("{} AND m.household_id = ANY({})").format(query, _id_array(households))
    return _copy_binary_ints(query, len(PERSON_COLUMNS))


# Above this many households the portable reader reads the county and keeps the wanted ones
# (SQLite limits the parameters of one statement).
PORTABLE_IN_LIMIT = 10_000


def _members_portable(
    county_path: str,
    on: dt.date,
    households: np.ndarray | None = None,
    chunk_size: int = 20_000,
) -> np.ndarray:
    members = Membership.objects.filter(
        household__region__path__startswith=county_path, start_date__lte=on
    )
    if households is not None and len(households) <= PORTABLE_IN_LIMIT:
        members = members.filter(household_id__in=households.tolist())
    rows = (
        members.filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
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
    members_read = np.array(encoded, dtype=np.int64).reshape(-1, len(PERSON_COLUMNS))
    if households is not None and len(households) > PORTABLE_IN_LIMIT:
        members_read = members_read[np.isin(members_read[:, 0], households)]
    return members_read


def read_population(
    county: str,
    on: dt.date,
    *,
    lookback_months: int = 12,
    households: Iterable[int] | np.ndarray | None = None,
) -> CountyPopulation:
    """The county's households living together on ``on``, their members' facts and incomes.

    ``households``: only these households (ids) of the county, their members and their
    members' records are read; ids of households outside the county or without members
    living together on ``on`` are left out, as in the whole county's read. ``None`` reads
    every household of the county.
    """
    county_region = Region.objects.get(code=county, level=RegionLevel.COUNTY)
    wanted = None if households is None else np.unique(np.fromiter(households, dtype=np.int64))
    if wanted is not None and not len(wanted):
        rows = np.zeros((0, len(PERSON_COLUMNS)), dtype=np.int64)
    elif connection.vendor == "postgresql":
        rows = _members_postgresql(county_region.path, on, wanted)
    else:
        rows = _members_portable(county_region.path, on, wanted)
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
        subset=wanted is not None,
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
    records = SourceRecord.objects.filter(
        source_id__in={source for source, _ in headings},
        person_id__gte=int(ids.min()),
        person_id__lte=int(ids.max()),
        period_start__gte=start,
        period_start__lte=end,
        amount__isnull=False,
    )
    if population.subset and connection.vendor == "postgresql":
        # Only these persons' records (members of other households are dropped below anyway).
        # The ids are bound as one array parameter; only the table's name is spliced in.
        records = records.filter(
            RawSQL(  # noqa: S611
                f'"{SourceRecord._meta.db_table}"."person_id"'
                " = ANY(string_to_array(%s, ',')::int8[])",
                (",".join(map(str, ids.tolist())),),
                output_field=BooleanField(),
            )
        )
    rows = (
        records.values_list("person_id", "source_id", "item", "period_start")
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
    rules: AssetRules, lowest: int, highest: int, on: dt.date, persons: np.ndarray | None = None
) -> np.ndarray:
    """The asset records of persons ``lowest``…``highest`` dated up to ``on``, as int columns
    (of the ``persons`` ids only, when given).

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
        " AND r.period_start <= {on}{persons}) AS records WHERE kind >= 0"
    ).format(
        kind=kind,
        table=table,
        sources=pgsql.SQL(", ").join(pgsql.Literal(pk) for pk in rules.source_ids),
        business=pgsql.SQL(", ").join(pgsql.Literal(pk) for pk in rules.business_sources or (0,)),
        lowest=pgsql.Literal(lowest),
        highest=pgsql.Literal(highest),
        on=pgsql.Literal(on),
        persons=pgsql.SQL("")
        if persons is None
        else pgsql.SQL(" AND r.person_id = ANY({})").format(_id_array(persons)),
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
    if connection.vendor == "postgresql":
        records = _asset_records_postgresql(
            rules, int(ids.min()), int(ids.max()), population.on, ids if population.subset else None
        )
    else:
        records = _asset_records_portable(rules, int(ids.min()), int(ids.max()), population.on)
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


# PostgreSQL keeps the determinations in a table partitioned by month (RANGE on period), each
# month by county (LIST on county): ADR 0019. A county's rerun empties its own partition and
# copies the new rows in, frozen, instead of deleting and inserting row by row.
PARTITION_LOCK = 0x6D7A_6465_7465_726D  # pg_advisory_xact_lock key: "mzdeterm"


def partition_names(period: dt.date, county: str) -> tuple[str, str]:
    """The month's partition and the county's partition within it."""
    month = f"{Determination._meta.db_table}_{period:%Y%m}"
    return month, f"{month}_{county}"


def _month_after(period: dt.date) -> dt.date:
    return (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def prepare_partitions(period: dt.date, counties: Iterable[str]) -> None:
    """Create the month's partition and its counties' partitions where missing.

    Creating a partition locks its parent until the transaction ends, so the job's start
    calls this in a short transaction of its own before any chunk runs; a chunk then finds
    its partition in place and takes no lock on the parent. An advisory lock keeps two
    callers from creating the same partition at once.
    """
    if connection.vendor != "postgresql":
        return
    period = period.replace(day=1)
    wanted = {county: partition_names(period, county) for county in counties}
    names = sorted({name for pair in wanted.values() for name in pair})
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s)", [names])
        if {row[0] for row in cursor.fetchall()} >= set(names):
            return
    table = pgsql.Identifier(Determination._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PARTITION_LOCK])
        for county, (month, leaf) in sorted(wanted.items()):
            cursor.execute(
                pgsql.SQL(
                    "CREATE TABLE IF NOT EXISTS {month} PARTITION OF {table}"
                    " FOR VALUES FROM ({start}) TO ({end}) PARTITION BY LIST (county)"
                ).format(
                    month=pgsql.Identifier(month),
                    table=table,
                    start=pgsql.Literal(period),
                    end=pgsql.Literal(_month_after(period)),
                )
            )
            cursor.execute(
                pgsql.SQL(
                    "CREATE TABLE IF NOT EXISTS {leaf} PARTITION OF {month}"
                    " FOR VALUES IN ({county})"
                ).format(
                    leaf=pgsql.Identifier(leaf),
                    month=pgsql.Identifier(month),
                    county=pgsql.Literal(county),
                )
            )


def _write_postgresql_county(
    county: str,
    period: dt.date,
    household_ids: np.ndarray,
    values: dict[str, np.ndarray],
    job_id: int | None,
    now: dt.datetime,
) -> None:
    """Replace the county's rows of the month: empty its partition, COPY the rows in frozen.

    A household of the county may still have a row of the month under another county (it
    moved since that county ran): that row is deleted, so a household has one row a month.
    """
    from psycopg import errors

    prepare_partitions(period, [county])
    month, leaf = partition_names(period, county)
    names, parts = _direct_copy_payload(county, period, household_ids, values, job_id, now)
    columns = pgsql.SQL(", ").join(pgsql.Identifier(name) for name in names)
    connection.ensure_connection()
    raw = connection.connection

    def replace(options: str) -> None:
        with raw.cursor() as cursor:
            cursor.execute(pgsql.SQL("TRUNCATE {}").format(pgsql.Identifier(leaf)))
            statement = pgsql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY{})").format(
                pgsql.Identifier(leaf), columns, pgsql.SQL(options)
            )
            with cursor.copy(statement) as copy:
                for part in parts:
                    copy.write(part)

    with transaction.atomic():
        _lock_month(month, leaf)
        try:
            # FREEZE: rows written already visible to all, so no later pass rewrites the
            # pages to set hint bits or freeze them. Refused when this transaction holds an
            # older snapshot or an open cursor; then the rows are copied the ordinary way.
            with transaction.atomic():
                replace(", FREEZE")
        except errors.ObjectNotInPrerequisiteState:
            replace("")
        _delete_moved(month, leaf, county)


def _lock_month(month: str, leaf: str) -> None:
    """Lock the month's county partitions in name order: the chunk's own one exclusively (it
    is emptied and rewritten), the others against emptying (their rows are checked for moved
    households and some may be deleted).

    Two chunks of the same month each need the other's partition (to check it) while holding
    their own (emptied): taken in one global order, the locks cannot deadlock; a chunk waits
    at most for the other chunk's write to commit.
    """
    with connection.connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [month],
        )
        for (name,) in cursor.fetchall():
            mode = "ACCESS EXCLUSIVE" if name == leaf else "ROW EXCLUSIVE"
            cursor.execute(
                pgsql.SQL("LOCK TABLE {} IN {} MODE").format(
                    pgsql.Identifier(name), pgsql.SQL(mode)
                )
            )


# The month's other county partitions against the one just written, both read in household
# order from their primary-key indexes (index-only: the rows were copied in frozen). A fresh
# partition has no statistics, and the planner would otherwise probe row by row or hash every
# other county's rows; forcing the merge keeps the check at a fraction of a second.
_MERGE_ONLY = ("enable_hashjoin", "enable_nestloop", "enable_seqscan", "enable_sort")


def _delete_moved(month: str, leaf: str, county: str) -> None:
    """Delete the month's rows under other counties of households just written under ``county``."""
    query = pgsql.SQL(
        "SELECT m.household_id FROM {month} m JOIN {leaf} l ON l.household_id = m.household_id"
        " WHERE m.county <> {county}"
    ).format(
        month=pgsql.Identifier(month), leaf=pgsql.Identifier(leaf), county=pgsql.Literal(county)
    )
    with connection.connection.cursor() as cursor:
        for setting in _MERGE_ONLY:
            cursor.execute(pgsql.SQL("SET LOCAL {} = off").format(pgsql.Identifier(setting)))
        cursor.execute(query)
        moved = [row[0] for row in cursor.fetchall()]
        for setting in _MERGE_ONLY:
            cursor.execute(pgsql.SQL("SET LOCAL {} TO DEFAULT").format(pgsql.Identifier(setting)))
        if moved:
            cursor.execute(
                pgsql.SQL(
                    "DELETE FROM {month} WHERE county <> {county} AND household_id = ANY(%s)"
                ).format(month=pgsql.Identifier(month), county=pgsql.Literal(county)),
                [moved],
            )


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
