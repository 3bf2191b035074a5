"""City-wide recalculation after a standard change (标准调整后的全市重算) at city scale.

Needs the month's determination (``--determination`` runs it, after seeding the asset
records): without it there is nothing to enrol, and the benchmark says so.

Untimed setup: enrol in dibao (最低生活保障) up to 150,000 of the households that the month's
determination found eligible with a top-up, spread evenly over the register (their approved
application and active enrolment written in bulk, at the determination's amount), then one
county's dibao standard raised by 100 yuan through the parameter services as the confirm
page does it (proposed, then confirmed).

Timed: the real recalculation job ("assistance.standard_change":
``standard_change_recalculate_start`` and ``job_run_chunk`` per county, as a Celery worker
does) on two worker processes. Each county's chunk reads its active enrolments, then the
population of the enrolled households only (their members, incomes and assets: the
determination's county reader with its household filter, ``= ANY(array)`` in the same
set-based reads; the other households of the register are neither read nor evaluated),
evaluates the rules once, updates the enrolment amounts in bulk and records one review per
enrolment (on PostgreSQL one ``INSERT … SELECT FROM unnest`` per 50,000 reviews, not the
ORM's ``bulk_create``). Measured on the city-scale register (5,548,291 persons in 2,000,000
households, 150,000 enrolled in 7 counties, 2026-11-29, two runs each): 57.3 s and 58.1 s
wall before (every household of each county read and evaluated, reviews by ``bulk_create``),
13.2 s and 16.8 s after (load average 2.3 and 4.6); the same 31,937 amounts changed and
the sample 40/40 equal both times. The largest county's chunk (330481, 31,937 enrolments)
takes 4.6 s in one process: 2.5 s reading (members 0.7 s, asset records 1.4 s, incomes
0.4 s), 0.9 s writing the amounts, 0.9 s the reviews.

Checked: the new amounts of a sample of enrolments equal what the single-household
assessment (the rules engine's own path) gives. Everything the benchmark created is removed
afterwards, except the audit events (the chain is append-only).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, connections, transaction
from django.utils import timezone

from bench.database import ENROLMENT_TABLES, compact, enrolments_by_county, vacuum_if_needed
from bench.determination import WORKERS, _run_chunk
from bench.payroll import _staff

PREFIX = "BRC-"  # case numbers of the benchmark's applications and enrolments
MARK = "benchmark: standard change recalculation"  # the parameter change's source document
COUNTY = "330481"
RAISE = 100
SAMPLE = 40


@dataclass
class RecalculationFigures:
    month: dt.date
    county: str = COUNTY
    old_standard: float = 0.0
    new_standard: float = 0.0
    determined: int = 0  # the month's determinations with a dibao top-up
    enrolled: int = 0
    enrolled_by_county: dict[str, int] = field(default_factory=dict)
    setup_seconds: float = 0.0
    seconds: float = 0.0
    workers: int = WORKERS
    counties: int = 0
    recalculated: int = 0
    changed: int = 0
    changed_by_county: dict[str, int] = field(default_factory=dict)
    left_for_review: int = 0
    sample: int = 0
    sample_equal: int = 0
    mismatches: list[tuple[int, str, str]] = field(default_factory=list)


def _cleanup() -> None:
    from minzheng.domains.assistance.services.review import STANDARD_CHANGE_KIND

    enrolments = "SELECT id FROM assistance_enrolment WHERE case_number LIKE %s"
    changes = "SELECT id::text FROM parameters_parameterchange WHERE source_document = %s"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM assistance_review WHERE enrolment_id IN ({enrolments})"
            f" OR parameter_change_id::text IN ({changes})",
            [PREFIX + "%", MARK],
        )
        cursor.execute(
            "DELETE FROM assistance_enrolment_members_covered"
            f" WHERE enrolment_id IN ({enrolments})",
            [PREFIX + "%"],
        )
        cursor.execute("DELETE FROM assistance_enrolment WHERE case_number LIKE %s", [PREFIX + "%"])
        cursor.execute(
            "DELETE FROM assistance_assistanceapplication WHERE case_number LIKE %s", [PREFIX + "%"]
        )
        jobs = f"SELECT id FROM jobs_jobrun WHERE kind = %s AND params->>'change' IN ({changes})"
        cursor.execute(
            f"DELETE FROM jobs_jobchunk WHERE job_id IN ({jobs})", [STANDARD_CHANGE_KIND, MARK]
        )
        cursor.execute(
            f"DELETE FROM jobs_jobrun WHERE id IN ({jobs})", [STANDARD_CHANGE_KIND, MARK]
        )
        cursor.execute("DELETE FROM parameters_parameterchange WHERE source_document = %s", [MARK])


def _determined(month: dt.date) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM assistance_determination WHERE period = %s AND dibao_top_up > 0",
            [month],
        )
        return int(cursor.fetchone()[0])


def _enrol(month: dt.date, households: int) -> dict[str, int]:
    """Approved dibao applications and active enrolments, in bulk, for every n-th household
    the month's determination found eligible; returns the enrolments per county."""
    from minzheng.domains.assistance.models.casework import Programme

    programme = Programme.objects.get(code="dibao").pk
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM assistance_determination WHERE period = %s AND dibao_top_up > 0",
            [month],
        )
        step = max(cursor.fetchone()[0] // households, 1)
        cursor.execute(
            "INSERT INTO assistance_assistanceapplication (created_at, updated_at, case_number,"
            " channel, state, submitted_on, description, documents_received, missing_documents,"
            " emergency, appraisal_note, recommendation, proposed_amount, conflict_flag,"
            " conflict_note, decision_reason, approved_amount, approved_one_off, applicant_id,"
            " filed_region_id, household_id, region_id, programme_id, decided_on)"
            " SELECT DISTINCT ON (e.household_id) %s, %s, %s || e.household_id, 'counter',"
            " 'enrolled', %s, '', '[]', '[]', false, '', 'approve', e.dibao_top_up, false, '',"
            " '', e.dibao_top_up, 0, m.person_id, h.region_id, h.id, h.region_id, %s, %s"
            " FROM (SELECT household_id, dibao_top_up,"
            "   row_number() OVER (ORDER BY household_id) AS n"
            "   FROM assistance_determination WHERE period = %s AND dibao_top_up > 0) e"
            " JOIN people_household h ON h.id = e.household_id"
            " JOIN people_membership m ON m.household_id = h.id AND m.end_date IS NULL"
            "  AND m.relation = 'head'"
            " WHERE e.n %% %s = 0 ORDER BY e.household_id, m.person_id LIMIT %s",
            [now, now, PREFIX, month, programme, month, month, step, households],
        )
        cursor.execute(
            "INSERT INTO assistance_enrolment (created_at, updated_at, case_number, county,"
            " covered_count, monthly_amount, one_off_amount, start_month, exit_reason, state,"
            " assessment, application_id, household_id, region_id, programme_id)"
            " SELECT %s, %s, a.case_number, d.county, d.dibao_covered, a.approved_amount, 0,"
            " %s, '', 'active', '{}', a.id, a.household_id, a.region_id, a.programme_id"
            " FROM assistance_assistanceapplication a"
            " JOIN assistance_determination d ON d.household_id = a.household_id"
            "  AND d.period = %s"
            " WHERE a.case_number LIKE %s",
            [now, now, month, month, PREFIX + "%"],
        )
        by_county = enrolments_by_county(cursor, PREFIX)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE assistance_enrolment")
        cursor.execute("ANALYZE assistance_review")
    return by_county


def _confirm_change(month: dt.date, figures: RecalculationFigures):  # type: ignore[no-untyped-def]
    """Raise the county's dibao standard, proposed and confirmed through the services."""
    from minzheng.kernel.parameters.selectors import system_in_force
    from minzheng.kernel.parameters.services import (
        parameter_change_confirm,
        parameter_change_propose,
    )

    maker, checker = _staff()
    key = f"c{figures.county}"
    current = system_in_force().parameters(month.isoformat()).assistance.dibao.standard[key]
    figures.old_standard = float(current)
    figures.new_standard = float(current) + RAISE
    change = parameter_change_propose(
        actor=maker,  # type: ignore[arg-type]
        path=f"assistance.dibao.standard.{key}",
        start=month,
        value=figures.new_standard,
        source_document=MARK,
    )
    return parameter_change_confirm(actor=checker, change=change)  # type: ignore[arg-type]


def _recalculate(change: object, sizes: dict[str, int], today: dt.date) -> float:
    """The real job on WORKERS forked processes, the largest counties first."""
    from minzheng.domains.assistance.services.review import standard_change_recalculate_start
    from minzheng.kernel.jobs.models import JobStatus

    started = time.perf_counter()
    job = standard_change_recalculate_start(
        actor=None,
        change=change,  # type: ignore[arg-type]
        today=today,
        enqueue=False,
    )
    keys = sorted(job.chunks.values_list("key", flat=True), key=lambda k: -sizes.get(k, 0))
    connections.close_all()  # a forked child must not share the parent's connection
    with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
        pool.starmap(_run_chunk, [(job.pk, key) for key in keys], chunksize=1)
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    if job.status != JobStatus.SUCCEEDED:
        raise RuntimeError(f"recalculation job {job.pk} ended {job.status}: {job.error}")
    return elapsed


def _results(change_id: int, month: dt.date, figures: RecalculationFigures) -> None:
    from minzheng.domains.assistance.assess import household_assess_unscoped
    from minzheng.domains.assistance.models.casework import Enrolment
    from minzheng.domains.assistance.models.review import Review, ReviewOutcome, ReviewStatus

    reviews = Review.objects.filter(parameter_change_id=change_id)
    figures.recalculated = reviews.count()
    figures.left_for_review = reviews.filter(status=ReviewStatus.OPEN).count()
    adjusted = reviews.filter(outcome=ReviewOutcome.ADJUST)
    figures.changed = adjusted.count()
    figures.changed_by_county = {
        county: adjusted.filter(county=county).count()
        for county in sorted(figures.enrolled_by_county)
    }
    # A sample: enrolments whose amount changed and some that did not, across counties.
    picked = list(adjusted.order_by("enrolment_id").values_list("enrolment_id", flat=True))
    sample = picked[:: max(len(picked) // (SAMPLE // 2), 1)][: SAMPLE // 2]
    rest = list(
        reviews.exclude(outcome=ReviewOutcome.ADJUST)
        .filter(status=ReviewStatus.DECIDED)
        .order_by("enrolment_id")
        .values_list("enrolment_id", flat=True)
    )
    sample += rest[:: max(len(rest) // (SAMPLE - len(sample)), 1)][: SAMPLE - len(sample)]
    for enrolment in Enrolment.objects.filter(pk__in=sample):
        result = household_assess_unscoped(household_id=enrolment.household_id, on=month)
        found = result["programmes"].get("dibao", {})
        expected = Decimal(str(found.get("monthly_amount") or 0)).quantize(Decimal("0.01"))
        figures.sample += 1
        if expected == enrolment.monthly_amount:
            figures.sample_equal += 1
        else:
            figures.mismatches.append(
                (enrolment.household_id, str(enrolment.monthly_amount), str(expected))
            )


def run(*, households: int = 150_000, county: str = COUNTY) -> RecalculationFigures:
    from minzheng.domains.assistance.models.casework import Enrolment
    from minzheng.domains.assistance.models.review import Review

    today = timezone.localdate()
    month = today.replace(day=1)
    figures = RecalculationFigures(month=month, county=county)
    _cleanup()
    try:
        started = time.perf_counter()
        figures.determined = _determined(month)
        if not figures.determined:
            return figures
        compact(ENROLMENT_TABLES)
        figures.enrolled_by_county = _enrol(month, households)
        figures.enrolled = sum(figures.enrolled_by_county.values())
        vacuum_if_needed([Enrolment._meta.db_table, Review._meta.db_table])
        change = _confirm_change(month, figures)
        figures.setup_seconds = time.perf_counter() - started
        figures.counties = len(figures.enrolled_by_county)
        figures.seconds = _recalculate(change, figures.enrolled_by_county, today)
        _results(change.pk, month, figures)
    finally:
        _cleanup()
    return figures


def show(figures: RecalculationFigures) -> None:
    if not figures.determined:
        print(
            f"standard change recalculation {figures.month:%Y-%m}: no determination of the month"
            " found a dibao top-up, so there is nothing to enrol; run the determination first"
            " (add --determination, which also seeds the asset records)."
        )
        return
    print(
        f"standard change recalculation {figures.month:%Y-%m}: {figures.enrolled:,} dibao"
        f" enrolments in {figures.counties} counties (setup, untimed: "
        f"{figures.setup_seconds:.1f} s); standard of {figures.county} "
        f"{figures.old_standard:,.0f} → {figures.new_standard:,.0f} yuan"
    )
    print(
        f"  city-wide recalculation on {figures.workers} worker processes: "
        f"{figures.seconds:.2f} s wall; {figures.recalculated:,} enrolments recalculated, "
        f"{figures.changed:,} amounts changed, {figures.left_for_review:,} left for a review"
    )
    print(
        "      changed by county: "
        + ", ".join(f"{c} {n:,}" for c, n in figures.changed_by_county.items())
    )
    verdict = "equal" if figures.sample_equal == figures.sample else "DIFFER"
    print(
        f"  sample of {figures.sample}: new amounts {verdict} to the single-household "
        f"assessment ({figures.sample_equal}/{figures.sample})"
    )
    for household, written, expected in figures.mismatches[:5]:
        print(f"      household {household}: written {written}, assessment {expected}")
