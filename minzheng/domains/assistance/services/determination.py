"""Writes of the assistance domain: starting the bulk determination."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from minzheng.common.errors import ValidationFailed
from minzheng.domains.assistance.jobs import DETERMINE_KIND
from minzheng.kernel.jobs.models import JobRun
from minzheng.kernel.jobs.services import job_start

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User


def determination_start(
    *,
    actor: User | None,
    on: dt.date,
    counties: Sequence[str] = (),
    enqueue: bool = True,
) -> JobRun:
    """Start the bulk determination of the month of ``on``, one chunk per county.

    Permission and audit are the job service's (``jobs.run``). With ``enqueue=False`` the
    caller runs the chunks itself (the management command's progress bar).
    """
    from minzheng.domains.assistance.determination import county_codes

    known = set(county_codes())
    unknown = sorted(set(counties) - known)
    if unknown:
        raise ValidationFailed(
            _("Unknown county code(s): %(codes)s.") % {"codes": ", ".join(unknown)},
            field="counties",
        )
    params = {"date": on.isoformat(), "counties": sorted(counties), "run": uuid.uuid4().hex}
    return job_start(actor=actor, kind=DETERMINE_KIND, params=params, enqueue=enqueue)
