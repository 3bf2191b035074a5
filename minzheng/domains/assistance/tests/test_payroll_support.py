"""Enrolled households of 南湖区 for the payroll tests, built through the casework services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from minzheng.domains.assistance import services
from minzheng.domains.assistance.models import Enrolment
from minzheng.domains.assistance.payroll import register_sources
from minzheng.domains.assistance.tests.test_casework_support import Cast, programme, walk_to
from minzheng.kernel.jobs.services import job_run_chunk
from minzheng.kernel.payments.jobs import payroll_start
from minzheng.kernel.payments.models import PayeeAccount
from minzheng.kernel.payments.tests.factories import open_account
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.models import Household, Person
from minzheng.kernel.people.services import household_add_member, household_create, person_create

NANHU = "330402"


@dataclass
class Enrolled:
    enrolment: Enrolment
    head: Person
    members: list[Person]
    account: PayeeAccount | None


def household_with(
    c: Cast, *, seq: int, births: list[dt.date], address: str
) -> tuple[Household, list[Person]]:
    """A household of the 新嘉 grid without income: the head first."""
    grid = c.world.regions["xinjia_grid"]
    persons = [
        person_create(
            actor=None,
            name=f"救助{seq}{i}",
            id_number=make_id_number(NANHU, birth, seq * 10 + i),
            registered_region=grid,
            residence_region=grid,
            work_ability="none",
        )
        for i, birth in enumerate(births)
    ]
    household = household_create(
        actor=None, region=grid, address=address, head=persons[0], start_date=dt.date(2020, 1, 1)
    )
    for person in persons[1:]:
        household_add_member(
            actor=None,
            household=household,
            person=person,
            relation="spouse",
            start_date=dt.date(2020, 1, 1),
        )
    return household, persons


def enrol(
    c: Cast,
    household: Household,
    persons: list[Person],
    *,
    code: str = "dibao",
    account_seq: int | None = None,
) -> Enrolled:
    """Submit at the counter, walk the ordinary path and approve: the enrolment of approval."""
    chosen = programme(code)
    application = services.application_submit(
        actor=c.clerk,
        programme=chosen,
        household=household,
        channel="counter",
        applicant=persons[0],
        description="年老无收入",
        documents=chosen.required_documents,
    )
    application = walk_to(c, application, "notice")
    enrolment = services.application_approve(
        actor=c.approver, application=application, today=application.notice_ends_on
    )
    account = open_account(persons[0], account_seq) if account_seq is not None else None
    return Enrolled(enrolment=enrolment, head=persons[0], members=persons, account=account)


def run_payroll(month: dt.date, *, code: str = "dibao", actor=None):  # type: ignore[no-untyped-def]
    """The kernel's payroll job for 南湖区, run inline."""
    register_sources()  # other tests may have replaced the source of the programme
    job = payroll_start(actor=actor, programme=code, month=month, counties=[NANHU], enqueue=False)
    job_run_chunk(job_id=job.pk, key=NANHU)
    job.refresh_from_db()
    return job
