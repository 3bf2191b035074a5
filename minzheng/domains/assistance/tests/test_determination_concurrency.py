"""Chunks of the same month written at the same moment, as two Celery workers run them.

Each chunk empties its own county partition and checks the others for households that moved
(ADR 0019): without one order of locks, two chunks deadlock. PostgreSQL only (partitions
and real concurrent connections); CI runs it there.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from minzheng.domains.assistance import determination
from minzheng.domains.assistance.models import Determination
from minzheng.domains.assistance.tests.test_determination import NANHU, ON, PERIOD, elderly_single
from minzheng.kernel.parameters.selectors import system_in_force

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="partitions and concurrent connections: PostgreSQL only (run in CI)",
    ),
]


def test_two_counties_written_at_once_do_not_deadlock(world):
    """Both chunks read first, then write together (released by a barrier), three times."""
    elderly_single(world)
    counties = determination.county_codes()
    assert NANHU in counties and len(counties) >= 2
    pair = [NANHU, next(code for code in counties if code != NANHU)]
    determination.prepare_partitions(PERIOD, counties)
    system = system_in_force()
    months = determination.lookback_months(system, ON)
    errors: list[BaseException] = []

    def run(county: str, barrier: threading.Barrier) -> None:
        try:
            population = determination.read_population(county, ON, lookback_months=months)
            outputs = determination.evaluate(population, system=system)
            barrier.wait(timeout=30)
            determination.write_determinations(population, outputs)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    for _ in range(3):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=run, args=(county, barrier)) for county in pair]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []

    rows = Determination.objects.filter(period=PERIOD)
    assert (
        rows.filter(county=NANHU).count()
        == determination.read_population(NANHU, ON, lookback_months=months).household_count
    )
    household_ids = list(rows.values_list("household_id", flat=True))
    assert len(household_ids) == len(set(household_ids))  # one row per household and month
