"""What a domain hands the payments kernel: a month's entitlements as columns (numpy arrays),
or, for the monthly payroll, as a query the database runs itself (``EntitlementQuery``).

Amounts are integer fen (分), so no float ever touches money. One row per beneficiary (and,
for back pay, per month made up). The kernel never imports a domain: a domain registers an
entitlement source per programme (see jobs.py) or passes arrays to the services directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from minzheng.kernel.payments.models import BeneficiaryKind


def to_fen(amount: Decimal | int | str) -> int:
    """Exact yuan → fen; refuses fractions of a fen."""
    value = Decimal(amount) * 100
    if value != value.to_integral_value():
        raise ValueError(f"{amount} has fractions of a fen")
    return int(value)


def month_index(month: dt.date) -> int:
    """Months since 2000-01 (a compact integer key for a month)."""
    return (month.year - 2000) * 12 + month.month - 1


def month_of_index(index: int) -> dt.date:
    year, month = divmod(int(index), 12)
    return dt.date(2000 + year, month + 1, 1)


@dataclass(frozen=True)
class Entitlements:
    """Columns of equal length. ``for_months`` (month indexes) only for back pay."""

    beneficiary_ids: np.ndarray  # int64
    payee_account_ids: np.ndarray  # int64
    amounts_fen: np.ndarray  # int64
    members: np.ndarray  # int16
    region_ids: np.ndarray  # int64
    beneficiary_kind: str = BeneficiaryKind.HOUSEHOLD
    for_months: np.ndarray | None = None  # int32 month indexes

    def __post_init__(self) -> None:
        n = len(self.beneficiary_ids)
        columns = [self.payee_account_ids, self.amounts_fen, self.members, self.region_ids]
        if self.for_months is not None:
            columns.append(self.for_months)
        if any(len(column) != n for column in columns):
            raise ValueError("entitlement columns differ in length")
        if self.beneficiary_kind not in BeneficiaryKind.values:
            raise ValueError(f"unknown beneficiary kind {self.beneficiary_kind}")

    def __len__(self) -> int:
        return len(self.beneficiary_ids)

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[Sequence[object]],
        *,
        beneficiary_kind: str = BeneficiaryKind.HOUSEHOLD,
    ) -> Entitlements:
        """From (beneficiary id, payee account id, amount in yuan, members, region id[, month])
        tuples: a convenience for small callers and tests."""
        rows = list(rows)
        with_month = bool(rows) and len(rows[0]) == 6
        return cls(
            beneficiary_ids=np.array([r[0] for r in rows], dtype=np.int64),
            payee_account_ids=np.array([r[1] for r in rows], dtype=np.int64),
            amounts_fen=np.array([to_fen(r[2]) for r in rows], dtype=np.int64),  # type: ignore[arg-type]
            members=np.array([r[3] for r in rows], dtype=np.int16),
            region_ids=np.array([r[4] for r in rows], dtype=np.int64),
            beneficiary_kind=beneficiary_kind,
            for_months=(
                np.array([month_index(r[5]) for r in rows], dtype=np.int32)  # type: ignore[arg-type]
                if with_month
                else None
            ),
        )

    @classmethod
    def empty(cls, *, beneficiary_kind: str = BeneficiaryKind.HOUSEHOLD) -> Entitlements:
        return cls.from_rows([], beneficiary_kind=beneficiary_kind)

    def take(self, picked: np.ndarray) -> Entitlements:
        """The rows at ``picked`` (indexes or a boolean mask)."""
        return Entitlements(
            beneficiary_ids=self.beneficiary_ids[picked],
            payee_account_ids=self.payee_account_ids[picked],
            amounts_fen=self.amounts_fen[picked],
            members=self.members[picked],
            region_ids=self.region_ids[picked],
            beneficiary_kind=self.beneficiary_kind,
            for_months=None if self.for_months is None else self.for_months[picked],
        )


@dataclass(frozen=True)
class EntitlementQuery:
    """A month's entitlements as a SELECT that the payments writer runs inside the database
    (``INSERT INTO`` its staging table ``… SELECT``), so that no row passes through Python.

    Its columns, in this order: beneficiary id, payee account id (0 when none), amount in
    fen (an integer, > 0), members, region id; one row per beneficiary. ``sql`` takes
    ``params`` the way ``cursor.execute`` does (``%s`` placeholders), e.g. from
    ``QuerySet.query.sql_with_params()``.
    """

    sql: str
    params: tuple[Any, ...]
    beneficiary_kind: str = BeneficiaryKind.HOUSEHOLD

    def __post_init__(self) -> None:
        if self.beneficiary_kind not in BeneficiaryKind.values:
            raise ValueError(f"unknown beneficiary kind {self.beneficiary_kind}")
