"""Bulk determination over the small world: read → rules → write, idempotent and resumable."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from minzheng.common.errors import PermissionRefused
from minzheng.domains.assistance.determination import determine_county, read_population
from minzheng.domains.assistance.models import Determination
from minzheng.domains.assistance.selectors import determination_list
from minzheng.domains.assistance.services import determination_start
from minzheng.kernel.jobs.models import JobChunk, JobRun, JobStatus
from minzheng.kernel.jobs.services import job_resume, job_run_chunk
from minzheng.kernel.parameters.selectors import system_in_force
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.models import Relation
from minzheng.kernel.people.services import household_create, person_create
from minzheng.kernel.verification.models import DataSource
from minzheng.kernel.verification.services import source_batch_import
from minzheng.rules.assess import assess_household

ON = dt.date(2026, 7, 1)
PERIOD = dt.date(2026, 7, 1)
NANHU = "330402"
XIUZHOU = "330411"

pytestmark = pytest.mark.django_db


def standard(county: str = NANHU) -> float:
    parameters = system_in_force().parameters(ON.isoformat())
    return float(parameters.assistance.dibao.standard[f"c{county}"])


def elderly_single(world, *, seq: int = 51):
    grid = world.regions["xinjia_grid"]
    person = person_create(
        actor=None,
        name="孤老人",
        id_number=make_id_number(NANHU, dt.date(1948, 2, 3), seq),
        registered_region=grid,
        residence_region=grid,
        work_ability="none",
    )
    household = household_create(
        actor=None,
        region=grid,
        address="新嘉街道幸福路1号",
        head=person,
        start_date=dt.date(2020, 1, 1),
    )
    return household, person


def import_wages(settings, tmp_path, rows: list[tuple[str, str, float]]) -> None:
    """Monthly wages for each (ID number, name, amount) over the twelve months before ON."""
    settings.VERIFICATION_PENDING_ROOT = str(tmp_path / "pending")
    lines = ["公民身份号码,姓名,所属月份,所得项目,收入额（元）,扣缴义务人"]
    for id_number, name, amount in rows:
        for month in range(12):
            year, number = (2025, 7 + month) if month < 6 else (2026, month - 5)
            lines.append(f"{id_number},{name},{year}-{number:02d},wage,{amount:.2f},某某公司")
    batch = source_batch_import(
        actor=None,
        source=DataSource.objects.get(code="wage_tax"),
        file=io.BytesIO("\n".join(lines).encode()),
        file_name="wages.csv",
        today=ON,
    )
    assert batch.status == "imported", batch.problem


def run_all(on: dt.date = ON) -> JobRun:
    job = determination_start(actor=None, on=on, enqueue=False)
    for key in job.chunks.values_list("key", flat=True):
        job_run_chunk(job_id=job.pk, key=key)
    job.refresh_from_db()
    return job


def rows() -> list[tuple]:
    return list(
        Determination.objects.order_by("household_id").values_list(
            "household_id", "period", "county", "dibao_eligible", "dibao_amount", "on_marginal"
        )
    )


def test_poor_elderly_single_gets_dibao_at_the_standard(world):
    household, _ = elderly_single(world)

    job = run_all()

    assert job.status == JobStatus.SUCCEEDED
    row = Determination.objects.get(household=household, period=PERIOD)
    assert row.county == NANHU
    assert row.dibao_eligible and row.on_dibao
    assert row.dibao_amount == Decimal(str(standard())).quantize(Decimal("0.01"))
    assert row.household_size == 1
    assert row.job_id == job.pk


def test_family_above_the_line_is_not_eligible(world, settings, tmp_path):
    family = world.families["xinjia"]
    id_number = make_id_number(NANHU, dt.date(1968, 5, 4), 11)  # the head's, as the world made it
    import_wages(settings, tmp_path, [(id_number, family.head.name, 3 * standard() * 3)])

    run_all()

    row = Determination.objects.get(household=family.household, period=PERIOD)
    assert row.household_size == 3
    # The wage counts (less the employment-cost deduction) over the three members.
    assert float(row.per_capita_income) > 2 * standard()
    assert not row.dibao_eligible and not row.on_dibao and not row.on_marginal
    assert row.dibao_amount == 0


def test_every_household_with_members_gets_one_row_per_month(world):
    elderly_single(world)

    run_all()

    assert Determination.objects.count() == 3  # the world's two families and the single
    assert set(Determination.objects.values_list("county", flat=True)) == {NANHU, XIUZHOU}


def test_results_match_the_assess_engine_for_the_same_household(world):
    household, person = elderly_single(world)
    run_all()
    row = Determination.objects.get(household=household, period=PERIOD)

    assessed = assess_household(
        {
            "county": NANHU,
            "date": ON.isoformat(),
            "members": [
                {
                    "id": "a",
                    "birth_date": person.birth_date.isoformat(),
                    "relation": "head",
                    "work_ability": "none",
                }
            ],
            "assets": {"deposits": 0, "houses": 0, "vehicles": 0, "business": False},
        },
        system=system_in_force(),
    )

    assert float(row.dibao_standard) == assessed["dibao_standard"]
    assert float(row.assistance_monthly_total) == pytest.approx(assessed["total_monthly_amount"])
    assert row.dibao_eligible == assessed["programmes"]["dibao"]["eligible"]
    assert float(row.dibao_amount) == pytest.approx(
        assessed["programmes"]["dibao"]["monthly_amount"]
    )


def test_a_second_run_replaces_the_rows_without_duplicates(world):
    elderly_single(world)
    run_all()
    first = rows()

    second_job = run_all()

    assert rows() == first
    assert Determination.objects.count() == len(first)
    assert set(Determination.objects.values_list("job_id", flat=True)) == {second_job.pk}


def test_a_household_that_empties_loses_its_row(world):
    household, _person = elderly_single(world)
    run_all()
    from minzheng.kernel.people.models import Membership

    Membership.objects.filter(household=household).update(end_date=dt.date(2026, 6, 1))

    run_all()

    assert not Determination.objects.filter(household=household).exists()


def test_a_crashed_chunk_leaves_nothing_and_resume_fills_the_gap(world, monkeypatch):
    elderly_single(world)
    job = determination_start(actor=None, on=ON, enqueue=False)
    from minzheng.domains.assistance import determination

    real = determination.write_determinations

    def crash_in_xiuzhou(population, outputs, **kwargs):
        count = real(population, outputs, **kwargs)
        if population.county == XIUZHOU:
            raise RuntimeError("worker lost")
        return count

    monkeypatch.setattr(determination, "write_determinations", crash_in_xiuzhou)
    for key in job.chunks.values_list("key", flat=True):
        with contextlib.suppress(RuntimeError):
            job_run_chunk(job_id=job.pk, key=key)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert not Determination.objects.filter(county=XIUZHOU).exists()  # rolled back
    assert Determination.objects.filter(county=NANHU).count() == 2

    monkeypatch.setattr(determination, "write_determinations", real)
    keys = job_resume(actor=None, job=job, enqueue=False)
    for key in keys:
        job_run_chunk(job_id=job.pk, key=key)

    job.refresh_from_db()
    assert keys == [XIUZHOU]
    assert job.status == JobStatus.SUCCEEDED
    assert JobChunk.objects.filter(job=job, status=JobStatus.SUCCEEDED).count() == job.total
    assert Determination.objects.count() == 3
    assert Determination.objects.filter(county=XIUZHOU).count() == 1


def test_the_population_read_is_the_members_living_together_on_the_date(world):
    household, person = elderly_single(world)
    from minzheng.kernel.people.services import household_add_member

    newcomer = person_create(
        actor=None,
        name="新来者",
        id_number=make_id_number(NANHU, dt.date(1980, 1, 1), 61),
        registered_region=world.regions["xinjia_grid"],
    )
    household_add_member(
        actor=None,
        household=household,
        person=newcomer,
        relation=Relation.SIBLING,
        start_date=dt.date(2026, 8, 1),
    )

    population = read_population(NANHU, ON)

    index = list(population.household_ids).index(household.pk)
    members = population.person_ids[population.person_household == index]
    assert list(members) == [person.pk]  # the newcomer joins after the date
    heads = population.person_is_head[population.person_household == index]
    assert list(heads) == [True]


def test_the_command_runs_every_county_with_a_progress_bar(world):
    elderly_single(world)
    out = io.StringIO()

    call_command("assistance_determine", "--all", "--date", ON.isoformat(), stdout=out, stderr=out)

    assert "3 household(s)" in out.getvalue()
    assert Determination.objects.count() == 3


def test_the_command_can_run_one_county(world):
    out = io.StringIO()

    call_command("assistance_determine", "--county", XIUZHOU, "--date", ON.isoformat(), stdout=out)

    assert set(Determination.objects.values_list("county", flat=True)) == {XIUZHOU}


def test_determine_county_without_a_job(world):
    assert determine_county(county=NANHU, on=ON) == 1
    assert Determination.objects.get().job_id is None


def test_reads_are_scoped_to_the_actors_regions(world):
    elderly_single(world)
    run_all()

    assert determination_list(actor=world.city_admin, period=PERIOD).count() == 3
    assert determination_list(actor=world.town_clerk, period=PERIOD).count() == 2
    assert determination_list(actor=world.other_town_clerk, period=PERIOD).count() == 1
    with pytest.raises(PermissionRefused):
        determination_list(actor=world.resident, period=PERIOD)


def test_only_job_runners_start_a_determination(world):
    with pytest.raises(PermissionRefused):
        determination_start(actor=world.town_clerk, on=ON, enqueue=False)


def test_a_household_that_moved_county_keeps_one_row_under_its_new_county(world):
    """The month's row written under the old county is replaced, not duplicated."""
    from minzheng.kernel.people.models import Household

    household, _ = elderly_single(world)
    determine_county(county=NANHU, on=ON)
    assert Determination.objects.get(household=household).county == NANHU
    Household.objects.filter(pk=household.pk).update(region=world.regions["wangdian_grid"])

    determine_county(county=XIUZHOU, on=ON)

    rows = Determination.objects.filter(household=household, period=PERIOD)
    assert [row.county for row in rows] == [XIUZHOU]
    assert Determination.objects.filter(period=PERIOD).count() == 3  # + the two families
