"""Back-office pages of the assistance reports: monthly statistics by region and programme, and
the cases past their deadline by town, each with its Excel download.

Thin: each view validates the filter, calls one report selector and renders. The page table and
the workbook are built from the same rows (`monthly_table`, `overdue_table`), so a download
holds exactly what the page shows, with the header in the user's language and a totals row.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from minzheng.common.errors import ValidationFailed
from minzheng.domains.assistance.casework_views import STEPS_LABELS
from minzheng.domains.assistance.models.casework import Programme
from minzheng.domains.assistance.selectors.reports import (
    MonthlyRow,
    MonthlyStatistics,
    OverdueReport,
    monthly_statistics,
    overdue_cases,
    report_regions,
)
from minzheng.kernel.accounts.permissions import Perm
from minzheng.web.backoffice.access import actor_of, page, staff_view

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OVERDUE_PAGE_ROWS = 500  # cases listed on the page; the download holds them all


# -- filters ------------------------------------------------------------------------------------


class ReportFilterForm(forms.Form):
    """Month (monthly statistics only), region and programme of a report; all optional."""

    month = forms.RegexField(
        label=gettext_lazy("Month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "class": "form-control form-control-sm"}),
        error_messages={"invalid": gettext_lazy("Enter a month as YYYY-MM.")},
    )
    region = forms.CharField(
        label=gettext_lazy("Region"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    programme = forms.ModelChoiceField(
        label=gettext_lazy("Programme"),
        queryset=Programme.objects.order_by("id"),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("All programmes"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args: Any, actor: Any, with_month: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_month:
            del self.fields["month"]
        choices = [("", _("My regions"))]
        for region in report_regions(actor=actor):
            indent = "\u3000" * max(region.path.count("/") - 1, 0)
            choices.append((region.code, f"{indent}{region.name}"))
        chosen = self.data.get("region") if self.is_bound else None
        if chosen and chosen not in {code for code, _label in choices}:
            choices.append((chosen, chosen))  # a village reached by drilling down
        self.fields["region"].widget.choices = choices

    def chosen(self) -> dict[str, Any]:
        """The valid filter (ValidationFailed otherwise): month, region code, programme code."""
        if self.is_bound and not self.is_valid():
            raise ValidationFailed(
                _("The report's filter is not valid: %(errors)s")
                % {"errors": "; ".join(str(e) for errors in self.errors.values() for e in errors)}
            )
        data = self.cleaned_data if self.is_bound else {}
        month = None
        if data.get("month"):
            year, number = data["month"].split("-")
            month = dt.date(int(year), int(number), 1)
        return {
            "month": month,
            "region_code": data.get("region") or None,
            "programme": data["programme"].code if data.get("programme") else None,
        }


def _filter(
    request: HttpRequest, *, with_month: bool = True
) -> tuple[ReportFilterForm, dict[str, Any]]:
    form = ReportFilterForm(request.GET or None, actor=actor_of(request), with_month=with_month)
    return form, form.chosen()


# -- tables shared by the page and the workbook --------------------------------------------------


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[Any]]  # cell values: str, int or Decimal
    total: list[Any]
    links: list[str]  # per row: the drill-down (or case) address of its first cell, or ""


def _yuan(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def _row_cells(label: str, programme: str, row: MonthlyRow) -> list[Any]:
    return [
        label,
        programme,
        row.households,
        row.persons,
        _yuan(row.amount_due),
        _yuan(row.amount_paid),
        row.new,
        row.exits,
    ]


def monthly_table(stats: MonthlyStatistics, *, query: dict[str, str]) -> Table:
    """The statistics as rows: one per region directly under the report's region and programme."""
    header = [
        _("Region"),
        _("Programme"),
        _("Households enrolled"),
        _("Persons covered"),
        _("Amount due (yuan)"),
        _("Amount paid (yuan)"),
        _("New enrolments"),
        _("Exits"),
    ]
    rows, links = [], []
    base = reverse("assistance:report_monthly")
    for row in stats.rows:
        label = (
            row.region.name
            if row.region
            else _("%(region)s (not attributed below)") % {"region": stats.region.name}
        )
        rows.append(_row_cells(label, row.programme.name if row.programme else "", row))
        drill = row.region is not None and row.region.level != "grid"
        links.append(
            f"{base}?{urlencode({**query, 'region': row.region.code})}"
            if drill and row.region
            else ""
        )
    title = _("Assistance statistics of %(region)s, %(month)s") % {
        "region": stats.region.name,
        "month": f"{stats.month:%Y-%m}",
    }
    return Table(
        title=title,
        header=header,
        rows=rows,
        total=_row_cells(_("Total"), "", stats.total),
        links=links,
    )


def overdue_table(report: OverdueReport) -> Table:
    """The overdue cases as rows, oldest due date first."""
    header = [
        _("Case number"),
        _("Programme"),
        _("Applicant"),
        _("Town"),
        _("Step"),
        _("Due"),
        _("Working days overdue"),
    ]
    rows = [
        [
            case.case_number,
            case.programme,
            case.applicant,
            case.town.name,
            str(STEPS_LABELS.get(case.action, case.action)),
            case.due_on.isoformat(),
            case.days_overdue,
        ]
        for case in report.cases
    ]
    links = [reverse("assistance:case", args=[case.case_number]) for case in report.cases]
    oldest = max((case.days_overdue for case in report.cases), default=0)
    title = _("Assistance cases past their deadline in %(region)s, %(today)s") % {
        "region": report.region.name,
        "today": report.today.isoformat(),
    }
    total = [_("Total"), "", report.total, "", "", "", oldest]
    return Table(title=title, header=header, rows=rows, total=total, links=links)


def table_xlsx(table: Table, *, sheet: str) -> bytes:
    """A table as an Excel workbook: the title, a bold header row, the rows, a bold totals row."""
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    for index, label in enumerate(table.header, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = max(10, len(label) * 2)
    worksheet.freeze_panes = "A3"
    worksheet.append([table.title])

    def styled(values: Sequence[Any], *, header: bool) -> list[WriteOnlyCell]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(worksheet, value=value)
            cell.font = Font(bold=True, color="FFFFFF" if header else None)
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            if header:
                cell.fill = PatternFill("solid", fgColor="1F4E79")
            cells.append(cell)
        return cells

    def amounts(values: Sequence[Any]) -> list[Any]:
        cells: list[Any] = []
        for value in values:
            if isinstance(value, Decimal):
                value = WriteOnlyCell(worksheet, value=value)
                value.number_format = "#,##0.00"
            cells.append(value)
        return cells

    worksheet.append(styled(table.header, header=True))
    for row in table.rows:
        worksheet.append(amounts(row))
    worksheet.append(styled(table.total, header=False))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _download(table: Table, *, sheet: str, filename: str) -> HttpResponse:
    response = HttpResponse(table_xlsx(table, sheet=sheet), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _query(chosen: dict[str, Any], stats_month: dt.date | None = None) -> dict[str, str]:
    query = {}
    if stats_month is not None:
        query["month"] = f"{stats_month:%Y-%m}"
    if chosen.get("region_code"):
        query["region"] = chosen["region_code"]
    if chosen.get("programme"):
        query["programme"] = chosen["programme"]
    return query


# -- charts -------------------------------------------------------------------------------------


def _monthly_charts(stats: MonthlyStatistics) -> dict[str, Any]:
    """Chart data: households per region stacked by programme with the amount paid, and the
    12-month trend of households and amounts per programme."""
    keys: list[int | None] = [c.pk for c in stats.children]
    names = [c.name for c in stats.children]
    if None in stats.by_region:  # lines booked at the report's region itself
        keys.append(None)
        names.append(_("Not attributed below"))
    households = {p.pk: dict.fromkeys(keys, 0) for p in stats.programmes}
    for row in stats.rows:
        if row.programme is not None:
            households[row.programme.pk][row.region.pk if row.region else None] += row.households
    empty = MonthlyRow(region=None, programme=None)
    paid = [float(stats.by_region.get(key, empty).amount_paid) for key in keys]
    by_region = {
        "names": names,
        "bars": [
            {"name": p.name, "data": list(households[p.pk].values())}
            for p in stats.programmes
            if any(households[p.pk].values())
        ],
        "line": {"name": _("Amount paid (yuan)"), "data": paid},
        "axes": [_("Households"), _("Yuan")],
    }
    trend = {
        "months": [f"{m:%Y-%m}" for m in stats.months],
        "lines": [{"name": s.programme.name, "data": s.households, "axis": 0} for s in stats.trend]
        + [
            {
                "name": _("%(programme)s paid (yuan)") % {"programme": s.programme.name},
                "data": [float(v) for v in s.amount_paid],
                "axis": 1,
            }
            for s in stats.trend
        ],
        "axes": [_("Households"), _("Yuan")],
    }
    return {"by_region": by_region, "trend": trend}


def _overdue_chart(report: OverdueReport) -> dict[str, Any]:
    return {
        "names": [t.town.name for t in report.towns],
        "bars": [
            {
                "name": str(STEPS_LABELS.get(action, action)),
                "data": [t.by_action.get(action, 0) for t in report.towns],
            }
            for action in report.actions
        ],
        "axes": [_("Cases"), ""],
    }


# -- pages --------------------------------------------------------------------------------------


@staff_view(Perm.ASSISTANCE_VIEW)
def monthly(request: HttpRequest) -> HttpResponse:
    """Monthly statistics of the chosen region, month and programme, by the regions below."""
    form, chosen = _filter(request)
    stats = monthly_statistics(actor=actor_of(request), **chosen)
    query = _query(chosen, stats.month)
    table = monthly_table(stats, query={k: v for k, v in query.items() if k != "region"})
    download = reverse("assistance:report_monthly_xlsx")
    return page(
        request,
        "assistance/reports/monthly.html",
        {
            "form": form,
            "stats": stats,
            "table": table,
            "table_rows": list(zip(table.rows, table.links, strict=True)),
            "charts": _monthly_charts(stats),
            "download_url": f"{download}?{urlencode(query)}",
            "reports": True,
        },
    )


@staff_view(Perm.ASSISTANCE_VIEW)
def monthly_xlsx(request: HttpRequest) -> HttpResponse:
    """The monthly statistics as an Excel download (the same filter as the page)."""
    _form, chosen = _filter(request)
    stats = monthly_statistics(actor=actor_of(request), **chosen)
    table = monthly_table(stats, query={})
    return _download(
        table,
        sheet=_("Monthly statistics"),
        filename=f"assistance-{stats.region.code}-{stats.month:%Y-%m}.xlsx",
    )


def _overdue_report(
    request: HttpRequest,
) -> tuple[ReportFilterForm, dict[str, Any], OverdueReport]:
    """The filter and the report of the overdue cases, counted to today."""
    form, chosen = _filter(request, with_month=False)
    report = overdue_cases(
        actor=actor_of(request),
        region_code=chosen["region_code"],
        programme=chosen["programme"],
        today=timezone.localdate(),
    )
    return form, chosen, report


@staff_view(Perm.ASSISTANCE_VIEW)
def overdue(request: HttpRequest) -> HttpResponse:
    """Open cases past their step's deadline, by town and step, and the list of them."""
    form, chosen, report = _overdue_report(request)
    table = overdue_table(report)
    rows = list(zip(table.rows, table.links, strict=True))
    download = reverse("assistance:report_overdue_xlsx")
    return page(
        request,
        "assistance/reports/overdue.html",
        {
            "form": form,
            "report": report,
            "table": table,
            "table_rows": rows[:OVERDUE_PAGE_ROWS],
            "truncated": len(rows) > OVERDUE_PAGE_ROWS,
            "page_rows": OVERDUE_PAGE_ROWS,
            "town_rows": [
                (t, [t.by_action.get(action, 0) for action in report.actions]) for t in report.towns
            ],
            "action_labels": [STEPS_LABELS.get(a, a) for a in report.actions],
            "chart": _overdue_chart(report),
            "download_url": f"{download}?{urlencode(_query(chosen))}",
            "reports": True,
        },
    )


@staff_view(Perm.ASSISTANCE_VIEW)
def overdue_xlsx(request: HttpRequest) -> HttpResponse:
    """Every overdue case as an Excel download (the same filter as the page)."""
    _form, _chosen, report = _overdue_report(request)
    return _download(
        overdue_table(report),
        sheet=_("Overdue cases"),
        filename=f"assistance-overdue-{report.region.code}-{report.today.isoformat()}.xlsx",
    )
