"""Writes of household verification: importing source batches and freezing reports.

Each write is one transaction with one audit event. A batch with bad rows writes no
record: its rows are validated, its errors kept, and its file kept encrypted until the
operator imports the valid part (source_batch_accept) or discards it.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import PurePath
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.kernel.accounts.permissions import Perm, has_perm, scope_paths
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.people.models import Household
from minzheng.kernel.regions.models import Region
from minzheng.kernel.verification import hooks, importing, reading, storage, summary
from minzheng.kernel.verification.models import (
    BLOCKING_STATUSES,
    BatchStatus,
    DataSource,
    ReportPurpose,
    SourceBatch,
    SourceRowError,
    VerificationReport,
    VerificationReportRecord,
)
from minzheng.kernel.verification.validation import render

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

MAX_FILE_MB = 300
WINDOW_MONTHS = 12


class _RollBack(Exception):
    pass


def max_file_bytes() -> int:
    return int(getattr(settings, "VERIFICATION_MAX_FILE_MB", MAX_FILE_MB)) * 2**20


def window_months() -> int:
    return int(getattr(settings, "VERIFICATION_WINDOW_MONTHS", WINDOW_MONTHS))


def import_region(actor: User | None) -> Region:
    """The region an actor imports for: that of their broadest import grant."""
    if actor is None:
        return Region.objects.filter(parent__isnull=True).order_by("path").first()  # type: ignore[return-value]
    paths = scope_paths(actor, Perm.VERIFICATION_IMPORT)
    if not paths:
        raise PermissionRefused(
            _("You may not import data for household verification."), code="import_denied"
        )
    return Region.objects.get(path=paths[0])


def _facts(file: IO[bytes]) -> reading.FileFacts:
    try:
        facts = reading.inspect(file)
    except reading.FileProblem as problem:
        raise ValidationFailed(problem.render(), code=problem.code, field="file") from None
    if facts.size > max_file_bytes():
        raise ValidationFailed(
            _("The file is larger than %(size)d MB: split it into smaller files.")
            % {"size": max_file_bytes() // 2**20},
            code="file_too_large",
            field="file",
        )
    return facts


def source_batch_import(
    *,
    actor: User | None,
    source: DataSource,
    file: IO[bytes],
    file_name: str,
    today: dt.date | None = None,
) -> SourceBatch:
    """Validate an uploaded file and import it if every row is valid.

    Returns the batch: IMPORTED, REJECTED (bad rows listed, nothing written) or FAILED (the
    file itself could not be read). The same file cannot be uploaded twice for a source.
    """
    region = import_region(actor)
    if not source.is_active:
        raise ValidationFailed(_("This data source no longer takes files."), field="source")
    facts = _facts(file)
    name = PurePath(file_name or "").name[:200] or "upload"
    today = today or timezone.localdate()
    started = time.perf_counter()
    try:
        with transaction.atomic():
            earlier = (
                SourceBatch.objects.filter(
                    source=source, checksum=facts.checksum, status__in=BLOCKING_STATUSES
                )
                .order_by("id")
                .first()
            )
            if earlier is not None:
                raise _same_file(earlier)
            batch = SourceBatch.objects.create(
                source=source,
                region=region,
                file_name=name,
                file_format=facts.format,
                file_size=facts.size,
                checksum=facts.checksum,
                uploaded_by=actor if actor is not None and actor.is_authenticated else None,
                status=BatchStatus.REJECTED,
            )
            outcome, problem = _validate_and_write(batch, source, file, facts, today)
            _record_outcome(batch, outcome, problem, file, started)
            audit_record(
                actor=actor,
                action="verification.batch.import",
                obj=batch,
                region_code=region.code,
                changes={
                    "source": source.code,
                    "file_name": name,
                    "checksum": facts.checksum,
                    "status": batch.status,
                    "rows": batch.row_count,
                    "valid": batch.valid_count,
                    "invalid": batch.invalid_count,
                    "imported": batch.imported_count,
                },
            )
            if batch.status == BatchStatus.IMPORTED:
                batch_id = batch.pk
                transaction.on_commit(lambda: hooks.batch_imported(batch_id))
    except IntegrityError:
        earlier = SourceBatch.objects.filter(
            source=source, checksum=facts.checksum, status__in=BLOCKING_STATUSES
        ).first()
        if earlier is None:
            raise
        raise _same_file(earlier) from None
    return batch


def _same_file(earlier: SourceBatch) -> Conflict:
    return Conflict(
        _(
            "This file was already uploaded as batch no. %(batch)d on %(date)s; "
            "the same file is not imported twice."
        )
        % {
            "batch": earlier.pk,
            "date": timezone.localtime(earlier.created_at).strftime("%Y-%m-%d %H:%M"),
        },
        code="same_file",
        field="file",
        extra={"batch": earlier.pk},
    )


def _validate_and_write(
    batch: SourceBatch,
    source: DataSource,
    file: IO[bytes],
    facts: reading.FileFacts,
    today: dt.date,
) -> tuple[importing.Outcome | None, reading.FileProblem | None]:
    """Validate the file writing rows as long as all are valid; undo them if one is not."""
    outcome: importing.Outcome | None = None
    try:
        with transaction.atomic():
            outcome = importing.run(
                source=source, file=file, facts=facts, batch_id=batch.pk, today=today, write="clean"
            )
            if outcome.invalid:
                outcome.written = outcome.linked = 0
                raise _RollBack
    except _RollBack:
        pass
    except reading.FileProblem as problem:
        return None, problem
    return outcome, None


def _record_outcome(
    batch: SourceBatch,
    outcome: importing.Outcome | None,
    problem: reading.FileProblem | None,
    file: IO[bytes],
    started: float,
) -> None:
    if problem is not None or outcome is None:
        batch.status = BatchStatus.FAILED
        batch.problem = render(problem.render) if problem is not None else {}
    else:
        batch.row_count = outcome.rows
        batch.valid_count = outcome.valid
        batch.invalid_count = outcome.invalid
        batch.imported_count = outcome.written
        batch.linked_count = outcome.linked
        batch.errors_truncated = outcome.errors_truncated
        if outcome.invalid:
            batch.status = BatchStatus.REJECTED
            if batch.valid_count and not outcome.errors_truncated:
                batch.pending_file = storage.store(file)
        else:
            batch.status = BatchStatus.IMPORTED
        SourceRowError.objects.bulk_create(
            [
                SourceRowError(
                    batch=batch,
                    line=error.line,
                    column=error.column,
                    code=error.code,
                    value=error.value[:100],
                    messages=error.messages,
                )
                for error in outcome.errors
            ],
            batch_size=1000,
        )
    batch.seconds = round(time.perf_counter() - started, 3)
    batch.save()


def _locked_batch(actor: User | None, batch: SourceBatch) -> SourceBatch:
    locked = (
        SourceBatch.objects.select_for_update().select_related("source", "region").get(pk=batch.pk)
    )
    if actor is not None and not has_perm(actor, Perm.VERIFICATION_IMPORT, locked.region):
        raise PermissionRefused(_("You may not decide on this batch."), code="import_denied")
    if locked.status != BatchStatus.REJECTED:
        raise Conflict(
            _("This batch is not awaiting a decision (its status is “%(status)s”).")
            % {"status": locked.get_status_display()},
            code="batch_decided",
        )
    return locked


def source_batch_accept(*, actor: User | None, batch: SourceBatch) -> SourceBatch:
    """Import the valid rows of a batch that has bad rows: the operator's confirmation."""
    with transaction.atomic():
        locked = _locked_batch(actor, batch)
        if locked.errors_truncated:
            raise Conflict(
                _("The file has too many bad rows to import a part of it: fix it first."),
                code="too_many_errors",
            )
        if not locked.valid_count or not locked.pending_file:
            raise Conflict(_("The batch has no valid row to import."), code="nothing_valid")
        with storage.load(locked.pending_file) as file:
            facts = reading.inspect(file)
            if facts.checksum != locked.checksum:
                raise Conflict(_("The kept file has changed."), code="file_changed")
            started = time.perf_counter()
            outcome = importing.run(
                source=locked.source,
                file=file,
                facts=facts,
                batch_id=locked.pk,
                today=timezone.localtime(locked.created_at).date(),
                write="valid",
                skip_lines=set(locked.row_errors.values_list("line", flat=True)),
            )
        if outcome.written != locked.valid_count:
            raise Conflict(_("The kept file has changed."), code="file_changed")
        pending, now = locked.pending_file, timezone.now()
        SourceBatch.objects.filter(pk=locked.pk).update(
            status=BatchStatus.PARTIAL,
            accepted_partial=True,
            imported_count=outcome.written,
            linked_count=outcome.linked,
            decided_by=actor if actor is not None and actor.is_authenticated else None,
            decided_at=now,
            pending_file="",
            seconds=locked.seconds + round(time.perf_counter() - started, 3),
            updated_at=now,
        )
        audit_record(
            actor=actor,
            action="verification.batch.accept",
            obj=locked,
            region_code=locked.region.code,
            changes={"imported": outcome.written, "left_out": locked.invalid_count},
        )
        transaction.on_commit(lambda: storage.delete(pending))
    locked.refresh_from_db()
    return locked


def source_batch_discard(*, actor: User | None, batch: SourceBatch) -> SourceBatch:
    """Give up a batch that has bad rows: nothing is imported and its file is deleted."""
    with transaction.atomic():
        locked = _locked_batch(actor, batch)
        pending, now = locked.pending_file, timezone.now()
        SourceBatch.objects.filter(pk=locked.pk).update(
            status=BatchStatus.DISCARDED,
            decided_by=actor if actor is not None and actor.is_authenticated else None,
            decided_at=now,
            pending_file="",
            updated_at=now,
        )
        audit_record(
            actor=actor,
            action="verification.batch.discard",
            obj=locked,
            region_code=locked.region.code,
        )
        transaction.on_commit(lambda: storage.delete(pending))
    locked.refresh_from_db()
    return locked


def verification_report_create(
    *,
    actor: User | None,
    household: Household,
    purpose: str,
    note: str = "",
    as_of: dt.date | None = None,
) -> VerificationReport:
    """Freeze which source records a household check uses and what they add up to.

    Records imported later never change the report: it keeps its own list of record ids
    and its summary.
    """
    if purpose not in ReportPurpose.values:
        raise ValidationFailed(_("Choose the purpose of the check."), field="purpose")
    note = note.strip()
    if len(note) > 200:
        raise ValidationFailed(_("The note may have at most 200 characters."), field="note")
    region = household.region
    if actor is not None and not has_perm(actor, Perm.VERIFICATION_REPORT, region):
        raise PermissionRefused(
            _("You may not check households of %(region)s.") % {"region": region.name},
            code="report_denied",
        )
    as_of = as_of or timezone.localdate()
    months = window_months()
    with transaction.atomic():
        facts, record_ids, members = summary.build(
            household_id=household.pk, as_of=as_of, months=months
        )
        if not members:
            raise ValidationFailed(
                _("The household has no members on %(date)s.") % {"date": as_of.isoformat()},
                field="household",
            )
        start, end = summary.window(as_of, months)
        report = VerificationReport.objects.create(
            household=household,
            purpose=purpose,
            note=note,
            as_of=as_of,
            window_start=start,
            window_end=end,
            created_by=actor if actor is not None and actor.is_authenticated else None,
            record_count=len(record_ids),
            summary=facts,
        )
        VerificationReportRecord.objects.bulk_create(
            [VerificationReportRecord(report=report, record_id=pk) for pk in record_ids],
            batch_size=2000,
        )
        audit_record(
            actor=actor,
            action="verification.report.create",
            obj=report,
            region_code=region.code,
            changes={
                "household": household.pk,
                "purpose": purpose,
                "as_of": as_of,
                "records": len(record_ids),
            },
        )
    return report
