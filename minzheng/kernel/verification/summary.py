"""The frozen summary of a household check, shaped as the rules engine's input.

Per member: income by heading over the look-back window (total and monthly average), the
assets the sources show, and events (death, household-registration changes). Per
household: the same added up. Rules of counting:

- wage: one month's wage reported by several departments (tax, social insurance, housing
  fund) counts once, the largest figure; every other heading adds up;
- assets are snapshots: of the records about the same thing (certificate, plate, credit
  code, institution and asset type) the one from the latest batch counts;
- a business counts while its registration status is "active"; a mobility vehicle for a
  disabled person is listed but not counted as a vehicle.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Q

from minzheng.kernel.people.models import Membership, Person
from minzheng.kernel.verification.models import DataSource, RecordKind, SourceRecord
from minzheng.kernel.verification.sources import ASSET_HEADINGS, INCOME_HEADINGS

SUMMARY_VERSION = 1
INCOME_KINDS = {
    RecordKind.SOCIAL_INSURANCE,
    RecordKind.WAGE,
    RecordKind.HOUSING_FUND,
    RecordKind.UNEMPLOYMENT,
}
ASSET_KINDS = {RecordKind.REAL_ESTATE, RecordKind.VEHICLE, RecordKind.BUSINESS, RecordKind.DEPOSIT}
EVENT_KINDS = {RecordKind.DEATH, RecordKind.HUKOU_CHANGE}


def window(as_of: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The `months` whole months before the month of `as_of`."""
    end = as_of.replace(day=1) - dt.timedelta(days=1)
    year, month = end.year, end.month - months + 1
    while month < 1:
        year, month = year - 1, month + 12
    return dt.date(year, month, 1), end


def _money(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


def item_headings(sources: dict[int, DataSource]) -> dict[tuple[int, str], str]:
    """(source id, item code) → income or asset heading ("" when it counts as neither).

    Shared with the bulk determination, which applies the same rules of counting set-based.
    """
    headings = {}
    for source in sources.values():
        for column in source.columns:
            for code in column.get("codes", []):
                if column.get("target") == "item":
                    headings[(source.pk, code["code"])] = code.get("heading", "")
    return headings


def members_on(household_id: int, as_of: dt.date) -> list[Membership]:
    return list(
        Membership.objects.filter(household_id=household_id, start_date__lte=as_of)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=as_of))
        .select_related("person")
        .order_by("start_date", "id")
    )


def _records(persons: list[Person], as_of: dt.date, start: dt.date) -> list[SourceRecord]:
    ids = [p.pk for p in persons]
    digests = [p.id_number_digest for p in persons]
    return list(
        SourceRecord.objects.filter(
            Q(person_id__in=ids) | Q(person__isnull=True, id_number_digest__in=digests)
        )
        .filter(period_start__lte=as_of)
        .only(
            "id",
            "batch_id",
            "source_id",
            "person_id",
            "id_number_digest",
            "item",
            "period_start",
            "period_end",
            "amount",
            "area",
            "reference",
            "payload",
        )
        .order_by("id")
    )


def build(
    *, household_id: int, as_of: dt.date, months: int
) -> tuple[dict[str, Any], list[int], list[Membership]]:
    """The summary, the ids of the records it used, and the members it covered."""
    start, end = window(as_of, months)
    memberships = members_on(household_id, as_of)
    persons = [m.person for m in memberships]
    by_digest = {p.id_number_digest: p.pk for p in persons}
    sources = {s.pk: s for s in DataSource.objects.all()}
    headings = item_headings(sources)
    used: list[SourceRecord] = []
    latest_asset: dict[tuple[int, int, str, str], SourceRecord] = {}
    for record in _records(persons, as_of, start):
        person_id = record.person_id or by_digest.get(record.id_number_digest)
        if person_id is None:
            continue
        record.person_id = person_id
        kind = sources[record.source_id].kind
        if kind in INCOME_KINDS:
            if start <= record.period_start <= end:
                used.append(record)
        elif kind in ASSET_KINDS:
            key = (person_id, record.source_id, record.reference, record.item)
            kept = latest_asset.get(key)
            if kept is None or (record.batch_id, record.pk) > (kept.batch_id, kept.pk):
                latest_asset[key] = record
        elif kind in EVENT_KINDS and (kind == RecordKind.DEATH or record.period_start >= start):
            used.append(record)
    used.extend(latest_asset.values())
    used.sort(key=lambda r: r.pk)

    member_rows = []
    household_income = dict.fromkeys(INCOME_HEADINGS, Decimal(0))
    household_assets: dict[str, Any] = {
        "deposits": Decimal(0),
        "houses": 0,
        "house_area": Decimal(0),
        "vehicles": 0,
        "vehicles_exempt": 0,
        "businesses": 0,
        "housing_fund_balance": Decimal(0),
    }
    per_source: dict[str, dict[str, Any]] = defaultdict(lambda: {"records": 0, "batches": set()})
    records_by_person: dict[int, list[SourceRecord]] = defaultdict(list)
    for record in used:
        records_by_person[record.person_id].append(record)  # type: ignore[index]
        source = sources[record.source_id]
        per_source[source.code]["records"] += 1
        per_source[source.code]["batches"].add(record.batch_id)

    for membership in memberships:
        person = membership.person
        income, assets, events, months_seen = _member(
            records_by_person.get(person.pk, []), sources, headings
        )
        for heading, total in income.items():
            household_income[heading] += total
        for asset, value in assets.items():
            household_assets[asset] += value
        member_rows.append(
            {
                "person_id": person.pk,
                "name": person.name,
                "id_number_masked": person.id_number_masked,
                "relation": membership.relation,
                "birth_date": person.birth_date.isoformat(),
                "income_total": {h: _money(v) for h, v in income.items()},
                "income_monthly": {h: _money(v / months) for h, v in income.items()},
                "months_with_income": months_seen,
                "assets": _assets_json(assets),
                "events": events,
                "records": len(records_by_person.get(person.pk, [])),
            }
        )
    _count_shared_things(household_assets, used, sources, headings)
    count = max(len(memberships), 1)
    summary = {
        "version": SUMMARY_VERSION,
        "as_of": as_of.isoformat(),
        "window": {"start": start.isoformat(), "end": end.isoformat(), "months": months},
        "members": member_rows,
        "household": {
            "members": len(memberships),
            "income_total": {h: _money(v) for h, v in household_income.items()},
            "income_monthly": {h: _money(v / months) for h, v in household_income.items()},
            "income_monthly_per_capita": _money(
                sum(household_income.values(), Decimal(0)) / months / count
            ),
            "assets": {
                **_assets_json(household_assets),
                "deposits_per_capita": _money(household_assets["deposits"] / count),
                "business": household_assets["businesses"] > 0,
            },
        },
        "sources": {
            code: {"records": info["records"], "batches": sorted(info["batches"])}
            for code, info in sorted(per_source.items())
        },
        "record_count": len(used),
    }
    return summary, [r.pk for r in used], memberships


def _count_shared_things(
    assets: dict[str, Any],
    used: list[SourceRecord],
    sources: dict[int, DataSource],
    headings: dict[tuple[int, str], str],
) -> None:
    """Houses, vehicles and businesses of the household: a co-owned thing counts once."""
    houses: dict[tuple[int, str], Decimal] = {}
    vehicles: set[tuple[int, str]] = set()
    exempt: set[tuple[int, str]] = set()
    businesses: set[tuple[int, str]] = set()
    for record in used:
        kind = sources[record.source_id].kind
        heading = headings.get((record.source_id, record.item), "")
        key = (record.source_id, record.reference or f"#{record.pk}")
        if kind == RecordKind.REAL_ESTATE and heading == "houses":
            houses[key] = record.area or Decimal(0)
        elif kind == RecordKind.VEHICLE:
            (vehicles if heading == "vehicles" else exempt).add(key)
        elif (
            kind == RecordKind.BUSINESS
            and (record.payload or {}).get("status", "active") == "active"
        ):
            businesses.add(key)
    assets["houses"] = len(houses)
    assets["house_area"] = sum(houses.values(), Decimal(0))
    assets["vehicles"] = len(vehicles)
    assets["vehicles_exempt"] = len(exempt)
    assets["businesses"] = len(businesses)


def _assets_json(assets: dict[str, Any]) -> dict[str, Any]:
    return {
        key: _money(value) if isinstance(value, Decimal) else value for key, value in assets.items()
    }


def _member(
    records: list[SourceRecord],
    sources: dict[int, DataSource],
    headings: dict[tuple[int, str], str],
) -> tuple[dict[str, Decimal], dict[str, Any], dict[str, Any], dict[str, int]]:
    income = dict.fromkeys(INCOME_HEADINGS, Decimal(0))
    wage_by_month: dict[dt.date, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    months_seen: dict[str, set[dt.date]] = defaultdict(set)
    assets: dict[str, Any] = {
        "deposits": Decimal(0),
        "houses": 0,
        "house_area": Decimal(0),
        "vehicles": 0,
        "vehicles_exempt": 0,
        "businesses": 0,
        "housing_fund_balance": Decimal(0),
    }
    events: dict[str, Any] = {"death_date": None, "hukou_changes": []}
    latest_fund: tuple[dt.date, Decimal] | None = None
    for record in records:
        source = sources[record.source_id]
        heading = headings.get((record.source_id, record.item), "")
        amount = record.amount or Decimal(0)
        if source.kind in INCOME_KINDS:
            if heading == "wage":
                wage_by_month[record.period_start][record.source_id] += amount
            elif heading in income:
                income[heading] += amount
            if heading:
                months_seen[heading].add(record.period_start)
            balance = (record.payload or {}).get("balance")
            if (
                source.kind == RecordKind.HOUSING_FUND
                and balance
                and (latest_fund is None or record.period_start >= latest_fund[0])
            ):
                latest_fund = (record.period_start, Decimal(balance))
        elif source.kind == RecordKind.DEPOSIT and heading in ASSET_HEADINGS:
            assets["deposits"] += amount
        elif source.kind == RecordKind.REAL_ESTATE and heading == "houses":
            assets["houses"] += 1
            assets["house_area"] += record.area or Decimal(0)
        elif source.kind == RecordKind.VEHICLE:
            assets["vehicles" if heading == "vehicles" else "vehicles_exempt"] += 1
        elif source.kind == RecordKind.BUSINESS:
            if (record.payload or {}).get("status", "active") == "active":
                assets["businesses"] += 1
        elif source.kind == RecordKind.DEATH:
            events["death_date"] = record.period_start.isoformat()
        elif source.kind == RecordKind.HUKOU_CHANGE:
            events["hukou_changes"].append(
                {"change": record.item, "date": record.period_start.isoformat()}
            )
    for by_source in wage_by_month.values():
        income["wage"] += max(by_source.values())
    if latest_fund is not None:
        assets["housing_fund_balance"] = latest_fund[1]
    events["hukou_changes"].sort(key=lambda change: change["date"])
    return income, assets, events, {h: len(m) for h, m in sorted(months_seen.items())}
