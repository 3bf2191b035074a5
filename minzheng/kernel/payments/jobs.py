"""The monthly payroll as a job: one chunk per county, each generating that county's batch.

A domain registers, per programme, an entitlement source: a function (county code, month) →
Entitlements, or → EntitlementQuery (run by the writer inside the database). The kernel
calls it inside the chunk; it never imports the domain. A chunk's
lines and its "done" mark commit together, and the lines' unique constraint makes a resumed
or repeated chunk insert only what is missing: no duplicate, no gap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from minzheng.common.errors import PermissionRefused, ValidationFailed
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.jobs.registry import JobKind, register_job
from minzheng.kernel.payments.entitlements import EntitlementQuery, Entitlements
from minzheng.kernel.regions.models import Region, RegionLevel

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.jobs.models import JobRun

PAYROLL_JOB = "payments.payroll"


@dataclass(frozen=True)
class EntitlementSource:
    """A programme's monthly entitlements by county: as arrays (``entitlements``) or, the
    faster, as a query the writer runs inside the database (``query``), preferred when
    given."""

    programme: str
    label: str  # the programme's name on the bank file, e.g. 最低生活保障金
    entitlements: Callable[[str, dt.date], Entitlements] | None = None
    query: Callable[[str, dt.date], EntitlementQuery] | None = None

    def __post_init__(self) -> None:
        if self.entitlements is None and self.query is None:
            raise ValueError("an entitlement source needs entitlements or a query")

    def for_county(self, county: str, month: dt.date) -> Entitlements | EntitlementQuery:
        if self.query is not None:
            return self.query(county, month)
        if self.entitlements is not None:
            return self.entitlements(county, month)
        raise ValueError("an entitlement source needs entitlements or a query")


ENTITLEMENT_SOURCES: dict[str, EntitlementSource] = {}


def register_entitlement_source(source: EntitlementSource) -> EntitlementSource:
    ENTITLEMENT_SOURCES[source.programme] = source
    return source


def _source(programme: str) -> EntitlementSource:
    try:
        return ENTITLEMENT_SOURCES[programme]
    except KeyError:
        raise ValidationFailed(
            _("No entitlements are registered for programme %(programme)s.")
            % {"programme": programme},
            field="programme",
        ) from None


def _county_keys(params: dict[str, Any]) -> list[str]:
    qs = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code")
    if params.get("counties"):
        qs = qs.filter(code__in=params["counties"])
    return list(qs.values_list("code", flat=True))


def _run_county(params: dict[str, Any], county: str) -> int:
    from minzheng.kernel.accounts.models import User
    from minzheng.kernel.payments.services import payment_batch_generate

    source = _source(params["programme"])
    month = dt.date.fromisoformat(params["month"])
    actor_id = params.get("actor_id")
    actor = User.objects.filter(pk=int(actor_id)).first() if actor_id else None
    result = payment_batch_generate(
        actor=actor,
        programme=source.programme,
        county=county,
        month=month,
        entitlements=source.for_county(county, month),
        label=source.label,
    )
    return result.inserted


register_job(
    JobKind(
        name=PAYROLL_JOB,
        label="Monthly payroll: payment batches by county",
        chunk_keys=_county_keys,
        run_chunk=_run_county,
    )
)


def payroll_start(
    *,
    actor: User | None,
    programme: str,
    month: dt.date,
    counties: list[str] | None = None,
    enqueue: bool = True,
) -> JobRun:
    """Start the month's payroll of ``programme`` as a job with one chunk per county."""
    from minzheng.kernel.jobs.services import job_start

    _source(programme)
    if actor is not None and counties:
        for county in Region.objects.filter(code__in=counties):
            if not has_perm(actor, Perm.PAYMENTS_PREPARE, county):
                raise PermissionRefused(
                    _("You may not prepare payments of %(county)s.") % {"county": county.name}
                )
    params = {
        "programme": programme,
        "month": month.replace(day=1).isoformat(),
        "counties": counties or [],
        "actor_id": actor.pk if actor is not None else None,
    }
    return job_start(actor=actor, kind=PAYROLL_JOB, params=params, enqueue=enqueue)
