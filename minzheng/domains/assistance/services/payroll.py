"""Back pay (补发) of assistance enrolments after a retroactive change of the rules.

For a county and a range of past months, each payable enrolment's monthly amount is computed
again with the rules in force (the bulk bridge: per month, the county's payable enrolments,
then one ``read_population`` of their households only and one ``evaluate``, never one
assessment per household; households of the county without a payable enrolment are neither
read nor evaluated) and the amounts due are handed to the payments kernel, which pays
positive differences as back-pay lines and records negative ones as overpayments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from minzheng.common.errors import ValidationFailed
from minzheng.domains.assistance.determination import (
    OutputArrays,
    evaluate,
    lookback_months,
    read_population,
)
from minzheng.domains.assistance.payroll import (
    MONTHLY_PROGRAMMES,
    enrolment_accounts,
    enrolment_columns,
)
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.payments.entitlements import Entitlements, month_index
from minzheng.kernel.payments.models import BeneficiaryKind
from minzheng.kernel.payments.services import GenerationResult, payment_back_pay_generate

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

__all__ = ["BackPayResult", "enrolment_back_pay", "enrolment_due_amounts", "months_between"]

# How the rules' batch outputs give a programme's monthly cash of a household, in yuan: the
# same figures the approval takes from the single-household assessment.
PROGRAMME_AMOUNTS: dict[str, Callable[[OutputArrays], np.ndarray]] = {
    "dibao": lambda out: out.h("dibao_top_up"),
    "tekun": lambda out: out.total("tekun_amount"),
}


@dataclass(frozen=True)
class BackPayResult:
    generation: GenerationResult
    overpayments: int
    due_rows: int  # (enrolment, month) pairs compared with what was paid
    not_assessed: int  # pairs left alone: the household had no members living together


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of the months from ``first`` to ``last`` inclusive."""
    start, end = month_index(first), month_index(last)
    return [dt.date(2000 + i // 12, i % 12 + 1, 1) for i in range(start, end + 1)]


def _to_fen(yuan: np.ndarray) -> np.ndarray:
    return np.rint(np.round(np.asarray(yuan, dtype=np.float64), 2) * 100).astype(np.int64)


def enrolment_due_amounts(
    *, programme: str, county: str, month: dt.date, system: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The month's payable enrolments with the amount the rules ``system`` gives each.

    Reads the month's payable enrolments first, then only their households (their members
    living together, their members' income and asset records) through the determination's
    county reader with its household filter, and evaluates these with the rules once; the
    county's other households are not read. A month without payable enrolments reads nothing.

    Returns (household ids, amounts due in fen, members covered, region ids, assessed mask);
    a household without members living together that month is not assessed (mask False).
    """
    month = month.replace(day=1)
    households, _paid, members, regions = enrolment_columns(
        county=county, month=month, programme=programme
    )
    due = np.zeros(len(households), dtype=np.int64)
    assessed = np.zeros(len(households), dtype=bool)
    if not len(households):
        return households, due, members, regions, assessed
    population = read_population(
        county, month, lookback_months=lookback_months(system, month), households=households
    )
    outputs = evaluate(population, system=system)
    amounts = _to_fen(PROGRAMME_AMOUNTS[programme](outputs))
    position = np.searchsorted(population.household_ids, households)
    position = np.minimum(position, max(population.household_count - 1, 0))
    if population.household_count:
        assessed = population.household_ids[position] == households
        due = np.where(assessed, amounts[position], 0)
    return households, due, members, regions, assessed


def enrolment_back_pay(
    *,
    actor: User | None,
    county: str,
    first_month: dt.date,
    last_month: dt.date,
    pay_month: dt.date,
    programme: str = "dibao",
) -> BackPayResult:
    """Pay the differences between the rules in force and what was paid, for past months.

    Steps:
    1. for every month from ``first_month`` to ``last_month``: the county's payable
       enrolments and, from one read and one batch evaluation of their households (only
       those), each one's amount due;
    2. the heads' active payee accounts, read once per household for all the months (a
       household without one is rejected by the kernel);
    3. the kernel's back pay: back-pay lines in ``pay_month`` for positive differences,
       overpayments for negative ones. A repeated run pays nothing twice.
    """
    from minzheng.kernel.parameters.selectors import system_in_force

    if programme not in PROGRAMME_AMOUNTS or programme not in MONTHLY_PROGRAMMES:
        raise ValidationFailed(
            _("Programme %(programme)s is not paid monthly.") % {"programme": programme},
            field="programme",
        )
    first, last, pay = (
        first_month.replace(day=1),
        last_month.replace(day=1),
        pay_month.replace(day=1),
    )
    if first > last:
        raise ValidationFailed(_("The first month comes after the last."), field="first_month")
    if last >= pay:
        raise ValidationFailed(
            _("Back pay is for months before the month paid."), field="last_month"
        )
    system = system_in_force()
    columns: list[tuple[np.ndarray, ...]] = []
    not_assessed = 0
    for month in months_between(first, last):
        households, due, members, regions, assessed = enrolment_due_amounts(
            programme=programme, county=county, month=month, system=system
        )
        not_assessed += int((~assessed).sum())
        picked = assessed
        columns.append(
            (
                households[picked],
                due[picked],
                members[picked],
                regions[picked],
                np.full(int(picked.sum()), month_index(month), dtype=np.int32),
            )
        )
    households = np.concatenate([c[0] for c in columns])
    # One look-up per household, not per (household, month) row: its enrolment's payee.
    distinct, row_of = np.unique(households, return_inverse=True)
    due_all = Entitlements(
        beneficiary_ids=households,
        payee_account_ids=enrolment_accounts(programme, distinct)[row_of],
        amounts_fen=np.concatenate([c[1] for c in columns]),
        members=np.concatenate([c[2] for c in columns]).astype(np.int16),
        region_ids=np.concatenate([c[3] for c in columns]),
        beneficiary_kind=BeneficiaryKind.HOUSEHOLD,
        for_months=np.concatenate([c[4] for c in columns]).astype(np.int32),
    )
    with transaction.atomic():
        generation, overpayments = payment_back_pay_generate(
            actor=actor,
            programme=programme,
            county=county,
            month=pay,
            due=due_all,
            label=MONTHLY_PROGRAMMES[programme],
        )
        audit_record(
            actor=actor,
            action="assistance.back_pay.generate",
            object_type="assistance.enrolment",
            region_code=county,
            changes={
                "programme": programme,
                "first_month": first.isoformat(),
                "last_month": last.isoformat(),
                "pay_month": pay.isoformat(),
                "due_rows": len(due_all),
                "back_pay_lines": generation.inserted,
                "rejected": generation.rejected,
                "overpayments": overpayments,
                "not_assessed": not_assessed,
            },
        )
    return BackPayResult(
        generation=generation,
        overpayments=overpayments,
        due_rows=len(due_all),
        not_assessed=not_assessed,
    )
