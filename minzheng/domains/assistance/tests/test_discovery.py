"""Proactive discovery and visits: who gets a task, idempotent reruns, outcomes, risk,
visit scheduling and records, overdue ordering, scope and audit."""

from __future__ import annotations

import datetime as dt

import pytest

from minzheng.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from minzheng.domains.assistance.models.discovery import (
    DiscoveryFlag,
    DiscoveryStatus,
    DiscoveryTask,
    Visit,
    VisitStatus,
)
from minzheng.domains.assistance.selectors import discovery as selectors
from minzheng.domains.assistance.services import discovery as discovery
from minzheng.domains.assistance.services.review import add_months
from minzheng.domains.assistance.tests.test_casework_support import cast, today
from minzheng.domains.assistance.tests.test_discovery_support import (
    COUPLE,
    OLD,
    apply,
    family,
    flag,
    this_month,
    village_family,
    visit,
)
from minzheng.domains.assistance.tests.test_payroll_support import NANHU, enrol
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.jobs.services import job_run_chunk, job_start
from minzheng.kernel.people.models import Person
from minzheng.kernel.workflow.calendar import add_working_days, is_working_day
from minzheng.testing.world import XINJIA

pytestmark = pytest.mark.django_db


def _actions(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def _tasks() -> set[tuple[int, str]]:
    return set(DiscoveryTask.objects.values_list("household_id", "flag"))


# --------------------------------------------------------------------------- discovery


def test_flagged_households_that_have_not_applied_get_exactly_one_task(world):
    c = cast(world)
    month = this_month()
    flagged, _ = family(c, 41)
    enrolled_household, enrolled_members = family(c, 42)
    enrol(c, enrolled_household, enrolled_members)
    applied, applied_members = family(c, 43)
    apply(c, applied, applied_members[0])
    marginal, _ = family(c, 44)
    not_flagged, _ = family(c, 45)
    for household in (flagged, enrolled_household, applied):
        flag(household, month, dibao_eligible=True)
    flag(marginal, month, marginal_eligible=True, tekun_members=1)
    flag(not_flagged, month)

    created = discovery.discovery_tasks_create(
        actor=None, county=NANHU, month=month, mpi_poor={flagged.pk, enrolled_household.pk}
    )

    assert created == 4
    assert _tasks() == {
        (flagged.pk, DiscoveryFlag.DIBAO),
        (flagged.pk, DiscoveryFlag.MPI),  # no enrolment, no application at all
        (marginal.pk, DiscoveryFlag.MARGINAL),
        (marginal.pk, DiscoveryFlag.TEKUN),
    }
    task = DiscoveryTask.objects.get(household=flagged, flag=DiscoveryFlag.DIBAO)
    assert task.assignee_id == c.grid_worker.pk
    assert task.region == world.regions["xinjia_grid"]
    assert task.town == world.regions[XINJIA]
    assert task.programme.code == "dibao" and task.status == DiscoveryStatus.OPEN
    assert DiscoveryTask.objects.get(household=flagged, flag=DiscoveryFlag.MPI).programme is None


def test_reruns_add_nothing_and_an_open_task_is_not_repeated_next_month(world):
    c = cast(world)
    month = this_month()
    household, _ = family(c, 46)
    flag(household, month, dibao_eligible=True)
    run = {"actor": None, "county": NANHU, "mpi_poor": set()}

    assert discovery.discovery_tasks_create(month=month, **run) == 1
    assert discovery.discovery_tasks_create(month=month, **run) == 0
    next_month = add_months(month, 1)
    flag(household, next_month, dibao_eligible=True)
    assert discovery.discovery_tasks_create(month=next_month, **run) == 0  # still open

    discovery.discovery_task_unreachable(
        actor=c.grid_worker, task=DiscoveryTask.objects.get(), reason="无人在家"
    )
    assert discovery.discovery_tasks_create(month=next_month, **run) == 1
    assert discovery.discovery_tasks_create(month=next_month, **run) == 0
    assert DiscoveryTask.objects.count() == 2
    assert _actions("assistance.discovery.create") == 5


def test_a_household_whose_grid_has_no_grid_worker_goes_to_the_town(world):
    c = cast(world)
    household = village_family(c, 947)
    flag(household, this_month(), dibao_eligible=True)

    discovery.discovery_tasks_create(actor=None, county=NANHU, month=this_month(), mpi_poor=set())

    task = DiscoveryTask.objects.get(household=household)
    assert task.assignee is None and task.town == world.regions[XINJIA]
    assert list(selectors.discovery_task_list(actor=c.clerk)) == [task]
    assert list(selectors.discovery_task_list(actor=c.grid_worker)) == []  # not on their grid
    assert list(selectors.discovery_task_list(actor=world.other_town_clerk)) == []


def test_the_discover_job_runs_a_chunk_per_county_with_the_index(world):
    c = cast(world)
    household, _ = family(c, 48, OLD)
    flag(household, this_month(), dibao_eligible=True)
    poor, severe = discovery.mpi_flags(NANHU, this_month())
    assert severe <= poor and all(isinstance(h, int) for h in poor)

    job = job_start(
        actor=None,
        kind=discovery.DISCOVER_KIND,
        params={"month": this_month().isoformat(), "counties": [NANHU]},
        enqueue=False,
    )
    assert job_run_chunk(job_id=job.pk, key=NANHU)
    assert (household.pk, DiscoveryFlag.DIBAO) in _tasks()
    assert {h for h, f in _tasks() if f == DiscoveryFlag.MPI} <= poor


# --------------------------------------------------------------------------- outcomes


def _open_task(c, seq: int):  # type: ignore[no-untyped-def]
    household, members = family(c, seq)
    flag(household, this_month(), dibao_eligible=True)
    discovery.discovery_tasks_create(actor=None, county=NANHU, month=this_month(), mpi_poor=set())
    return DiscoveryTask.objects.get(household=household), household, members


def test_applied_links_the_households_application_only(world):
    c = cast(world)
    task, household, members = _open_task(c, 51)
    other, other_members = family(c, 52)
    foreign = apply(c, other, other_members[0])

    with pytest.raises(ValidationFailed) as refused:
        discovery.discovery_task_apply(actor=c.grid_worker, task=task, application=foreign)
    assert refused.value.code == "application_other_household"

    own = apply(c, household, members[0])
    task = discovery.discovery_task_apply(actor=c.grid_worker, task=task, application=own)

    task.refresh_from_db()
    assert task.status == DiscoveryStatus.APPLIED and task.application == own
    assert task.resolved_by == c.grid_worker and task.resolved_at is not None
    event = AuditEvent.objects.get(action="assistance.discovery.applied")
    assert event.changes["application"] == own.case_number
    with pytest.raises(Conflict):
        discovery.discovery_task_decline(actor=c.grid_worker, task=task, reason="不愿申请")


def test_declined_and_not_eligible_need_a_reason_and_are_audited(world):
    c = cast(world)
    declined, _, _ = _open_task(c, 53)
    not_eligible, _, _ = _open_task(c, 54)

    with pytest.raises(ValidationFailed):
        discovery.discovery_task_decline(actor=c.grid_worker, task=declined, reason="  ")
    with pytest.raises(ValidationFailed):
        discovery.discovery_task_not_eligible(actor=c.clerk, task=not_eligible, reason="")
    discovery.discovery_task_decline(
        actor=c.grid_worker, task=declined, reason="子女赡养，不愿申请"
    )
    discovery.discovery_task_not_eligible(actor=c.clerk, task=not_eligible, reason="有经营收入")

    assert DiscoveryTask.objects.get(pk=declined.pk).status == DiscoveryStatus.DECLINED
    assert DiscoveryTask.objects.get(pk=not_eligible.pk).reason == "有经营收入"
    event = AuditEvent.objects.get(action="assistance.discovery.declined")
    assert event.reason == "子女赡养，不愿申请" and event.actor == c.grid_worker
    assert _actions("assistance.discovery.not_eligible") == 1


def test_another_towns_clerk_may_not_resolve(world):
    c = cast(world)
    task, _, _ = _open_task(c, 55)

    with pytest.raises(PermissionRefused):
        discovery.discovery_task_unreachable(actor=world.other_town_clerk, task=task)
    with pytest.raises(PermissionRefused):
        discovery.discovery_task_unreachable(actor=world.auditor, task=task)
    assert DiscoveryTask.objects.get(pk=task.pk).status == DiscoveryStatus.OPEN


# --------------------------------------------------------------------------- risk


@pytest.mark.parametrize(
    ("factors", "score", "months"),
    [
        (["marginal"], 1, 6),
        (["flagged"], 1, 6),
        (["dibao"], 2, 3),
        (["dibao", "tekun"], 3, 3),  # only the heaviest programme counts
        (["flagged", "graduated_exit"], 2, 3),
        (["dibao", "severe_disability"], 4, 1),
        (["tekun", "alone_70"], 5, 1),
        (["marginal", "mpi_severe", "graduated_exit"], 4, 1),
    ],
)
def test_risk_gives_the_visit_frequency(factors, score, months):
    assert discovery.visit_risk_score(factors) == score
    assert discovery.visit_interval_months(score) == months


def test_household_risks_come_from_the_register_and_the_casework(world):
    c = cast(world)
    alone_household, alone = family(c, 61, [dt.date(1940, 2, 2)])
    enrol(c, alone_household, alone)
    couple_household, couple = family(c, 62, COUPLE)
    enrol(c, couple_household, couple)
    Person.objects.filter(pk=couple[1].pk).update(
        disability_grade=1, disability_category="physical"
    )
    young_household, young = family(c, 63, [dt.date(1990, 2, 2)])
    enrol(c, young_household, young)
    flagged, _ = family(c, 64, OLD)
    flag(flagged, this_month(), marginal_eligible=True)
    discovery.discovery_tasks_create(actor=None, county=NANHU, month=this_month(), mpi_poor=set())

    risks = discovery.household_risks(
        county=NANHU, month=this_month(), mpi_severe={young_household.pk}
    )

    assert risks == {
        alone_household.pk: ["alone_70", "dibao"],
        couple_household.pk: ["dibao", "severe_disability"],
        young_household.pk: ["dibao", "mpi_severe"],
        flagged.pk: ["alone_70", "flagged"],  # one member born in 1950
    }


# --------------------------------------------------------------------------- visits


def test_visits_are_scheduled_by_risk_and_idempotently(world):
    c = cast(world)
    month = this_month()
    alone_household, alone = family(c, 71, [dt.date(1940, 2, 2)])
    enrol(c, alone_household, alone)  # dibao + alone 70+: monthly
    couple_household, couple = family(c, 72, COUPLE)
    enrol(c, couple_household, couple)  # dibao: quarterly
    run = {"actor": None, "county": NANHU, "mpi_severe": set()}

    assert discovery.visits_schedule(on=month, **run) == 2
    assert discovery.visits_schedule(on=month, **run) == 0
    rows = {v.household_id: v for v in Visit.objects.all()}
    assert rows[alone_household.pk].interval_months == 1
    assert rows[alone_household.pk].risk_score == 4
    assert rows[couple_household.pk].interval_months == 3
    assert all(
        v.period == month and v.due_on == discovery.visit_due_on(month) for v in rows.values()
    )
    assert rows[alone_household.pk].assignee == c.grid_worker

    # Nothing new while both are scheduled; once made, each is due again after its interval.
    next_month = add_months(month, 1)
    assert discovery.visits_schedule(on=next_month, **run) == 0
    for row in rows.values():
        discovery.visit_record(actor=c.grid_worker, visit=row, visited_on=today(), findings=[])
    assert discovery.visits_schedule(on=next_month, **run) == 1
    assert Visit.objects.get(household=alone_household, period=next_month).status == "scheduled"
    assert discovery.visits_schedule(on=add_months(month, 3), **run) == 1
    assert Visit.objects.filter(household=couple_household, period=add_months(month, 3)).exists()
    assert _actions("assistance.visit.schedule") == 5


def test_the_visit_deadline_counts_working_days():
    period = dt.date(2026, 10, 1)  # 国庆: the first days of October are holidays
    due = discovery.visit_due_on(period)
    assert due == add_working_days(period - dt.timedelta(days=1), 10)
    assert is_working_day(due) and due > period + dt.timedelta(days=13)


def test_the_visit_job_runs_a_chunk_per_county_for_this_month_by_default(world):
    c = cast(world)
    household, members = family(c, 73, OLD)
    enrol(c, household, members)
    job = job_start(
        actor=None,
        kind=discovery.VISITS_SCHEDULE_KIND,
        params={"counties": [NANHU]},  # as the jobs page starts it: this month
        enqueue=False,
    )
    assert job_run_chunk(job_id=job.pk, key=NANHU)
    assert Visit.objects.filter(household=household, status=VisitStatus.SCHEDULED).exists()


def test_a_visit_record_keeps_findings_and_refuses_bad_input(world):
    c = cast(world)
    household, _ = family(c, 74)
    scheduled = visit(c, household, this_month())

    with pytest.raises(ValidationFailed):
        discovery.visit_record(
            actor=c.grid_worker, visit=scheduled, visited_on=today(), findings=["bogus"]
        )
    with pytest.raises(ValidationFailed):
        discovery.visit_record(
            actor=c.grid_worker,
            visit=scheduled,
            visited_on=today() + dt.timedelta(days=1),
            findings=[],
        )
    with pytest.raises(ValidationFailed):
        discovery.visit_record(
            actor=c.grid_worker, visit=scheduled, visited_on=today(), findings=[], follow_up=True
        )
    with pytest.raises(PermissionRefused):
        discovery.visit_record(
            actor=world.other_town_clerk, visit=scheduled, visited_on=today(), findings=[]
        )

    done = discovery.visit_record(
        actor=c.grid_worker,
        visit=scheduled,
        visited_on=today(),
        findings=["health", "food"],
        note="老人腿伤未就医",
        follow_up=True,
    )

    done.refresh_from_db()
    assert done.status == VisitStatus.DONE and done.visitor == c.grid_worker
    assert done.findings == ["food", "health"] and done.follow_up
    event = AuditEvent.objects.get(action="assistance.visit.record")
    assert event.changes["findings"] == ["food", "health"] and event.changes["follow_up"] is True
    with pytest.raises(Conflict):
        discovery.visit_record(actor=c.clerk, visit=done, visited_on=today(), findings=[])


def test_overdue_visits_come_first_on_the_towns_worklist(world):
    c = cast(world)
    soon = visit(c, family(c, 75)[0], add_months(this_month(), 1))
    late = visit(c, family(c, 76)[0], add_months(this_month(), -2))
    later = visit(c, family(c, 77)[0], add_months(this_month(), -1))
    day = max(late.due_on, later.due_on) + dt.timedelta(days=1)

    rows = list(selectors.visit_worklist(actor=c.clerk, today=day))
    assert rows == [late, later, soon]
    assert list(selectors.visit_worklist(actor=c.clerk, today=day, overdue_only=True)) == [
        late,
        later,
    ]
    assert list(selectors.visit_worklist(actor=world.other_town_clerk, today=day)) == []
    with pytest.raises(NotFound):
        selectors.visit_get(actor=world.other_town_clerk, visit_id=late.pk)
