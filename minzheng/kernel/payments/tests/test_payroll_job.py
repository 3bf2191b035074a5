import threading

import numpy as np
import pytest
from django.db import connection

from minzheng.kernel.jobs.models import JobStatus
from minzheng.kernel.jobs.services import job_resume, job_run_chunk
from minzheng.kernel.payments import writer
from minzheng.kernel.payments.entitlements import Entitlements
from minzheng.kernel.payments.jobs import (
    ENTITLEMENT_SOURCES,
    EntitlementSource,
    payroll_start,
    register_entitlement_source,
)
from minzheng.kernel.payments.models import PaymentBatch, PaymentLine
from minzheng.kernel.payments.services import payee_account_create, payment_batch_generate
from minzheng.kernel.payments.tests.factories import (
    BANK_CODE,
    LABEL,
    MONTH,
    PROGRAMME,
    account_number,
    as_query,
    payroll,
)
from minzheng.testing.world import NANHU

WANGDIAN_COUNTY = "330411"


@pytest.fixture(params=["arrays", "query"])
def two_counties(world, request):
    """Entitlements for three beneficiaries of 南湖区 and one of 秀洲区, from a source that
    gives arrays or (as the assistance programmes do) a query."""
    setup = payroll(world)
    wangdian_head = world.families["wangdian"].head
    wangdian_account = payee_account_create(
        actor=None,
        person=wangdian_head,
        bank_name="工行",
        bank_code=BANK_CODE,
        account_number=account_number(200),
    )
    by_county = {
        NANHU: setup.entitlements(),
        WANGDIAN_COUNTY: Entitlements.from_rows(
            [(9100, wangdian_account.pk, "480", 3, wangdian_head.residence_region_id)]
        ),
    }
    # The programme's real source (the assistance domain registers "dibao") comes back after.
    real = ENTITLEMENT_SOURCES.get(PROGRAMME)

    def entitlements(county: str, month: object) -> Entitlements:
        return by_county.get(county, Entitlements.empty())

    if request.param == "arrays":
        source = EntitlementSource(programme=PROGRAMME, label=LABEL, entitlements=entitlements)
    else:
        source = EntitlementSource(
            programme=PROGRAMME,
            label=LABEL,
            query=lambda county, month: as_query(entitlements(county, month)),
        )
    register_entitlement_source(source)
    yield setup, by_county
    ENTITLEMENT_SOURCES.pop(PROGRAMME, None)
    if real is not None:
        register_entitlement_source(real)


def _keys():
    return sorted(PaymentLine.objects.values_list("beneficiary_id", flat=True))


@pytest.mark.django_db
def test_the_payroll_job_makes_one_batch_per_county(world, two_counties):
    job = payroll_start(
        actor=world.city_admin,
        programme=PROGRAMME,
        month=MONTH,
        counties=[NANHU, WANGDIAN_COUNTY],
        enqueue=False,
    )
    for key in (NANHU, WANGDIAN_COUNTY, NANHU):  # the third is a duplicate delivery
        job_run_chunk(job_id=job.pk, key=key)
    job.refresh_from_db()
    assert (job.status, job.items) == (JobStatus.SUCCEEDED, 4)
    assert _keys() == [9001, 9002, 9003, 9100]
    assert sorted(PaymentBatch.objects.values_list("county__code", "line_count")) == [
        (NANHU, 3),
        (WANGDIAN_COUNTY, 1),
    ]
    assert PaymentBatch.objects.get(county__code=NANHU).generated_by == world.city_admin


@pytest.mark.django_db
def test_a_chunk_killed_midway_leaves_nothing_and_the_resume_has_no_gap(
    world, two_counties, monkeypatch
):
    real = writer.write_lines
    calls = {"n": 0}

    def dying(**kwargs):
        result = real(**kwargs)  # the lines are written …
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")  # … then the worker dies before the commit
        return result

    monkeypatch.setattr("minzheng.kernel.payments.services.write_lines", dying)
    job = payroll_start(actor=None, programme=PROGRAMME, month=MONTH, enqueue=False)
    job_run_chunk(job_id=job.pk, key=NANHU)
    with pytest.raises(RuntimeError):
        job_run_chunk(job_id=job.pk, key=WANGDIAN_COUNTY)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert _keys() == [9001, 9002, 9003]  # the dead chunk's lines were rolled back
    for key in job_resume(actor=None, job=job, enqueue=False):
        job_run_chunk(job_id=job.pk, key=key)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert _keys() == [9001, 9002, 9003, 9100]


@pytest.mark.django_db
def test_a_job_after_a_partly_committed_earlier_run_fills_the_gap_only(world, two_counties):
    _setup, by_county = two_counties
    half = by_county[NANHU].take(np.array([0, 2]))
    payment_batch_generate(
        actor=None, programme=PROGRAMME, county=NANHU, month=MONTH, entitlements=half
    )  # an earlier run that committed part of the county before it died
    job = payroll_start(actor=None, programme=PROGRAMME, month=MONTH, enqueue=False)
    for key in (NANHU, WANGDIAN_COUNTY):
        job_run_chunk(job_id=job.pk, key=key)
    assert _keys() == [9001, 9002, 9003, 9100]
    assert PaymentBatch.objects.get(county__code=NANHU).line_count == 3


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL (SQLite locks the file)",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_runs_pay_nobody_twice(world):
    from django.db import connections

    setup = payroll(world)
    entitlements = setup.entitlements()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(
                payment_batch_generate(
                    actor=None,
                    programme=PROGRAMME,
                    county=NANHU,
                    month=MONTH,
                    entitlements=entitlements,
                )
            )
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(r.inserted for r in results) == [0, 3]
    assert _keys() == [9001, 9002, 9003]
    assert PaymentBatch.objects.get().line_count == 3
