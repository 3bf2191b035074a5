"""Reads of the parameters in force: the YAML baseline with confirmed database changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Max
from django.utils import timezone

from minzheng.kernel.parameters.models import ChangeStatus, ParameterChange
from minzheng.kernel.parameters.overlay import DatedValue, leaf, leaves, system_with
from minzheng.rules import JiaxingTaxBenefitSystem, tax_benefit_system

_cache: dict[str, Any] = {"key": None, "system": None}


def confirmed_values() -> list[DatedValue]:
    return [
        DatedValue(c.path, c.start, c.value, c.source_document)
        for c in ParameterChange.objects.filter(status=ChangeStatus.CONFIRMED).order_by("id")
    ]


def system_in_force() -> JiaxingTaxBenefitSystem:
    """The rules with every confirmed change applied; rebuilt only when changes change."""
    stamp = ParameterChange.objects.aggregate(last=Max("decided_at"), n=Max("id"))
    key = (stamp["last"], stamp["n"])
    if _cache["key"] != key or _cache["system"] is None:
        _cache["system"] = system_with(confirmed_values())
        _cache["key"] = key
    return _cache["system"]


def system_with_proposal(change: ParameterChange) -> JiaxingTaxBenefitSystem:
    """What the rules would be if `change` were confirmed (for the what-if preview)."""
    values = [v for v in confirmed_values() if (v.path, v.start) != (change.path, change.start)]
    values.append(DatedValue(change.path, change.start, change.value, change.source_document))
    return system_with(values)


@dataclass(frozen=True)
class HistoryEntry:
    start: str
    value: Any
    reference: str
    unconfirmed: bool
    from_database: bool


@dataclass(frozen=True)
class ParameterSummary:
    path: str
    description: str
    value_today: Any
    unconfirmed_today: bool
    unit: str


def parameter_history(*, path: str) -> list[HistoryEntry]:
    """Every dated value in force for `path`, newest first, with its source."""
    parameter = leaf(system_in_force().parameters, path)
    return [
        HistoryEntry(
            start=v.instant_str,
            value=v.value,
            reference=str((v.metadata or {}).get("reference", "")),
            unconfirmed=bool((v.metadata or {}).get("unconfirmed", False)),
            from_database=(v.metadata or {}).get("source") == "database",
        )
        for v in parameter.values_list
    ]


def parameter_list(*, on: dt.date | None = None) -> list[ParameterSummary]:
    """Every leaf parameter with its value on `on` and whether that value is unconfirmed."""
    on = on or timezone.localdate()
    day = on.isoformat()
    summaries = []
    for parameter in leaves(system_in_force().parameters):
        current = next((v for v in parameter.values_list if v.instant_str <= day), None)
        metadata = (current.metadata if current is not None else None) or {}
        summaries.append(
            ParameterSummary(
                path=parameter.name,
                description=parameter.description or "",
                value_today=current.value if current is not None else None,
                unconfirmed_today=bool(metadata.get("unconfirmed", False)),
                unit=str((parameter.metadata or {}).get("unit", "")),
            )
        )
    return summaries


def baseline_system() -> JiaxingTaxBenefitSystem:
    return tax_benefit_system()
