"""Shared set-up of the discovery tests (no tests here): flagged households and visits."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from minzheng.domains.assistance import services
from minzheng.domains.assistance.determination import prepare_partitions
from minzheng.domains.assistance.models import AssistanceApplication, Determination
from minzheng.domains.assistance.models.discovery import Visit
from minzheng.domains.assistance.services.discovery import visit_due_on
from minzheng.domains.assistance.tests.test_casework_support import Cast, programme, today
from minzheng.domains.assistance.tests.test_payroll_support import NANHU, household_with
from minzheng.kernel.people.id_numbers import make_id_number
from minzheng.kernel.people.models import Household, Person
from minzheng.kernel.people.services import household_create, person_create
from minzheng.testing.world import XINJIA

OLD = [dt.date(1950, 3, 1)]
COUPLE = [dt.date(1949, 1, 2), dt.date(1951, 7, 8)]


def this_month() -> dt.date:
    return today().replace(day=1)


def family(c: Cast, seq: int, births: list[dt.date] = COUPLE) -> tuple[Household, list[Person]]:
    """A household of the 新嘉 grid (the grid worker's)."""
    return household_with(c, seq=seq, births=births, address=f"发现路{seq}号")


def village_family(c: Cast, seq: int) -> Household:
    """A household registered on the 新嘉 village, whose region has no grid worker."""
    village = c.world.regions["xinjia_village"]
    head = person_create(
        actor=None,
        name=f"村民{seq}",
        id_number=make_id_number(NANHU, dt.date(1958, 5, 5), seq),
        registered_region=village,
        residence_region=village,
        work_ability="none",
    )
    return household_create(
        actor=None,
        region=village,
        address=f"村里{seq}号",
        head=head,
        start_date=dt.date(2020, 1, 1),
    )


def flag(household: Household, month: dt.date, **flags: object) -> Determination:
    """The month's determination of a household (written as the bulk run would)."""
    prepare_partitions(month, [NANHU])
    return Determination.objects.create(
        household=household, period=month, county=NANHU, computed_at=timezone.now(), **flags
    )


def apply(
    c: Cast, household: Household, head: Person, code: str = "dibao"
) -> AssistanceApplication:
    chosen = programme(code)
    return services.application_submit(
        actor=c.clerk,
        programme=chosen,
        household=household,
        channel="counter",
        applicant=head,
        description="主动发现",
        documents=chosen.required_documents,
    )


def visit(c: Cast, household: Household, due_month: dt.date, **fields: object) -> Visit:
    """A scheduled visit made directly (the pages' tests)."""
    values: dict[str, object] = {
        "region": household.region,
        "town": c.world.regions[XINJIA],
        "county": NANHU,
        "assignee": c.grid_worker if household.region == c.world.regions["xinjia_grid"] else None,
        "period": due_month,
        "due_on": visit_due_on(due_month),
        "interval_months": 3,
        "risk_score": 2,
        "risk_factors": ["dibao"],
    }
    values.update(fields)
    return Visit.objects.create(household=household, **values)
