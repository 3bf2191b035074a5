"""Person search through the real selector, as a town clerk and as a city administrator."""

from __future__ import annotations

import random
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass

from minzheng.common import crypto
from minzheng.kernel.accounts.models import User
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE, Person
from minzheng.kernel.people.selectors import person_list
from minzheng.kernel.regions.models import Region

KINDS = ("name", "pinyin", "initials", "id number", "phone")
PAGE = 20
WARM_UP = 10


@dataclass(frozen=True)
class Query:
    kind: str
    text: str


def _sample(ids: list[int], count: int, rng: random.Random) -> list[Person]:
    chosen = rng.sample(ids, min(count, len(ids)))
    return list(Person.objects.filter(pk__in=chosen).order_by("id"))


def _person_ids(region: Region | None, rng: random.Random, count: int) -> list[int]:
    """Ids of persons living under `region` (everyone when None), sampled without a scan."""
    if region is not None:
        return list(
            Person.objects.filter(residence_region__path__startswith=region.path).values_list(
                "id", flat=True
            )
        )
    bounds = Person.objects.order_by("id").values_list("id", flat=True)
    low, high = bounds.first() or 0, bounds.last() or 0
    candidates = {rng.randint(low, high) for _ in range(count * 3)}
    return list(Person.objects.filter(pk__in=candidates).values_list("id", flat=True))


def _text(kind: str, person: Person) -> str:
    """What a clerk would type to find `person` with a query of `kind`."""
    if kind == "id number":
        return crypto.decrypt(person.id_number_ciphertext, purpose=ID_NUMBER_PURPOSE)
    return {
        "name": person.name,
        "pinyin": person.name_pinyin,
        "initials": person.name_initials,
        "phone": person.phone,
    }[kind]


def queries(*, region: Region | None, count: int, seed: int) -> list[Query]:
    """`count` queries cycling through the kinds, each built from a real person."""
    rng = random.Random(seed)
    persons = _sample(_person_ids(region, rng, count), count * 2, rng)
    with_phone = [p for p in persons if p.phone] or persons
    result = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        person = (with_phone if kind == "phone" else persons)[i % len(persons)]
        result.append(Query(kind, _text(kind, person)))
    return result


def measure(actor: User, batch: list[Query]) -> dict[str, list[float]]:
    """Milliseconds per query (first page evaluated), by kind."""
    for query in batch[:WARM_UP]:
        list(person_list(actor=actor, query=query.text)[:PAGE])
    timings: dict[str, list[float]] = defaultdict(list)
    for query in batch:
        started = time.perf_counter()
        list(person_list(actor=actor, query=query.text)[:PAGE])
        timings[query.kind].append((time.perf_counter() - started) * 1000)
    return timings


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _line(label: str, values: list[float]) -> str:
    return (
        f"  {label:<10} n={len(values):>4}  median {statistics.median(values):8.1f} ms"
        f"  p95 {_p95(values):8.1f} ms  max {max(values):8.1f} ms"
    )


def show(label: str, timings: dict[str, list[float]]) -> None:
    """Median, p95 and max overall and by kind."""
    print(label)
    print(_line("all", [v for values in timings.values() for v in values]))
    for kind in KINDS:
        if timings.get(kind):
            print(_line(kind, timings[kind]))


def run(*, count: int, seed: int) -> None:
    """Search as the 新嘉街道 town clerk and as the city administrator."""
    print(f"\n== Person search: person_list(actor, query)[:{PAGE}], {count} queries per actor ==")
    print(f"persons in the register: {Person.objects.count():,}")
    xinjia = Region.objects.get(code="330402009")
    for username, region in (("clerk_xinjia", xinjia), ("admin_city", None)):
        actor = User.objects.get(username=username)
        batch = queries(region=region, count=count, seed=seed)
        where = region.name if region else "the whole city"
        show(f"{username}, querying persons of {where}:", measure(actor, batch))
