"""Bulk determination: every household of the register, one chunk per county.

Parameters: ``date`` (ISO, the month determined is its month), optionally ``counties``, and
``run``, a token naming the job so its rows can point at it (set by ``determination_start``).
A chunk replaces its county's rows for the month in the chunk's transaction, so a crashed
chunk leaves nothing and a resumed job re-runs exactly the counties that did not finish.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from minzheng.kernel.jobs.registry import JobKind, register_job


def _county_keys(params: dict[str, Any]) -> list[str]:
    from minzheng.domains.assistance.determination import county_codes

    wanted = set(params.get("counties") or [])
    return [code for code in county_codes() if not wanted or code in wanted]


def _job_id(params: dict[str, Any]) -> int | None:
    from minzheng.kernel.jobs.models import JobRun

    if not params.get("run"):
        return None
    return (
        JobRun.objects.filter(kind=DETERMINE_KIND, params__run=params["run"])
        .values_list("pk", flat=True)
        .first()
    )


def _run_county(params: dict[str, Any], county: str) -> int:
    from minzheng.domains.assistance.determination import determine_county

    return determine_county(
        county=county, on=dt.date.fromisoformat(params["date"]), job_id=_job_id(params)
    )


def _prepare(params: dict[str, Any], counties: list[str]) -> None:
    from minzheng.domains.assistance.determination import prepare_partitions

    prepare_partitions(dt.date.fromisoformat(params["date"]), counties)


DETERMINE_KIND = "assistance.determine"

DETERMINE = register_job(
    JobKind(
        name=DETERMINE_KIND,
        label="Determine every household's assistance for a month",
        chunk_keys=_county_keys,
        run_chunk=_run_county,
        prepare=_prepare,
    )
)
