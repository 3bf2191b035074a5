"""Demo source records, so that the demo households have something to verify.

Called at the end of a demo load (people.demo.loader). Deterministic by seed: one batch
per source, written through the import's record writer, covering the twelve months before
the month of the load (the window a report made that day looks at). Rates are plausible,
not statistics: most working-age adults have social-insurance contribution records, many
also tax and housing-fund records; pensioners have pension records; most households own a
home, a third a car, a few a business; everybody dead in the register has a death record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.utils import timezone

from minzheng.kernel.people.models import Membership, Person
from minzheng.kernel.regions.models import Region
from minzheng.kernel.verification.models import BatchStatus, DataSource, SourceBatch
from minzheng.kernel.verification.summary import window
from minzheng.kernel.verification.validation import ValidRows
from minzheng.kernel.verification.writing import record_writer

MAX_PERSONS = 200_000  # larger registers (county and city scale) get no demo records
EMPLOYERS = (
    "嘉兴市禾城纺织有限公司",
    "浙江嘉欣丝绸股份有限公司",
    "嘉兴港区物流有限公司",
    "嘉兴市南湖区人民医院",
    "桐乡市濮院毛衫有限公司",
    "海宁市皮革城服务有限公司",
    "平湖市光机电有限公司",
    "嘉善县木业有限公司",
)
BANKS = ("中国工商银行嘉兴分行", "中国农业银行嘉兴分行", "嘉兴银行", "浙江农商银行嘉兴分行")
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass
class _Rows:
    """Records of one source, collected as columns."""

    person: list[int | None] = field(default_factory=list)
    digest: list[str] = field(default_factory=list)
    masked: list[str] = field(default_factory=list)
    name: list[str | None] = field(default_factory=list)
    item: list[str | None] = field(default_factory=list)
    period_start: list[str] = field(default_factory=list)
    period_end: list[str] = field(default_factory=list)
    amount: list[str | None] = field(default_factory=list)
    area: list[str | None] = field(default_factory=list)
    reference: list[str | None] = field(default_factory=list)
    payload: list[str] = field(default_factory=list)

    def add(
        self,
        who: tuple[int, str, str, str],
        item: str,
        start: dt.date,
        end: dt.date,
        *,
        amount: float | None = None,
        area: float | None = None,
        reference: str = "",
        payload: dict[str, str] | None = None,
    ) -> None:
        person_id, digest, masked, name = who
        self.person.append(person_id)
        self.digest.append(digest)
        self.masked.append(masked)
        self.name.append(name)
        self.item.append(item)
        self.period_start.append(start.isoformat())
        self.period_end.append(end.isoformat())
        self.amount.append(None if amount is None else f"{amount:.2f}")
        self.area.append(None if area is None else f"{area:.2f}")
        self.reference.append(reference or None)
        self.payload.append(json.dumps(payload or {}, ensure_ascii=False))

    def valid_rows(self) -> ValidRows:
        count = len(self.person)
        return ValidRows(
            lines=list(range(2, count + 2)),
            person=self.person,
            digest=self.digest,
            masked=self.masked,
            name=self.name,
            item=self.item,
            period_start=self.period_start,
            period_end=self.period_end,
            amount=self.amount,
            area=self.area,
            quantity=[None] * count,
            reference=self.reference,
            payload=self.payload,
        )


def _months(today: dt.date) -> list[tuple[dt.date, dt.date]]:
    start, end = window(today, 12)
    months = []
    day = start
    while day <= end:
        following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        months.append((day, following - dt.timedelta(days=1)))
        day = following
    return months


def seed_source_records(*, seed: int, today: dt.date | None = None) -> int:
    """Write demo records for the register's persons; returns how many (0 when skipped)."""
    count = Person.objects.count()
    if (
        not count
        or count > MAX_PERSONS
        or SourceBatch.objects.filter(file_name__startswith="演示").exists()
    ):
        return 0
    today = today or timezone.localdate()
    rng = np.random.default_rng([seed, 20251])
    months = _months(today)
    rows: dict[str, _Rows] = defaultdict(_Rows)
    households: dict[int, list[tuple[Person, str]]] = defaultdict(list)
    for membership in (
        Membership.objects.filter(end_date__isnull=True)
        .select_related("person")
        .only(
            "household_id",
            "relation",
            "person__id",
            "person__id_number_digest",
            "person__id_number_masked",
            "person__name",
            "person__birth_date",
            "person__sex",
            "person__work_ability",
            "person__is_student",
            "person__death_date",
            "person__disability_grade",
        )
        .order_by("household_id", "id")
    ):
        households[membership.household_id].append((membership.person, membership.relation))
    for members in households.values():
        _household(rng, members, months, today, rows)
    _deaths(rows, today)
    return _write(rows, seed)


def _who(person: Person) -> tuple[int, str, str, str]:
    return (person.pk, person.id_number_digest, person.id_number_masked, person.name)


def _household(
    rng: np.random.Generator,
    members: list[tuple[Person, str]],
    months: list[tuple[dt.date, dt.date]],
    today: dt.date,
    rows: dict[str, _Rows],
) -> None:
    adults = []
    for person, relation in members:
        if person.death_date is not None:
            continue
        age = person.age_on(today)
        who = _who(person)
        if age >= 18:
            adults.append((person, relation))
        if age >= 60:
            _pension(rng, who, months, rows)
        elif age >= 18 and not person.is_student and person.work_ability != "none":
            _work(rng, who, months, rows)
        if age >= 18 and rng.random() < 0.8:
            bank = BANKS[int(rng.integers(len(BANKS)))]
            balance = float(np.round(rng.lognormal(np.log(30000), 1.1), -2))
            rows["deposit"].add(
                who, "deposit", months[-1][1], months[-1][1], amount=balance, reference=bank
            )
            if rng.random() < 0.15:
                value = float(np.round(rng.lognormal(np.log(50000), 0.8), -2))
                rows["deposit"].add(
                    who,
                    "wealth_product",
                    months[-1][1],
                    months[-1][1],
                    amount=value,
                    reference=bank,
                )
        if rng.random() < 0.01:
            start, _ = months[int(rng.integers(len(months)))]
            day = start + dt.timedelta(days=int(rng.integers(27)))
            rows["hukou_change"].add(who, "move_in", day, day, reference="330411105")
    if not adults:
        return
    owners = [p for p, relation in adults if relation in ("head", "spouse")] or [adults[0][0]]
    head = owners[0]
    draw = rng.random()
    houses = 0 if draw < 0.28 else (2 if draw > 0.92 else 1)
    for number in range(houses):
        year = int(rng.integers(1998, 2024))
        registered = dt.date(year, int(rng.integers(1, 13)), int(rng.integers(1, 28)))
        certificate = f"浙({year})嘉兴市不动产权第{int(rng.integers(1, 9_999_999)):07d}号"
        area = float(np.clip(rng.normal(95, 28), 35, 260))
        for owner in owners if number == 0 else [head]:
            rows["real_estate"].add(
                _who(owner),
                "residential",
                registered,
                registered,
                area=area,
                reference=certificate,
                payload={"address": ""},
            )
    draw = rng.random()
    cars = 0 if draw < 0.62 else (2 if draw > 0.96 else 1)
    for _ in range(cars):
        owner = owners[int(rng.integers(len(owners)))]
        day = dt.date(int(rng.integers(2010, 2025)), int(rng.integers(1, 13)), 1)
        plate = "浙F" + "".join(
            PLATE_LETTERS[int(i)] if k == 0 else str(int(i) % 10)
            for k, i in enumerate(rng.integers(0, 24, 5))
        )
        price = float(np.round(rng.lognormal(np.log(120000), 0.45), -3))
        rows["vehicle"].add(_who(owner), "car", day, day, amount=price, reference=plate)
    if rng.random() < 0.07:
        day = dt.date(int(rng.integers(2008, 2025)), int(rng.integers(1, 13)), 1)
        code = "92330400MA" + "".join(str(int(d)) for d in rng.integers(0, 10, 8))
        status = "active" if rng.random() < 0.85 else "cancelled"
        role = "sole_proprietor" if rng.random() < 0.6 else "legal_representative"
        rows["business"].add(
            _who(head),
            role,
            day,
            day,
            amount=float(rng.choice([30000, 100000, 500000])),
            reference=code,
            payload={"company": f"嘉兴市{head.name[:1]}氏商行", "status": status},
        )


def _pension(
    rng: np.random.Generator,
    who: tuple[int, str, str, str],
    months: list[tuple[dt.date, dt.date]],
    rows: dict[str, _Rows],
) -> None:
    draw = rng.random()
    if draw < 0.65:
        amount = float(np.round(np.clip(rng.normal(3800, 1100), 1600, 9000), 0))
        for start, end in months:
            rows["social_insurance"].add(who, "pension_employee", start, end, amount=amount)
    elif draw < 0.95:
        for start, end in months:
            rows["social_insurance"].add(who, "pension_resident_basic", start, end, amount=290)
            rows["social_insurance"].add(who, "pension_resident_account", start, end, amount=115)


def _work(
    rng: np.random.Generator,
    who: tuple[int, str, str, str],
    months: list[tuple[dt.date, dt.date]],
    rows: dict[str, _Rows],
) -> None:
    draw = rng.random()
    if draw < 0.78:
        wage = float(np.round(np.clip(rng.lognormal(np.log(6500), 0.4), 2490, 40000), -1))
        employer = EMPLOYERS[int(rng.integers(len(EMPLOYERS)))]
        first = 0 if rng.random() < 0.9 else int(rng.integers(1, 12))
        taxed = wage > 5000 and rng.random() < 0.7
        fund = rng.random() < 0.45
        balance = float(np.round(rng.uniform(2000, 80000), -2))
        for start, end in months[first:]:
            rows["social_insurance"].add(
                who, "contribution_base", start, end, amount=wage, reference=employer
            )
            if taxed:
                rows["wage_tax"].add(
                    who, "wage", start, end, amount=round(wage * 1.08, 2), reference=employer
                )
            if fund:
                balance += wage * 0.24
                rows["housing_fund"].add(
                    who,
                    "contribution_base",
                    start,
                    end,
                    amount=wage,
                    payload={"balance": f"{balance:.2f}"},
                )
    elif draw < 0.83:
        income = float(np.round(rng.lognormal(np.log(4500), 0.5), -1))
        for start, end in months:
            rows["wage_tax"].add(who, "business", start, end, amount=income)
    elif draw < 0.87:
        for start, end in months[-6:]:
            rows["unemployment"].add(who, "unemployment_benefit", start, end, amount=1863)


def _deaths(rows: dict[str, _Rows], today: dt.date) -> None:
    for person in Person.objects.filter(death_date__isnull=False, death_date__lte=today).only(
        "id", "id_number_digest", "id_number_masked", "name", "death_date"
    ):
        day = person.death_date
        rows["death"].add(_who(person), "household_cancellation", day, day)  # type: ignore[arg-type]


def _write(rows: dict[str, _Rows], seed: int) -> int:
    sources = {s.code: s for s in DataSource.objects.all()}
    city = Region.objects.filter(parent__isnull=True).order_by("path").get()
    total = 0
    with transaction.atomic():
        for code, source_rows in sorted(rows.items()):
            source = sources[code]
            count = len(source_rows.person)
            linked = count
            batch = SourceBatch.objects.create(
                source=source,
                region=city,
                file_name=f"演示数据-{source.name_zh}.csv",
                file_format="csv",
                checksum=hashlib.sha256(f"demo:{seed}:{code}".encode()).hexdigest(),
                status=BatchStatus.IMPORTED,
                row_count=count,
                valid_count=count,
                imported_count=count,
                linked_count=linked,
            )
            writer = record_writer(batch_id=batch.pk, source_id=source.pk)
            try:
                writer.write(source_rows.valid_rows())
                writer.finish()
            finally:
                writer.close()
            total += count
    return total
