"""The second half of a large plain CSV file, read, validated and encoded in a second process.

Reading, validating and encoding rows is Python work, which one process does on one core at
a time; the database needs the other core for the COPY. A large plain CSV file on PostgreSQL
is therefore cut into pieces at line boundaries (reading.pieces): the importing process
and a forked process each take the next piece not yet taken; the forked one validates its
pieces with a validator of its own and encodes their valid rows as binary COPY streams, looking the
persons up on a connection of its own (the register as committed: an import never changes
it). It sends each chunk's counts, row errors and stream to the importing process, which
copies the streams in on its own connection, in its transaction, and merges the counts,
the errors and the duplicate fingerprints (validation.RowValidator.finish) as if one process
had read the whole file.

The process is forked before the importing process starts its writer thread, so it holds no
lock of another thread; it never uses the importing process's database connection and ends
with os._exit, running no clean-up that could touch it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gc
import multiprocessing
import os
import signal
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Pipe
from typing import IO, Any

import numpy as np
import psycopg
from django.conf import settings
from django.db import connection
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from minzheng.kernel.verification.models import DataSource
from minzheng.kernel.verification.reading import (
    READ_BLOCK,
    Chunk,
    FileFacts,
    FileProblem,
    SourceFile,
    Split,
)
from minzheng.kernel.verification.validation import RowError, RowValidator, render
from minzheng.kernel.verification.writing import CopyWriter, Encoded, RowEncoder

MIN_BYTES = 16 * 2**20  # smaller files are read by one process
# The file is cut into pieces of at most about one read block (so each piece is one chunk
# of rows), and at least this many (the first, with the header, read by the importing
# process; each of the others by whichever process is free first).
MIN_PIECES = 16


def piece_count(size: int) -> int:
    """How many pieces a file of `size` bytes is cut into."""
    per_piece = READ_BLOCK - READ_BLOCK // 16  # room for the line a cut moves to
    return max(MIN_PIECES, -(-size // per_piece))


SILENCE_SECONDS = 600
# Streams of one process queued for the COPY at a time (a few MB each): enough that the
# import's connection always has the next one ready.
QUEUED_STREAMS = 3  # the second process is given up when it sends nothing for this long

Fingerprints = list[tuple[np.ndarray, np.ndarray, np.ndarray]]


def processes() -> int:
    return int(getattr(settings, "VERIFICATION_IMPORT_PROCESSES", 2))


def min_bytes() -> int:
    return int(getattr(settings, "VERIFICATION_SPLIT_MIN_BYTES", MIN_BYTES))


@dataclass
class PartOutcome:
    """What the second process found in its part of the file."""

    rows: int = 0
    valid: int = 0
    invalid: int = 0
    written: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_left_out: bool = False
    fingerprints: Fingerprints = field(default_factory=list)
    problem: FileProblem | None = None
    failure: str = ""


def _problem(code: str, messages: dict[str, str]) -> FileProblem:
    """A FileProblem found in the second process, rendered there in every language."""

    def message() -> str:
        language = (get_language() or "").lower()
        return messages.get(language) or next(iter(messages.values()), code)

    return FileProblem(code, message)


@dataclass(frozen=True)
class PartJob:
    """What the second process needs (inherited by the fork, never pickled)."""

    file: IO[bytes]
    facts: FileFacts
    pieces: list[Split]  # the pieces after the first, taken in turn by both processes
    claim: Claim
    header: list[str]
    source: DataSource
    positions: dict[str, int]
    today: dt.date
    skip_lines: set[int] | None
    room: int  # row errors to describe
    limit_rows: int


def _part_main(
    job: PartJob,
    send: Callable[[Any], None],
    lookup: dict[str, Any],
    send_bytes: Callable[[bytes], None],
) -> None:
    """The second process: validate and encode its pieces, sending a message per chunk."""
    gc.disable()  # see without_gc
    source = job.source
    validator = RowValidator(
        columns=source.columns,
        unique=source.unique_columns,
        positions=job.positions,
        header_width=len(job.header),
        today=job.today,
    )
    raw = psycopg.connect(**lookup)
    encoder = RowEncoder(raw)
    room, rows = job.room, 0
    try:
        for chunk in chunks_of(job.file, job.facts, job.pieces, job.claim, job.header, source):
            skipped = 0
            if job.skip_lines:
                kept = [i for i, line in enumerate(chunk.lines) if line not in job.skip_lines]
                skipped = len(chunk.lines) - len(kept)
                chunk = chunk.keep(kept)
            result = validator.validate(chunk, room=room)
            room = max(room - len(result.errors), 0)
            rows += len(chunk) + skipped
            if rows > job.limit_rows:
                raise refused_for_rows(job.limit_rows)
            encoded = None
            if len(result.valid):
                encoded = encoder.encode(result.valid, encoder.fields(result.valid))
            # The stream (megabytes) goes as raw bytes after the message, not pickled in it.
            send(
                (
                    "chunk",
                    len(chunk) + skipped,
                    result.invalid_rows + skipped,
                    len(result.valid),
                    result.errors,
                    result.errors_left_out,
                    None if encoded is None else (encoded.columns, encoded.linked),
                )
            )
            if encoded is not None:
                send_bytes(encoded.payload)
        send(("done", validator.fingerprints))
    finally:
        raw.close()


@contextmanager
def without_gc() -> Iterator[None]:
    """The cyclic garbage collector off while a file is read by two processes.

    An import allocates millions of small containers, and the collector's full passes walk
    every object of the process again and again (a few tenths of a second per million rows)
    to find cycles the import does not make. Only a single-threaded process splits a file
    (see importing), so no other thread runs meanwhile.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Claim:
    """The next piece of the file to read, shared by the two processes (a counter in shared
    memory, made before the fork): whichever process is free takes the next piece, so the
    costlier parts of a file (new persons to hash and look up tend to cluster) are shared."""

    def __init__(self) -> None:
        self._next = multiprocessing.get_context("fork").Value("q", 0)

    def __call__(self) -> int:
        with self._next.get_lock():
            index = int(self._next.value)
            self._next.value = index + 1
        return index


def chunks_of(
    file: IO[bytes],
    facts: FileFacts,
    pieces: list[Split],
    claim: Claim,
    header: list[str],
    source: DataSource,
) -> Iterator[Chunk]:
    """The chunks of rows of the pieces this process claims, piece after piece."""
    keys = [c["key"] for c in source.columns]
    while (index := claim()) < len(pieces):
        reader = SourceFile(file, facts, part=(pieces[index], header))
        try:
            yield from reader.chunks(keys)
        finally:
            reader.close()


PIPE_BYTES = 16 * 2**20  # a few chunks' streams: the second process rarely waits to send


def _widen(pipe: Any) -> None:
    """Make the pipe's buffer hold several chunks' streams (Linux; as far as allowed)."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is None:
        return
    for size in (PIPE_BYTES, 2**20):
        try:
            fcntl.fcntl(pipe.fileno(), setsize, size)
            return
        except OSError:
            continue


def lookup_connection() -> Any:
    """A connection of its own for person look-ups (autocommit: the register as committed),
    so that look-ups never wait for a COPY on the import's connection."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    return psycopg.connect(**params, autocommit=True)


class SecondPart:
    """The importing process's handle on the second process."""

    def __init__(self, job: PartJob) -> None:
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params["autocommit"] = True
        receiving, sending = Pipe(duplex=False)
        _widen(sending)
        self._pid = os.fork()
        if self._pid == 0:  # the second process
            status = 0
            try:
                receiving.close()
                try:
                    _part_main(job, sending.send, params, sending.send_bytes)
                except FileProblem as problem:
                    sending.send(("problem", problem.code, render(problem.render)))
                except BaseException:
                    sending.send(("failure", traceback.format_exc()))
                sending.close()
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        sending.close()
        self._messages = receiving
        self._outcome = PartOutcome()
        self._thread: threading.Thread | None = None

    def receive(self, writer: CopyWriter | None, may_write: Callable[[], bool]) -> None:
        """Start taking the second process's messages, copying its streams with `writer`
        while `may_write()` holds."""
        self._thread = threading.Thread(
            target=self._receive, args=(writer, may_write), name="verification-part", daemon=True
        )
        self._thread.start()

    def _receive(self, writer: CopyWriter | None, may_write: Callable[[], bool]) -> None:
        outcome = self._outcome
        pending: deque[Future[None]] = deque()
        try:
            while True:
                if not self._messages.poll(SILENCE_SECONDS):
                    outcome.failure = "the second process sent nothing for too long"
                    return
                try:
                    message = self._messages.recv()
                except EOFError:
                    outcome.failure = outcome.failure or "the second process ended early"
                    return
                kind = message[0]
                if kind == "chunk":
                    _, rows, invalid, valid, errors, left_out, stream = message
                    encoded = None
                    if stream is not None:
                        columns, linked = stream
                        encoded = Encoded(columns, self._messages.recv_bytes(), linked)
                    outcome.rows += rows
                    outcome.invalid += invalid
                    outcome.valid += valid
                    outcome.errors.extend(errors)
                    outcome.errors_left_out = outcome.errors_left_out or left_out
                    if writer is not None and encoded is not None and may_write():
                        if len(pending) >= QUEUED_STREAMS:
                            pending.popleft().result()
                        pending.append(writer.write_encoded(encoded))
                        outcome.written += valid
                elif kind == "done":
                    outcome.fingerprints = message[1]
                    return
                elif kind == "problem":
                    outcome.problem = _problem(message[1], message[2])
                    return
                else:
                    outcome.failure = message[1]
                    return
        except BaseException:
            outcome.failure = traceback.format_exc()
        finally:
            try:
                while pending:
                    pending.popleft().result()
            except BaseException:
                outcome.failure = outcome.failure or traceback.format_exc()

    def result(self) -> PartOutcome:
        """Wait for the second process; raise its file problem or its failure."""
        if self._thread is not None:
            self._thread.join()
        self._reap()
        outcome = self._outcome
        if outcome.problem is not None:
            raise outcome.problem
        if outcome.failure:
            raise RuntimeError(f"The second import process failed:\n{outcome.failure}")
        return outcome

    def stop(self) -> None:
        """End the second process if it still runs (the import failed); always reap it."""
        if self._pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            self._reap()
        if self._thread is not None:
            self._thread.join()
        self._messages.close()

    def _reap(self) -> None:
        if self._pid:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
            self._pid = 0


def refused_for_rows(limit: int) -> FileProblem:
    return FileProblem(
        "too_many_rows",
        lambda: (
            _("The file has more than %(count)d rows: split it into smaller files.")
            % {"count": limit}
        ),
    )
