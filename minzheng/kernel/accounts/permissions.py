"""Kernel permissions and what each role holds.

A permission applies inside the regions of the grants that give it: a town clerk of
新嘉街道 may change persons of 新嘉街道 and nothing of 王店镇.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from minzheng.kernel.accounts.models import Role, UserKind

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.regions.models import Region


class Perm(StrEnum):
    PEOPLE_VIEW = "people.view"
    PEOPLE_CHANGE = "people.change"
    PEOPLE_REVEAL = "people.reveal_id_number"
    REGIONS_CHANGE = "regions.change"
    AUDIT_VIEW = "audit.view"
    JOBS_VIEW = "jobs.view"
    JOBS_RUN = "jobs.run"
    ACCOUNTS_MANAGE = "accounts.manage"
    VERIFICATION_IMPORT = "verification.import"
    VERIFICATION_VIEW = "verification.view"
    VERIFICATION_REPORT = "verification.report"
    PARAMETERS_VIEW = "parameters.view"
    PARAMETERS_CHANGE = "parameters.change"
    CALENDAR_CHANGE = "workflow.calendar_change"
    # Social-assistance casework (docs/user/casework.md).
    ASSISTANCE_VIEW = "assistance.view"
    ASSISTANCE_FILE = "assistance.file"  # file an application (counter, discovered case)
    ASSISTANCE_PROCESS = "assistance.process"  # accept, investigate, verify, review, notice
    ASSISTANCE_APPROVE = "assistance.approve"  # county-level approval or refusal
    ASSISTANCE_APPROVE_DELEGATED = "assistance.approve_delegated"  # programmes delegated to towns
    ASSISTANCE_EXTRA_REVIEW = "assistance.extra_review"  # conflict-of-interest extra review
    ASSISTANCE_RELATIVES = "assistance.relatives"  # keep the close-relatives register
    PAYMENTS_VIEW = "payments.view"
    PAYMENTS_PAYEE_CHANGE = "payments.change_payee_account"
    PAYMENTS_PAYEE_REVEAL = "payments.reveal_account_number"
    PAYMENTS_PREPARE = "payments.prepare"
    PAYMENTS_APPROVE = "payments.approve"
    PAYMENTS_EXPORT = "payments.export_bank_file"


_FRONTLINE = {Perm.PEOPLE_VIEW, Perm.JOBS_VIEW, Perm.PARAMETERS_VIEW}
# Household verification: town clerks and up read and create reports; imports are county+.
_VERIFY = {Perm.VERIFICATION_VIEW, Perm.VERIFICATION_REPORT}
# Casework: frontline workers file discovered cases; the town clerk processes and prepares;
# the county approver decides (the town reviewer only for programmes delegated to towns).
_CASE_VIEW = {Perm.ASSISTANCE_VIEW}
_CASE_FILE = _CASE_VIEW | {Perm.ASSISTANCE_FILE}
_CASE_TOWN = _CASE_FILE | {Perm.ASSISTANCE_PROCESS, Perm.ASSISTANCE_RELATIVES}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.VILLAGE_WORKER: frozenset(_FRONTLINE | _CASE_FILE),
    Role.GRID_WORKER: frozenset(_FRONTLINE | _CASE_FILE),
    Role.TOWN_CLERK: frozenset(
        _FRONTLINE | _VERIFY | _CASE_TOWN | {Perm.PEOPLE_CHANGE, Perm.PEOPLE_REVEAL}
    ),
    Role.TOWN_REVIEWER: frozenset(
        _FRONTLINE
        | _VERIFY
        | _CASE_TOWN
        | {Perm.PEOPLE_REVEAL, Perm.ASSISTANCE_APPROVE_DELEGATED, Perm.ASSISTANCE_EXTRA_REVIEW}
    ),
    Role.COUNTY_APPROVER: frozenset(
        _FRONTLINE
        | _VERIFY
        | _CASE_VIEW
        | {Perm.PEOPLE_REVEAL, Perm.JOBS_RUN, Perm.VERIFICATION_IMPORT}
        | {Perm.ASSISTANCE_APPROVE, Perm.ASSISTANCE_EXTRA_REVIEW, Perm.ASSISTANCE_RELATIVES}
    ),
    Role.CITY_ADMIN: frozenset(
        _FRONTLINE
        | _VERIFY
        | {Perm.PEOPLE_CHANGE, Perm.PEOPLE_REVEAL, Perm.REGIONS_CHANGE, Perm.JOBS_RUN}
        | {Perm.VERIFICATION_IMPORT, Perm.PARAMETERS_CHANGE}
        | _CASE_VIEW
        | {Perm.CALENDAR_CHANGE, Perm.ASSISTANCE_RELATIVES}
    ),
    Role.AUDITOR: frozenset(
        {
            Perm.PEOPLE_VIEW,
            Perm.AUDIT_VIEW,
            Perm.JOBS_VIEW,
            Perm.VERIFICATION_VIEW,
            Perm.PARAMETERS_VIEW,
            Perm.ASSISTANCE_VIEW,
        }
    ),
    Role.SYSTEM_ADMIN: frozenset(
        {Perm.ACCOUNTS_MANAGE, Perm.AUDIT_VIEW, Perm.JOBS_VIEW, Perm.JOBS_RUN, Perm.REGIONS_CHANGE}
    ),
}

# Payments: town clerks record payee accounts; county approvers and the city prepare, approve
# (never their own batch: maker-checker is checked by the service) and export bank files.
_PAYEES = {Perm.PAYMENTS_VIEW, Perm.PAYMENTS_PAYEE_CHANGE, Perm.PAYMENTS_PAYEE_REVEAL}
_PAYROLL = _PAYEES | {Perm.PAYMENTS_PREPARE, Perm.PAYMENTS_APPROVE, Perm.PAYMENTS_EXPORT}
for _role, _extra in {
    Role.TOWN_CLERK: _PAYEES,
    Role.TOWN_REVIEWER: {Perm.PAYMENTS_VIEW},
    Role.COUNTY_APPROVER: _PAYROLL,
    Role.CITY_ADMIN: _PAYROLL,
    Role.AUDITOR: {Perm.PAYMENTS_VIEW},
}.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | _extra


def _grants(actor: User) -> list[tuple[str, str]]:
    """(role, region path) pairs of the actor, cached on the instance for the request."""
    cached = getattr(actor, "_grant_cache", None)
    if cached is None:
        if not actor.is_authenticated or getattr(actor, "kind", None) != UserKind.STAFF:
            cached = []
        else:
            cached = list(actor.grants.values_list("role", "region__path"))
        actor._grant_cache = cached  # type: ignore[attr-defined]
    return cached


def grants(actor: User) -> list[tuple[str, str]]:
    """The actor's (role, region path) pairs (none for residents and anonymous users)."""
    return list(_grants(actor))


def scope_paths(actor: User, perm: Perm) -> list[str]:
    """Region paths under which the actor holds `perm` (most general first, no overlap)."""
    paths = sorted({path for role, path in _grants(actor) if perm in ROLE_PERMISSIONS[role]})
    kept: list[str] = []
    for path in paths:
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def has_perm(actor: User, perm: Perm, region: Region | None = None) -> bool:
    """Whether the actor holds `perm` at all (region None) or over `region`."""
    paths = scope_paths(actor, perm)
    if region is None:
        return bool(paths)
    return any(region.path.startswith(path) for path in paths)


def roles(actor: User) -> set[str]:
    return {role for role, _ in _grants(actor)}


def clear_cache(actor: User) -> None:
    if hasattr(actor, "_grant_cache"):
        del actor._grant_cache
