"""Payee accounts and entitlements for the payments tests, built through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from minzheng.kernel.accounts.models import Role, User
from minzheng.kernel.accounts.services import staff_create
from minzheng.kernel.payments.entitlements import EntitlementQuery, Entitlements
from minzheng.kernel.payments.models import PayeeAccount
from minzheng.kernel.payments.services import payee_account_create
from minzheng.testing.world import NANHU, PASSWORD, World

PROGRAMME = "dibao"
LABEL = "最低生活保障金"
BANK_CODE = "102335000011"
MONTH = dt.date(2026, 12, 1)


def account_number(seq: int) -> str:
    return f"62220200{seq:011d}"


def open_account(person, seq: int) -> PayeeAccount:  # type: ignore[no-untyped-def]
    return payee_account_create(
        actor=None,
        person=person,
        bank_name="中国工商银行嘉兴分行",
        bank_code=BANK_CODE,
        account_number=account_number(seq),
    )


@dataclass
class Payroll:
    """The Xinjia family's three members as payees of three (synthetic) beneficiaries."""

    accounts: list[PayeeAccount]
    beneficiaries: list[int]
    second_approver: User

    def entitlements(
        self, amounts: tuple[str, ...] = ("500.00", "650.50", "720.00"), *, upto: int = 3
    ) -> Entitlements:
        return Entitlements.from_rows(
            (b, a.pk, amount, 2, a.person.residence_region_id)
            for b, a, amount in list(zip(self.beneficiaries, self.accounts, amounts, strict=True))[
                :upto
            ]
        )


def payroll(world: World) -> Payroll:
    members = world.families["xinjia"].members
    accounts = [open_account(person, 100 + i) for i, person in enumerate(members)]
    second = staff_create(
        actor=None,
        username="approver2_nanhu",
        full_name="冯复核",
        password=PASSWORD,
        grants=[(Role.COUNTY_APPROVER, world.regions[NANHU])],
    )
    return Payroll(accounts=accounts, beneficiaries=[9001, 9002, 9003], second_approver=second)


def as_query(entitlements: Entitlements) -> EntitlementQuery:
    """The same rows as an ``EntitlementQuery``: a SELECT of literal parameters (UNION ALL),
    as a domain's source gives the monthly payroll its queryset's SQL."""
    rows = list(
        zip(
            entitlements.beneficiary_ids.tolist(),
            entitlements.payee_account_ids.tolist(),
            entitlements.amounts_fen.tolist(),
            entitlements.members.tolist(),
            entitlements.region_ids.tolist(),
            strict=True,
        )
    )
    if not rows:
        return EntitlementQuery(sql="SELECT 0, 0, 0, 0, 0 WHERE 1 = 0", params=())
    sql = " UNION ALL ".join(["SELECT %s, %s, %s, %s, %s"] * len(rows))
    return EntitlementQuery(sql=sql, params=tuple(value for row in rows for value in row))
