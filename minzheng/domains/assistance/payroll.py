"""The assistance programmes as entitlement sources of the payments kernel's monthly payroll.

One source per programme that pays cash every month (dibao, tekun). The marginal family
(低保边缘家庭) gets special assistance but no monthly cash, so it has no source. A source
reads the county's payable enrolments of the month with one query (the selector
``enrolments_payable`` honours the start month, suspension, the stop and the graduated-exit
end month) and the heads' active payee accounts with a second one, into numpy arrays.
Enrolments whose head has no active account get account 0: the kernel rejects those rows
and reports them as rejected in the batch result.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from minzheng.domains.assistance.selectors.casework import enrolments_payable
from minzheng.kernel.payments.entitlements import Entitlements
from minzheng.kernel.payments.jobs import EntitlementSource, register_entitlement_source
from minzheng.kernel.payments.models import AccountStatus, BeneficiaryKind, PayeeAccount
from minzheng.kernel.people.models import Membership, Relation

# Programme code → the programme's name on the bank file.
MONTHLY_PROGRAMMES: dict[str, str] = {
    "dibao": "最低生活保障金",
    "tekun": "特困人员供养金",
}
NO_ACCOUNT = 0


def head_accounts(household_ids: np.ndarray) -> np.ndarray:
    """Each household's head's active payee account id (0 when none), aligned to the input."""
    if not len(household_ids):
        return np.zeros(0, dtype=np.int64)
    ids = household_ids.tolist()
    heads = dict(
        Membership.objects.filter(
            household_id__in=ids, relation=Relation.HEAD, end_date__isnull=True
        ).values_list("household_id", "person_id")
    )
    # Ascending ids: the newest active account of a person wins in the dict.
    accounts = dict(
        PayeeAccount.objects.filter(person_id__in=list(heads.values()), status=AccountStatus.ACTIVE)
        .order_by("id")
        .values_list("person_id", "id")
    )
    return np.fromiter(
        (accounts.get(heads.get(h, NO_ACCOUNT), NO_ACCOUNT) for h in ids),
        dtype=np.int64,
        count=len(ids),
    )


def enrolment_columns(
    *, county: str, month: dt.date, programme: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(household ids, amounts in fen, members covered, region ids) of the month's payable
    enrolments of a programme in a county, ordered by enrolment."""
    rows = list(
        enrolments_payable(month=month, county=county, programme=programme).values_list(
            "household_id", "monthly_amount", "covered_count", "region_id"
        )
    )
    n = len(rows)
    households = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    amounts = np.fromiter((int(r[1] * 100) for r in rows), dtype=np.int64, count=n)
    members = np.fromiter((r[2] for r in rows), dtype=np.int16, count=n)
    regions = np.fromiter((r[3] for r in rows), dtype=np.int64, count=n)
    return households, amounts, members, regions


def monthly_entitlements(programme: str, county: str, month: dt.date) -> Entitlements:
    """The month's entitlements of ``programme`` in ``county``: one row per enrolled household."""
    households, amounts, members, regions = enrolment_columns(
        county=county, month=month.replace(day=1), programme=programme
    )
    paying = amounts > 0
    households, amounts, members, regions = (
        households[paying],
        amounts[paying],
        members[paying],
        regions[paying],
    )
    return Entitlements(
        beneficiary_ids=households,
        payee_account_ids=head_accounts(households),
        amounts_fen=amounts,
        members=members,
        region_ids=regions,
        beneficiary_kind=BeneficiaryKind.HOUSEHOLD,
    )


def _source(programme: str, label: str) -> EntitlementSource:
    return EntitlementSource(
        programme=programme,
        label=label,
        entitlements=lambda county, month: monthly_entitlements(programme, county, month),
    )


def register_sources() -> None:
    """Register every monthly assistance programme with the payroll (idempotent)."""
    for programme, label in MONTHLY_PROGRAMMES.items():
        register_entitlement_source(_source(programme, label))


register_sources()
