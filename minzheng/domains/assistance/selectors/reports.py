"""Reads of the assistance reports: monthly statistics by region and programme, and the cases
past their deadline by town.

Set-based: each table is read once with GROUP BY (enrolments, payment lines, open tasks), so a
report makes the same number of queries whatever the number of regions. Scoped to the actor's
regions: the region shown must lie inside a region where the actor may view assistance, and
every figure is counted under that region's path.

Where a row lies: an enrolment and a household's payment line lie where the household lives in
the register (its grid or village); a payment line of another kind of beneficiary lies in the
line's own region. Cases lie in their handling town.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, CharField, Count, F, Min, OuterRef, Q, Subquery, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common.errors import NotFound, PermissionRefused
from minzheng.common.masking import mask_name
from minzheng.domains.assistance.models.casework import (
    OPEN_STATES,
    AssistanceApplication,
    Enrolment,
    EnrolmentState,
    Programme,
)
from minzheng.domains.assistance.selectors.casework import application_scope
from minzheng.kernel.accounts.permissions import Perm, scope_paths
from minzheng.kernel.payments.entitlements import month_index, month_of_index
from minzheng.kernel.payments.models import BeneficiaryKind, LineStatus, PaymentLine
from minzheng.kernel.people.models import Household
from minzheng.kernel.regions.models import Region
from minzheng.kernel.workflow import calendar
from minzheng.kernel.workflow.models import Task

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

__all__ = [
    "TREND_MONTHS",
    "MonthlyRow",
    "MonthlyStatistics",
    "OverdueCase",
    "OverdueReport",
    "OverdueTown",
    "monthly_statistics",
    "overdue_cases",
    "report_region",
    "report_regions",
]

TREND_MONTHS = 12
ZERO = Decimal("0.00")


# -- the region of a report ---------------------------------------------------------------------


def report_region(*, actor: User, code: str | None = None) -> Region:
    """The region a report covers: `code` if it lies in the actor's regions, else NotFound;
    without a code, the actor's top region (the first, by code, of several)."""
    paths = scope_paths(actor, Perm.ASSISTANCE_VIEW)
    if not paths:
        raise PermissionRefused(
            _("You may not view assistance reports."), code="assistance_view_denied"
        )
    if code:
        region = Region.objects.filter(code=code).first()
        if region is None or not any(region.path.startswith(path) for path in paths):
            raise NotFound(_("This region is not in your regions."), code="region_not_found")
        return region
    return Region.objects.filter(path__in=paths).order_by("code")[0]


def report_regions(*, actor: User) -> list[Region]:
    """The regions a report may be asked for in a filter: the actor's top regions and every
    county and town under them (villages are reached by drilling down)."""
    condition = Q(pk__in=[])
    for path in scope_paths(actor, Perm.ASSISTANCE_VIEW):
        condition |= Q(path=path) | Q(path__startswith=path, level__in=["county", "town"])
    return list(Region.objects.filter(condition).order_by("path"))


def _child_path(path: str, parent: str) -> str:
    """The path of the region directly under `parent` that `path` lies in ("" for `parent`)."""
    rest = path[len(parent) :]
    return f"{parent}{rest.split('/', 1)[0]}/" if rest else ""


def _first_of_month(month: dt.date | None) -> dt.date:
    return (month or timezone.localdate()).replace(day=1)


# -- monthly statistics -------------------------------------------------------------------------


@dataclass
class MonthlyRow:
    """One region × programme of the month. `region` None: counted at the region itself
    (a payment line booked above the level shown)."""

    region: Region | None
    programme: Programme | None  # None: all programmes (a total)
    households: int = 0
    persons: int = 0
    amount_due: Decimal = ZERO
    amount_paid: Decimal = ZERO
    new: int = 0
    exits: int = 0

    def add(self, other: MonthlyRow) -> None:
        self.households += other.households
        self.persons += other.persons
        self.amount_due += other.amount_due
        self.amount_paid += other.amount_paid
        self.new += other.new
        self.exits += other.exits


@dataclass
class TrendSeries:
    """A programme's 12 months: households enrolled, amount due and amount paid, oldest first."""

    programme: Programme
    households: list[int]
    amount_due: list[Decimal]
    amount_paid: list[Decimal]


@dataclass
class MonthlyStatistics:
    month: dt.date
    region: Region
    children: list[Region]
    programmes: list[Programme]
    rows: list[MonthlyRow]  # by child region (code), then programme
    total: MonthlyRow
    by_region: dict[int | None, MonthlyRow]  # region id (None: the region itself) → all programmes
    months: list[dt.date]  # the trend's months, oldest first
    trend: list[TrendSeries] = field(default_factory=list)


def _line_places() -> Case:
    """Where a payment line lies: the household's region for a household, else the line's."""
    household_path = Household.objects.filter(pk=OuterRef("beneficiary_id")).values("region__path")[
        :1
    ]
    return Case(
        When(beneficiary_kind=BeneficiaryKind.HOUSEHOLD, then=Subquery(household_path)),
        default=F("region__path"),
        output_field=CharField(),
    )


def _paid_lines(region: Region, programme: str | None) -> Q:
    condition = Q(status=LineStatus.PAID, place__startswith=region.path)
    if programme:
        condition &= Q(programme=programme)
    return condition


def monthly_statistics(
    *,
    actor: User,
    month: dt.date | None = None,
    region_code: str | None = None,
    programme: str | None = None,
) -> MonthlyStatistics:
    """The month's enrolments and payments per region directly under the chosen region and per
    programme, with a 12-month trend per programme for the whole region.

    - households: enrolments whose months (start to end, inclusive) include the month, in any
      state (a suspended household is still enrolled);
    - persons: the members these enrolments cover;
    - amount due: their monthly amounts, leaving out suspended enrolments (as the payroll does);
    - amount paid: payment lines paid in the month (`month`, any kind: regular, back pay,
      reissue) that the bank has settled as paid;
    - new: enrolments starting in the month; exits: enrolments whose last month is the month.

    Seven queries whatever the number of regions: the region, its children, the programmes, the
    month's enrolments and lines, the trend's enrolments and lines.
    """
    month = _first_of_month(month)
    region = report_region(actor=actor, code=region_code)
    children = list(Region.objects.filter(parent=region).order_by("code"))
    programmes_qs = Programme.objects.order_by("id")
    if programme:
        programmes_qs = programmes_qs.filter(code=programme)
    programmes = list(programmes_qs)
    by_code = {p.code: p for p in programmes}
    by_id = {p.pk: p for p in programmes}
    child_by_path: dict[str, Region | None] = {c.path: c for c in children}

    covering = Q(start_month__lte=month) & (Q(end_month__isnull=True) | Q(end_month__gte=month))
    enrolments = Enrolment.objects.filter(household__region__path__startswith=region.path)
    if programme:
        enrolments = enrolments.filter(programme__code=programme)
    not_suspended = ~Q(state=EnrolmentState.SUSPENDED)
    month_rows = (
        enrolments.filter(covering)
        .values("household__region__path", "programme_id")
        .annotate(
            households=Count("household_id", distinct=True),
            persons=Sum("covered_count"),
            amount_due=Sum("monthly_amount", filter=not_suspended),
            new=Count("id", filter=Q(start_month=month)),
            exits=Count("id", filter=Q(end_month=month)),
        )
        .order_by()
    )
    cells: dict[tuple[str, int], MonthlyRow] = {}

    def cell(path: str, programme_obj: Programme) -> MonthlyRow:
        key = (_child_path(path, region.path), programme_obj.pk)
        if key not in cells:
            cells[key] = MonthlyRow(region=child_by_path.get(key[0]), programme=programme_obj)
        return cells[key]

    for row in month_rows:
        chosen = by_id.get(row["programme_id"])
        if chosen is None:
            continue
        cell(row["household__region__path"], chosen).add(
            MonthlyRow(
                region=None,
                programme=chosen,
                households=row["households"],
                persons=row["persons"] or 0,
                amount_due=row["amount_due"] or ZERO,
                new=row["new"],
                exits=row["exits"],
            )
        )
    lines = PaymentLine.objects.annotate(place=_line_places())
    for row in (
        lines.filter(_paid_lines(region, programme), month=month)
        .values("place", "programme")
        .annotate(amount=Sum("amount"))
        .order_by()
    ):
        chosen = by_code.get(row["programme"])
        if chosen is not None and row["place"]:
            cell(row["place"], chosen).amount_paid += row["amount"] or ZERO

    order = {c.path: index for index, c in enumerate(children)}
    keys = sorted(cells, key=lambda key: (order.get(key[0], len(order)), key[1]))
    rows = [cells[key] for key in keys]
    total = MonthlyRow(region=None, programme=None)
    by_region: dict[int | None, MonthlyRow] = {}
    for row in rows:
        total.add(row)
        region_id = row.region.pk if row.region else None
        by_region.setdefault(region_id, MonthlyRow(region=row.region, programme=None))
        by_region[region_id].add(row)

    months, trend = _trend(month, region, programme, enrolments, lines, programmes)
    return MonthlyStatistics(
        month=month,
        region=region,
        children=children,
        programmes=programmes,
        rows=rows,
        total=total,
        by_region=by_region,
        months=months,
        trend=trend,
    )


def _trend(
    month: dt.date,
    region: Region,
    programme: str | None,
    enrolments: object,
    lines: object,
    programmes: list[Programme],
) -> tuple[list[dt.date], list[TrendSeries]]:
    """Households, amount due and amount paid per programme for the 12 months up to `month`.

    Enrolments are read grouped by (programme, start, end, suspended) and spread over the
    months they cover; lines grouped by (month, programme). Two queries.
    """
    last = month_index(month)
    first = last - TREND_MONTHS + 1
    months = [month_of_index(i) for i in range(first, last + 1)]
    series = {
        p.pk: TrendSeries(
            programme=p,
            households=[0] * TREND_MONTHS,
            amount_due=[ZERO] * TREND_MONTHS,
            amount_paid=[ZERO] * TREND_MONTHS,
        )
        for p in programmes
    }
    code_to_id = {p.code: p.pk for p in programmes}
    overlapping = enrolments.filter(  # type: ignore[attr-defined]
        Q(start_month__lte=month) & (Q(end_month__isnull=True) | Q(end_month__gte=months[0]))
    )
    for row in (
        overlapping.values("programme_id", "start_month", "end_month")
        .annotate(
            households=Count("household_id", distinct=True),
            amount_due=Sum(
                "monthly_amount", filter=~Q(state=EnrolmentState.SUSPENDED), default=ZERO
            ),
        )
        .order_by()
    ):
        line = series.get(row["programme_id"])
        if line is None:
            continue
        start = max(month_index(row["start_month"]), first)
        end = min(month_index(row["end_month"]) if row["end_month"] else last, last)
        for index in range(start - first, end - first + 1):
            line.households[index] += row["households"]
            line.amount_due[index] += row["amount_due"] or ZERO
    for row in (
        lines.filter(  # type: ignore[attr-defined]
            _paid_lines(region, programme), month__gte=months[0], month__lte=month
        )
        .values("month", "programme")
        .annotate(amount=Sum("amount"))
        .order_by()
    ):
        programme_id = code_to_id.get(row["programme"])
        if programme_id is not None:
            series[programme_id].amount_paid[month_index(row["month"]) - first] += (
                row["amount"] or ZERO
            )
    return months, [s for s in series.values() if any(s.households) or any(s.amount_paid)]


# -- cases past their deadline ------------------------------------------------------------------


@dataclass
class OverdueCase:
    application_id: int
    case_number: str
    programme: str
    applicant: str  # masked
    town: Region
    action: str  # the step the case waits on (a transition name)
    due_on: dt.date
    days_overdue: int  # working days from the due date to today


@dataclass
class OverdueTown:
    town: Region
    count: int = 0
    by_action: dict[str, int] = field(default_factory=dict)
    oldest_days: int = 0  # the most working days any of its cases is overdue


@dataclass
class OverdueReport:
    today: dt.date
    region: Region
    towns: list[OverdueTown]
    actions: list[str]  # the steps that appear, in the order of the state table
    cases: list[OverdueCase]  # oldest due date first
    total: int


ACTION_ORDER = [
    "accept",
    "investigate",
    "verify",
    "appraise",
    "town_review",
    "publish_notice",
    "approve",
    "document",
]


def overdue_cases(
    *,
    actor: User,
    region_code: str | None = None,
    programme: str | None = None,
    today: dt.date | None = None,
) -> OverdueReport:
    """Open applications whose current step is past its due date (a date counted in working
    days when the step began), per handling town and step, and the list of those cases.

    A case is overdue when its open task's due date is before `today`; its days overdue are
    the working days after the due date up to today. Four queries whatever the number of towns.
    """
    today = today or timezone.localdate()
    region = report_region(actor=actor, code=region_code)
    applications = AssistanceApplication.objects.filter(
        application_scope(actor), region__path__startswith=region.path, state__in=OPEN_STATES
    )
    if programme:
        applications = applications.filter(programme__code=programme)
    tasks = Task.objects.filter(
        content_type=ContentType.objects.get_for_model(AssistanceApplication),
        closed_at__isnull=True,
        due_on__lt=today,
        object_id__in=applications.values("pk"),
    )
    counts = list(
        tasks.values("region_id", "action")
        .annotate(count=Count("id"), oldest=Min("due_on"))
        .order_by()
    )
    found = list(tasks.order_by("due_on", "id"))
    related = AssistanceApplication.objects.select_related("programme", "applicant", "region")
    cases = related.in_bulk([task.object_id for task in found])
    towns: dict[int, OverdueTown] = {}
    for task in found:
        application = cases.get(task.object_id)
        if application is not None:
            towns.setdefault(application.region_id, OverdueTown(town=application.region))
    for row in counts:
        town = towns.get(row["region_id"])
        if town is None:
            continue
        town.count += row["count"]
        town.by_action[row["action"]] = town.by_action.get(row["action"], 0) + row["count"]
        town.oldest_days = max(
            town.oldest_days, calendar.working_days_between(row["oldest"], today)
        )
    listed = [
        OverdueCase(
            application_id=application.pk,
            case_number=application.case_number,
            programme=application.programme.name,
            applicant=mask_name(application.applicant.name),
            town=application.region,
            action=task.action,
            due_on=task.due_on,  # type: ignore[arg-type]
            days_overdue=calendar.working_days_between(task.due_on, today),  # type: ignore[arg-type]
        )
        for task in found
        if (application := cases.get(task.object_id)) is not None
    ]
    present = {action for town in towns.values() for action in town.by_action}
    actions = [a for a in ACTION_ORDER if a in present] + sorted(present - set(ACTION_ORDER))
    return OverdueReport(
        today=today,
        region=region,
        towns=sorted(towns.values(), key=lambda t: (-t.count, t.town.code)),
        actions=actions,
        cases=listed,
        total=len(listed),
    )
