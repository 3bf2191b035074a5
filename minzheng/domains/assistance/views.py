"""Back-office pages of the policy parameters: the values in force, each parameter's history,
proposing an official figure, the what-if preview before it is confirmed, and the list (and
Excel download) of the households it would bring into or out of each programme.

Thin: each view calls the parameters' selectors or one service and renders. The parameters
come from the rules in force (the YAML baseline with confirmed changes, built once and
cached); a page reads the proposals it shows in one query, never one per parameter.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openfisca_core.parameters import Parameter, ParameterNode
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from minzheng.common.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from minzheng.domains.assistance.forms import AffectedFilterForm, ProposeForm, WithdrawForm
from minzheng.domains.assistance.services.review import standard_change_recalculate_enqueue
from minzheng.domains.assistance.whatif import (
    ENTERING,
    LEAVING,
    PROGRAMMES,
    AffectedHouseholds,
    WhatIfResult,
    affected_households,
    whatif_preview,
)
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.parameters.models import ChangeStatus, ParameterChange
from minzheng.kernel.parameters.selectors import (
    parameter_history,
    parameter_list,
    system_in_force,
)
from minzheng.kernel.parameters.services import (
    parameter_change_confirm,
    parameter_change_propose,
    parameter_change_withdraw,
)
from minzheng.web.backoffice.access import actor_of, page, staff_view

PREVIEW_SALT = "assistance.parameters.preview"
PREVIEW_MAX_AGE = 2 * 60 * 60  # a preview older than this must be looked at again
AFFECTED_PAGE_SIZE = 50  # households a page in the list of those a change affects

# The order of the groups on the list page: programme by programme, then the shared inputs.
GROUP_ORDER = [
    "assistance.dibao.standard",
    "assistance.dibao.floor",
    "assistance.dibao.minimum_wage_link",
    "assistance.marginal",
    "assistance.low_income_rural",
    "assistance.separate_enrolment",
    "assistance.income",
    "assistance.assets",
    "assistance.graduated_exit",
    "assistance.tekun",
    "assistance.self_care",
    "assistance.temporary",
    "assistance.expenditure_poverty",
    "assistance.price_subsidy",
    "minimum_wage",
    "child_welfare",
    "disability",
    "mpi.deprivation_cutoffs",
    "mpi.weights",
    "mpi.poverty_cutoffs",
]

UNITS = {
    "yuan": gettext_lazy("yuan"),
    "yuan per month": gettext_lazy("yuan per month"),
    "yuan per year": gettext_lazy("yuan per year"),
    "yuan per person per month": gettext_lazy("yuan per person per month"),
    "share": gettext_lazy("share"),
    "share of the standard": gettext_lazy("share of the standard"),
    "share of the weighted indicators": gettext_lazy("share of the weighted indicators"),
    "multiple": gettext_lazy("times the standard"),
    "months": gettext_lazy("months"),
    "months of the standard": gettext_lazy("months of the standard"),
    "years": gettext_lazy("years"),
    "tier": gettext_lazy("tier"),
    "grade": gettext_lazy("grade"),
    "houses": gettext_lazy("houses"),
    "vehicles": gettext_lazy("vehicles"),
    "indicators": gettext_lazy("indicators"),
    "persons": gettext_lazy("persons"),
    "denominator": gettext_lazy("denominator"),
    "relative weight": gettext_lazy("relative weight"),
    "full / reduced": gettext_lazy("full / reduced"),
    "true / false": "",
}

PROGRAMME_LABELS = {
    "dibao": gettext_lazy("Dibao"),
    "marginal": gettext_lazy("Dibao-marginal"),
    "low_income_rural": gettext_lazy("Low-income rural"),
    "tekun": gettext_lazy("Extreme poverty"),
    "expenditure_poverty": gettext_lazy("Rigid-expenditure hardship"),
}


# The parameter tree, as the pages show it ---------------------------------------------------


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _labels(node: Any) -> tuple[str, str]:
    """A node's Chinese and English labels; a node without one (a county) uses its description."""
    metadata = node.metadata or {}
    description = (node.description or node.name.rsplit(".", 1)[-1]).strip()
    return str(metadata.get("label_zh") or description), str(metadata.get("label_en") or "")


def _group_of(path: str) -> str:
    parts = path.split(".")
    depth = 1
    if parts[0] in {"assistance", "mpi"}:
        depth = 3 if parts[:2] == ["assistance", "dibao"] else 2
    return ".".join(parts[:depth])


def show_value(value: Any) -> str:
    if value is None:
        return _("no longer in force")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, float):
        text = f"{value:,.4f}".rstrip("0").rstrip(".")
        return text or "0"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def show_unit(unit: str) -> str:
    return str(UNITS.get(unit, unit))


@dataclass
class Row:
    path: str
    label_zh: str
    label_en: str
    unit: str
    raw_unit: str
    value: Any
    unconfirmed: bool
    pending: int = 0

    @property
    def shown_value(self) -> str:
        return show_value(self.value)


@dataclass
class Group:
    key: str
    label_zh: str
    label_en: str
    parent_zh: str
    parent_en: str
    rows: list[Row] = field(default_factory=list)

    @property
    def unconfirmed_count(self) -> int:
        return sum(1 for row in self.rows if row.unconfirmed)


@dataclass(frozen=True)
class Located:
    """A leaf parameter with the nodes above it (the root excluded)."""

    parameter: Parameter
    trail: tuple[Any, ...]

    @property
    def unit(self) -> str:
        for node in reversed(self.trail):
            unit = (node.metadata or {}).get("unit")
            if unit:
                return str(unit)
        return ""

    def label(self, group: str) -> tuple[str, str]:
        """The labels of the nodes below the group down to the leaf, joined."""
        depth = len(group.split("."))
        parts = [_labels(node) for node in self.trail[depth:]] or [_labels(self.trail[-1])]
        zh = " · ".join(p[0] for p in parts)
        en = " · ".join(p[1] for p in parts if p[1])
        return zh, en


def _leaves(node: ParameterNode, trail: tuple[Any, ...] = ()) -> list[Located]:
    found = []
    for child in node.children.values():
        if isinstance(child, ParameterNode):
            found.extend(_leaves(child, (*trail, child)))
        elif isinstance(child, Parameter):
            found.append(Located(child, (*trail, child)))
    return found


def _locate(path: str) -> Located:
    node: Any = system_in_force().parameters
    trail = []
    for part in path.split("."):
        children = getattr(node, "children", None)
        if not isinstance(children, dict) or part not in children:
            raise NotFound(_("There is no such parameter."))
        node = children[part]
        trail.append(node)
    if not isinstance(node, Parameter):
        raise NotFound(_("There is no such parameter."))
    return Located(node, tuple(trail))


def _pending_counts() -> Counter[str]:
    rows = ParameterChange.objects.filter(status=ChangeStatus.PROPOSED).values_list(
        "path", flat=True
    )
    return Counter(rows)


def _catalogue(on: dt.date) -> list[Group]:
    """Every leaf parameter with its value on `on`, grouped by programme in GROUP_ORDER."""
    parameters = system_in_force().parameters
    located = {item.parameter.name: item for item in _leaves(parameters)}
    pending = _pending_counts()
    groups: dict[str, Group] = {}
    for summary in parameter_list(on=on):
        item = located[summary.path]
        key = _group_of(summary.path)
        if key not in groups:
            depth = len(key.split("."))
            group_node = item.trail[depth - 1]
            parent = item.trail[depth - 2] if depth > 1 else None
            zh, en = _labels(group_node)
            parent_zh, parent_en = _labels(parent) if parent is not None else ("", "")
            groups[key] = Group(key, zh, en, parent_zh, parent_en)
        zh, en = item.label(key)
        groups[key].rows.append(
            Row(
                path=summary.path,
                label_zh=zh,
                label_en=en,
                unit=show_unit(item.unit),
                raw_unit=item.unit,
                value=summary.value_today,
                unconfirmed=summary.unconfirmed_today,
                pending=pending.get(summary.path, 0),
            )
        )
    order = {key: index for index, key in enumerate(GROUP_ORDER)}
    return sorted(groups.values(), key=lambda g: order.get(g.key, len(order)))


def _row(path: str, on: dt.date) -> tuple[Row, Located]:
    item = _locate(path)
    day = on.isoformat()
    current = next((v for v in item.parameter.values_list if v.instant_str <= day), None)
    metadata = (current.metadata if current is not None else None) or {}
    group = _group_of(path)
    zh, en = item.label(group)
    group_node = item.trail[len(group.split(".")) - 1]
    if group_node is not item.parameter:  # name the programme too: 最低生活保障标准 · 南湖区
        group_zh, group_en = _labels(group_node)
        zh = f"{group_zh} · {zh}"
        en = f"{group_en} · {en}" if group_en and en else en
    row = Row(
        path=path,
        label_zh=zh,
        label_en=en,
        unit=show_unit(item.unit),
        raw_unit=item.unit,
        value=current.value if current is not None else None,
        unconfirmed=bool(metadata.get("unconfirmed", False)),
    )
    return row, item


def _description(item: Located, row: Row) -> str:
    """The leaf's description, or its parent's when the leaf only names a county."""
    for node in reversed(item.trail):
        text = (node.description or "").strip()
        if text and text not in row.label_zh:
            return text
    return ""


def _value_help(row: Row, item: Located) -> str:
    current = next((v.value for v in item.parameter.values_list if v.value is not None), None)
    if isinstance(current, bool):
        return _("Enter yes or no.")
    if isinstance(current, int | float):
        if row.unit:
            return _("A number, in %(unit)s.") % {"unit": row.unit}
        return _("A number.")
    return _("Text, as in the current value.")


# Pages ---------------------------------------------------------------------------------------


@staff_view(perm=Perm.PARAMETERS_VIEW)
def parameter_index(request: HttpRequest) -> HttpResponse:
    """All parameters by programme, with today's value and whether it awaits the official one."""
    today = timezone.localdate()
    groups = _catalogue(today)
    total = sum(len(g.rows) for g in groups)
    unconfirmed = sum(g.unconfirmed_count for g in groups)
    pending = sum(row.pending for g in groups for row in g.rows)
    only_unconfirmed = request.GET.get("unconfirmed") == "1"
    if only_unconfirmed:
        for group in groups:
            group.rows = [row for row in group.rows if row.unconfirmed]
        groups = [group for group in groups if group.rows]
    return page(
        request,
        "assistance/parameters.html",
        {
            "groups": groups,
            "today": today,
            "total": total,
            "unconfirmed_total": unconfirmed,
            "pending_total": pending,
            "only_unconfirmed": only_unconfirmed,
            "english": _english(),
            "can_change": has_perm(actor_of(request), Perm.PARAMETERS_CHANGE),
        },
    )


@staff_view(perm=Perm.PARAMETERS_VIEW)
def parameter_detail(request: HttpRequest, parameter: str) -> HttpResponse:
    """A parameter's dated values (newest first), the changes entered here, and the form to
    propose the official figure (city administrators)."""
    actor = actor_of(request)
    today = timezone.localdate()
    row, item = _row(parameter, today)
    can_change = has_perm(actor, Perm.PARAMETERS_CHANGE)
    form = None
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionRefused(_("Only city administrators may change policy parameters."))
        form = ProposeForm(request.POST, value_help=_value_help(row, item))
        status = 422
        if form.is_valid():
            try:
                change = parameter_change_propose(
                    actor=actor,
                    path=parameter,
                    start=form.cleaned_data["start"],
                    value=form.cleaned_data["value"],
                    source_document=form.cleaned_data["source_document"],
                    note=form.cleaned_data["note"],
                )
            except ValidationFailed as error:
                name = error.field if error.field in form.fields else None
                form.add_error(name, error.message)
            else:
                messages.success(
                    request,
                    _("The proposal was recorded. Check its effect below, then confirm it."),
                )
                return redirect("assistance:change", change_id=change.pk)
    elif can_change:
        form = ProposeForm(value_help=_value_help(row, item))
    notes = {
        v.instant_str: str((v.metadata or {}).get("source_note", ""))
        for v in item.parameter.values_list
    }
    entries = parameter_history(path=parameter)
    history = [
        {"entry": entry, "value": show_value(entry.value), "note": notes.get(entry.start, "")}
        for entry in entries
    ]
    in_force = next((e.start for e in entries if e.start <= today.isoformat()), "")
    changes = list(
        ParameterChange.objects.filter(path=parameter)
        .select_related("proposed_by", "decided_by")
        .order_by("-proposed_at", "-id")
    )
    for change in changes:
        change.shown_value = show_value(change.value)  # type: ignore[attr-defined]
    return page(
        request,
        "assistance/parameter.html",
        {
            "row": row,
            "description": _description(item, row),
            "history": history,
            "in_force_start": in_force,
            "waiting": [c for c in changes if c.status == ChangeStatus.PROPOSED],
            "changes": changes,
            "form": form,
            "can_change": can_change,
            "english": _english(),
        },
        status=status,
    )


def _change_get(change_id: int) -> ParameterChange:
    change = (
        ParameterChange.objects.select_related("proposed_by", "decided_by")
        .filter(pk=change_id)
        .first()
    )
    if change is None:
        raise NotFound(_("There is no such parameter change."))
    return change


def _preview_token(change: ParameterChange) -> str:
    return signing.dumps(
        {"change": change.pk, "start": change.start.isoformat(), "value": change.value},
        salt=PREVIEW_SALT,
    )


def _preview_seen(request: HttpRequest, change: ParameterChange) -> bool:
    try:
        seen = signing.loads(
            request.POST.get("preview", ""), salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE
        )
    except signing.BadSignature:
        return False
    return seen == {"change": change.pk, "start": change.start.isoformat(), "value": change.value}


@dataclass
class CountyLine:
    code: str
    name: str
    households: int
    flows: list[Any]
    cost_before: float
    cost_after: float
    cost_change: float


@staff_view(perm=Perm.PARAMETERS_VIEW)
def change_detail(request: HttpRequest, change_id: int) -> HttpResponse:
    """A proposed change and, for city administrators, its what-if preview and the buttons."""
    actor = actor_of(request)
    change = _change_get(change_id)
    change.shown_value = show_value(change.value)  # type: ignore[attr-defined]
    row, _item = _row(change.path, change.start)
    can_change = has_perm(actor, Perm.PARAMETERS_CHANGE)
    context: dict[str, Any] = {
        "change": change,
        "row": row,
        "can_change": can_change,
        "english": _english(),
        "withdraw_form": WithdrawForm() if can_change else None,
        "programmes": [PROGRAMME_LABELS.get(p, p) for p in PROGRAMMES],
    }
    if can_change and change.status == ChangeStatus.PROPOSED:
        result = whatif_preview(actor=actor, change=change)
        households_url = reverse("assistance:change_households", args=[change.pk])
        lines = [
            CountyLine(
                code=county.county,
                name=county.name,
                households=county.households,
                flows=[
                    _flow_cell(
                        households_url,
                        programme,
                        county.programmes[programme].entering,
                        county.programmes[programme].leaving,
                        county=county.county,
                    )
                    for programme in PROGRAMMES
                ],
                cost_before=county.cost_before,
                cost_after=county.cost_after,
                cost_change=county.cost_change,
            )
            for county in result.counties
        ]
        totals = {
            "households": sum(line.households for line in lines),
            "flows": [
                _flow_cell(households_url, p, result.entering(p), result.leaving(p))
                for p in PROGRAMMES
            ],
            "cost_before": round(sum(line.cost_before for line in lines), 2),
            "cost_after": round(sum(line.cost_after for line in lines), 2),
            "cost_change": result.cost_change,
        }
        context.update(
            {
                "result": result,
                "lines": lines,
                "totals": totals,
                "dibao_entering": result.entering("dibao"),
                "dibao_leaving": result.leaving("dibao"),
                "preview_token": _preview_token(change),
                "households_url": households_url,
            }
        )
    return page(request, "assistance/change.html", context)


def _flow_cell(
    households_url: str, programme: str, entering: int, leaving: int, *, county: str = ""
) -> dict[str, Any]:
    """One cell of the flow table: the counts, each linking to its households."""

    def link(direction: str) -> str:
        query = {"county": county, "programme": programme, "direction": direction}
        return f"{households_url}?{urlencode({k: v for k, v in query.items() if v})}"

    return {
        "entering": entering,
        "leaving": leaving,
        "entering_url": link(ENTERING),
        "leaving_url": link(LEAVING),
    }


def _previewed_change(request: HttpRequest, change_id: int) -> tuple[ParameterChange, WhatIfResult]:
    """A proposed change and its (cached) what-if result; other changes have no preview."""
    change = _change_get(change_id)
    if change.status != ChangeStatus.PROPOSED:
        raise NotFound(_("Only a proposed change has a what-if preview."))
    return change, whatif_preview(actor=actor_of(request), change=change)


def _affected(
    request: HttpRequest, result: WhatIfResult
) -> tuple[AffectedFilterForm, AffectedHouseholds | None]:
    """The filter form of the list and the households it selects (None for a bad filter)."""
    form = AffectedFilterForm(
        request.GET,
        counties=[(county.county, county.name) for county in result.counties],
        programmes=[(p, PROGRAMME_LABELS.get(p, p)) for p in PROGRAMMES],
    )
    if not form.is_valid():
        return form, None
    try:
        affected = affected_households(
            actor=actor_of(request),
            result=result,
            county=form.cleaned_data["county"],
            programme=form.cleaned_data["programme"],
            direction=form.cleaned_data["direction"],
        )
    except ValidationFailed as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return form, None
    return form, affected


@staff_view(perm=Perm.PARAMETERS_CHANGE)
def change_households(request: HttpRequest, change_id: int) -> HttpResponse:
    """The households entering and leaving each programme under a proposed change, by county,
    programme and direction, 50 a page; names masked. City administrators, in their regions."""
    change, result = _previewed_change(request, change_id)
    change.shown_value = show_value(change.value)  # type: ignore[attr-defined]
    row, _item = _row(change.path, change.start)
    form, affected = _affected(request, result)
    page_obj = None
    if affected is not None:
        page_obj = Paginator(affected, AFFECTED_PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {
        name: form.cleaned_data.get(name, "") if affected is not None else ""
        for name in ("county", "programme", "direction")
    }
    download = reverse("assistance:change_households_xlsx", args=[change.pk])
    query = urlencode({k: v for k, v in filters.items() if v})
    return page(
        request,
        "assistance/change_households.html",
        {
            "change": change,
            "row": row,
            "result": result,
            "form": form,
            "page_obj": page_obj,
            "page_rows": [
                (item, PROGRAMME_LABELS.get(item.programme, item.programme))
                for item in (page_obj or [])
            ],
            "affected": affected,
            "download_url": f"{download}?{query}" if query else download,
            "english": _english(),
        },
        status=200 if affected is not None else 422,
    )


AFFECTED_COLUMNS = (
    (gettext_lazy("Household"), 10),
    (gettext_lazy("County"), 12),
    (gettext_lazy("Town"), 14),
    (gettext_lazy("Village"), 16),
    (gettext_lazy("Head of household"), 12),
    (gettext_lazy("Members"), 8),
    (gettext_lazy("Programme"), 14),
    (gettext_lazy("Direction"), 8),
    (gettext_lazy("Programme amount before"), 14),
    (gettext_lazy("Programme amount after"), 14),
    (gettext_lazy("Total assistance before"), 14),
    (gettext_lazy("Total assistance after"), 14),
    (gettext_lazy("Monthly change"), 12),
)
DIRECTION_LABELS = {ENTERING: gettext_lazy("Entering"), LEAVING: gettext_lazy("Leaving")}


def affected_xlsx(affected: AffectedHouseholds, *, title: str) -> bytes:
    """The list as an Excel workbook: one row per household and programme, names masked and
    no ID numbers; amounts in yuan per month."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Households affected"))[:31])
    for index, (_label, width) in enumerate(AFFECTED_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    sheet.append([title])
    header = []
    for label, _width in AFFECTED_COLUMNS:
        cell = WriteOnlyCell(sheet, value=str(label))
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        header.append(cell)
    sheet.append(header)
    for item in affected:
        sheet.append(
            [
                item.household_id,
                item.county_name,
                item.town,
                item.village,
                item.head_name,
                item.size,
                str(PROGRAMME_LABELS.get(item.programme, item.programme)),
                str(DIRECTION_LABELS[item.direction]),
                item.amount_before,
                item.amount_after,
                item.cost_before,
                item.cost_after,
                item.cost_change,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@staff_view(perm=Perm.PARAMETERS_CHANGE)
def change_households_xlsx(request: HttpRequest, change_id: int) -> HttpResponse:
    """The same list as an Excel download (every page), names masked, no ID numbers."""
    change, result = _previewed_change(request, change_id)
    _form, affected = _affected(request, result)
    if affected is None:
        raise ValidationFailed(_("The filter of the list is not valid."))
    row, _item = _row(change.path, change.start)
    title = _("%(parameter)s → %(value)s from %(start)s: households affected (%(period)s)") % {
        "parameter": row.label_zh,
        "value": show_value(change.value),
        "start": change.start.isoformat(),
        "period": result.period,
    }
    response = HttpResponse(
        affected_xlsx(affected, title=title),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="change-{change.pk}-households-{result.period}.xlsx"'
    )
    return response


@require_POST
@staff_view(perm=Perm.PARAMETERS_CHANGE)
def change_confirm(request: HttpRequest, change_id: int) -> HttpResponse:
    """Put the change in force; only from the preview page, for the value previewed."""
    actor = actor_of(request)
    change = _change_get(change_id)
    if not _preview_seen(request, change):
        messages.error(request, _("Look at the preview of this change before confirming it."))
        return redirect("assistance:change", change_id=change.pk)
    try:
        change = parameter_change_confirm(actor=actor, change=change)
    except (Conflict, ValidationFailed) as error:
        messages.error(request, error.message)
        return redirect("assistance:change", change_id=change.pk)
    # Recalculate every enrolment once the change is in force (reviews; dynamic management).
    standard_change_recalculate_enqueue(change=change)
    messages.success(
        request,
        _("The new value is in force from %(start)s.") % {"start": change.start.isoformat()},
    )
    return redirect("assistance:parameter", parameter=change.path)


@require_POST
@staff_view(perm=Perm.PARAMETERS_CHANGE)
def change_withdraw(request: HttpRequest, change_id: int) -> HttpResponse:
    actor = actor_of(request)
    change = _change_get(change_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for withdrawing the change."))
        return redirect("assistance:change", change_id=change.pk)
    try:
        parameter_change_withdraw(actor=actor, change=change, reason=form.cleaned_data["reason"])
    except (Conflict, ValidationFailed) as error:
        messages.error(request, error.message)
        return redirect("assistance:change", change_id=change.pk)
    messages.info(request, _("The change was withdrawn."))
    return redirect("assistance:parameter", parameter=change.path)
