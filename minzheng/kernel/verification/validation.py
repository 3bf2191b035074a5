"""Row-by-row validation of a source file, column by column over chunks of rows.

Each column of a chunk is checked in one tight loop (values repeated across rows, such as
months, codes and the ID numbers of monthly files, are checked once and cached), so a
million-row file validates in seconds. A bad value becomes a RowError naming the line,
the column and the reason in every language of the site; the ID-number reasons are the
validator's own (people.id_numbers.parse_id_number).

What comes out for the valid rows is a ValidRows: the SourceRecord columns as text in
PostgreSQL's input format, ready for COPY (or for bulk_create after conversion).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from minzheng.common import crypto
from minzheng.kernel.people.id_numbers import (
    CHECK_CHARACTERS,
    EARLIEST_BIRTH,
    WEIGHTS,
    IdNumberError,
    parse_id_number,
)
from minzheng.kernel.people.models import ID_NUMBER_PURPOSE
from minzheng.kernel.verification import sources as spec
from minzheng.kernel.verification.reading import NUMBER_IN_TEXT_CELL, Chunk

NULL = r"\N"
MONEY_RE = re.compile(r"\d{1,12}(?:\.\d{1,2})?")
DECIMAL_RE = re.compile(r"\d{1,8}(?:\.\d{1,2})?")
INTEGER_RE = re.compile(r"\d{1,9}")
MONTH_RE = re.compile(r"(\d{4})\s*(?:[-/.年]\s*)?(\d{1,2})\s*月?")
DATE_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{4})(\d{2})(\d{2})"
)
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
EARLIEST_PERIOD = dt.date(1950, 1, 1)
CACHE_LIMIT = 500_000  # distinct values remembered per column
_WEIGHTS = np.array(WEIGHTS, dtype=np.int64)
_CHECKS = np.frombuffer(CHECK_CHARACTERS.encode(), dtype=np.uint8)


Message = Callable[[], str]


@dataclass
class RowError:
    line: int
    column: str
    code: str
    value: str
    messages: dict[str, str]


def render(message: Message) -> dict[str, str]:
    """The message in each language of the site."""
    rendered = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            rendered[code] = str(message())
    return rendered


def _shown(value: str) -> str:
    value = value.replace(NUMBER_IN_TEXT_CELL, "")
    return value if len(value) <= 60 else value[:57] + "…"


@dataclass
class ValidRows:
    """Columns of the valid rows of one chunk: normalised text, None for a missing value.

    Dates and numbers are already in PostgreSQL's input format; text is not yet escaped.
    """

    lines: list[int]
    digest: list[str]
    masked: list[str]
    name: list[str | None]
    item: list[str | None]
    period_start: list[str]
    period_end: list[str]
    amount: list[str | None]
    area: list[str | None]
    quantity: list[str | None]
    reference: list[str | None]
    payload: list[str]  # JSON
    # The persons when the caller knows them (the demo data); else the writer looks them up.
    person: list[int | None] | None = None

    def __len__(self) -> int:
        return len(self.lines)


@dataclass
class ChunkResult:
    valid: ValidRows
    errors: list[RowError]
    invalid_rows: int
    errors_left_out: bool = False


class _Bad:
    """A cached verdict that a value is bad: the error code and how to say why."""

    __slots__ = ("code", "message")

    def __init__(self, code: str, message: Message) -> None:
        self.code = code
        self.message = message


def _fast_id_numbers(values: list[str], today: dt.date) -> list[bool]:
    """Which values are certainly valid 18-character ID numbers, checked as a matrix.

    Anything not certainly valid (lower-case x, 15 digits, bad dates…) goes to the full
    validator, which also gives the reason.
    """
    ok = [len(v) == 18 and v.isascii() for v in values]
    picked = [v for v, good in zip(values, ok, strict=True) if good]
    if not picked:
        return ok
    raw = np.frombuffer("".join(picked).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    digits = raw[:, :17].astype(np.int64) - 48
    good = ((digits >= 0) & (digits <= 9)).all(axis=1)
    last = raw[:, 17]
    good &= ((last >= 48) & (last <= 57)) | (last == ord("X"))
    good &= _CHECKS[(np.clip(digits, 0, 9) @ _WEIGHTS) % 11] == last
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    last_day = month_days[np.clip(month, 0, 12)] + ((month == 2) & leap)
    good &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= last_day)
    stamp = year * 10000 + month * 100 + day
    earliest = EARLIEST_BIRTH.year * 10000 + EARLIEST_BIRTH.month * 100 + EARLIEST_BIRTH.day
    good &= (stamp >= earliest) & (stamp <= today.year * 10000 + today.month * 100 + today.day)
    verdicts = iter(good.tolist())
    return [next(verdicts) if flag else False for flag in ok]


class IdNumbers:
    """ID number → (digest, masked) or _Bad, with a cache across chunks."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self.index = crypto.indexer(purpose=ID_NUMBER_PURPOSE)
        self.cache: dict[str, tuple[str, str] | _Bad] = {}

    def check(self, distinct: set[str]) -> None:
        """Check and remember the values not seen yet."""
        cache = self.cache
        if len(cache) > CACHE_LIMIT:
            cache.clear()
        missing = list(distinct.difference(cache))
        if missing:
            fast = _fast_id_numbers(missing, self.today)
            index = self.index
            for value, good in zip(missing, fast, strict=True):
                if good:
                    cache[value] = (index(value), value[:6] + "********" + value[-4:])
                else:
                    cache[value] = self._slow(value)

    def _slow(self, value: str) -> tuple[str, str] | _Bad:
        if value.startswith(NUMBER_IN_TEXT_CELL):
            return _Bad(
                "id_number_as_number",
                lambda: _(
                    "The ID number was stored as a number, which loses digits: format the "
                    "column as text and type the number again."
                ),
            )
        try:
            parsed = parse_id_number(value, today=self.today)
        except IdNumberError as error:
            code = error.code

            def message(value: str = value) -> str:
                try:
                    parse_id_number(value, today=self.today)
                except IdNumberError as again:
                    return again.message
                return ""  # pragma: no cover

            return _Bad(code, message)
        number = parsed.value
        return (self.index(number), number[:6] + "********" + number[-4:])


def _month(value: str, today: dt.date) -> tuple[str, str] | _Bad:
    match = MONTH_RE.fullmatch(value.strip())
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12:
            first = dt.date(year, month, 1)
            if EARLIEST_PERIOD <= first <= today:
                last = dt.date(year, month, calendar.monthrange(year, month)[1])
                return first.isoformat(), last.isoformat()
            return _Bad(
                "month_out_of_range",
                lambda: (
                    _("The month %(value)s is in the future or before 1950.")
                    % {"value": _shown(value)}
                ),
            )
    return _Bad(
        "bad_month",
        lambda: (
            _("“%(value)s” is not a month: write it as YYYY-MM, such as 2025-03.")
            % {"value": _shown(value)}
        ),
    )


def _date(value: str, today: dt.date) -> tuple[str, str] | _Bad:
    text = value.strip()
    match = DATE_RE.fullmatch(text[:10] if len(text) > 10 and text[10:11] in " T" else text)
    if match:
        parts = match.groups()
        year, month, day = (int(p) for p in (parts[:3] if parts[0] else parts[3:]))
        try:
            day_value = dt.date(year, month, day)
        except ValueError:
            day_value = None
        if day_value is not None:
            if EARLIEST_PERIOD <= day_value <= today:
                return day_value.isoformat(), day_value.isoformat()
            return _Bad(
                "date_out_of_range",
                lambda: (
                    _("The date %(value)s is in the future or before 1950.")
                    % {"value": _shown(value)}
                ),
            )
    return _Bad(
        "bad_date",
        lambda: (
            _("“%(value)s” is not a real date: write it as YYYY-MM-DD, such as 2025-03-31.")
            % {"value": _shown(value)}
        ),
    )


def _number(value: str, pattern: re.Pattern[str], kind: str) -> str | _Bad:
    text = value.strip().replace(",", "").replace("，", "")
    if text.startswith("¥") or text.startswith("￥"):
        text = text[1:].strip()
    if pattern.fullmatch(text):
        return text
    if text.startswith("-") and pattern.fullmatch(text[1:]):
        return _Bad("negative", lambda: _("The number cannot be negative."))
    if kind == spec.INTEGER:
        return _Bad(
            "bad_integer",
            lambda: _("“%(value)s” is not a whole number.") % {"value": _shown(value)},
        )
    return _Bad(
        "bad_number",
        lambda: (
            _(
                "“%(value)s” is not a number: write digits with at most two decimals, "
                "such as 1234.50."
            )
            % {"value": _shown(value)}
        ),
    )


_NUMBER_PATTERNS = {spec.MONEY: MONEY_RE, spec.DECIMAL: DECIMAL_RE, spec.INTEGER: INTEGER_RE}


@dataclass
class _Column:
    key: str
    kind: str
    target: str
    required: bool
    position: int | None
    header: str
    max_length: int
    codes: dict[str, str] = field(default_factory=dict)  # accepted text → code
    code_list: str = ""


def _columns(source_columns: list[dict[str, Any]], positions: dict[str, int]) -> list[_Column]:
    result = []
    for column in source_columns:
        codes: dict[str, str] = {}
        for item in column.get("codes", []):
            for text in (item["code"], item["label_zh"], item["label_en"]):
                codes[text] = item["code"]
                codes["".join(text.split()).lower()] = item["code"]
        result.append(
            _Column(
                key=column["key"],
                kind=column["type"],
                target=column.get("target", ""),
                required=column["required"],
                position=positions.get(column["key"]),
                header=column["header_zh"],
                max_length=int(
                    column.get("max_length") or (50 if column["type"] == "name" else 200)
                ),
                codes=codes,
                code_list="、".join(
                    f"{item['code']}（{item['label_zh']}）" for item in column.get("codes", [])
                ),
            )
        )
    return result


class RowValidator:
    """Validates the chunks of one file against one source's columns."""

    def __init__(
        self,
        *,
        columns: list[dict[str, Any]],
        unique: list[str],
        positions: dict[str, int],
        header_width: int,
        today: dt.date,
    ) -> None:
        self.columns = _columns(columns, positions)
        self.width = max(positions.values()) + 1 if positions else 0
        self.header_width = max(header_width, self.width)
        self.unique = unique
        self.today = today
        self.ids = IdNumbers(today)
        self._fingerprints: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.cache: dict[str, dict[str, Any]] = {c.key: {} for c in self.columns}
        self.kinds = {c.key: c.kind for c in self.columns}
        self.unique_labels = "、".join(c.header for c in self.columns if c.key in unique)

    def _missing(self, column: _Column) -> _Bad:
        header = column.header
        return _Bad(
            "missing",
            lambda: _("%(column)s is missing: this column must be filled in.") % {"column": header},
        )

    def _check(self, column: _Column, value: str) -> Any:
        """The normalised value or a _Bad, for one non-empty value of a scalar column."""
        kind = column.kind
        if kind == spec.MONTH:
            return _month(value, self.today)
        if kind == spec.DATE:
            return _date(value, self.today)
        if kind in _NUMBER_PATTERNS:
            return _number(value, _NUMBER_PATTERNS[kind], kind)
        if kind == spec.CODE:
            code = column.codes.get(value) or column.codes.get("".join(value.split()).lower())
            if code is not None:
                return code
            codes = column.code_list
            return _Bad(
                "unknown_code",
                lambda: (
                    _("Unknown code “%(value)s”: use one of %(codes)s.")
                    % {"value": _shown(value), "codes": codes}
                ),
            )
        text = value.strip()
        if CONTROL_RE.search(text):
            return _Bad("control_characters", lambda: _("The text holds control characters."))
        if len(text) > column.max_length:
            limit = column.max_length
            return _Bad(
                "too_long",
                lambda: _("The text is longer than %(count)d characters.") % {"count": limit},
            )
        return text

    def _column_values(
        self, column: _Column, values: list[str], bad: dict[int, list[tuple[str, _Bad, str]]]
    ) -> list[Any]:
        """Normalised values of one column (a _Bad marks an error, recorded in `bad`).

        Every distinct value of the chunk is checked once (and remembered across chunks);
        the rows are then mapped through the verdicts in one C-level pass.
        """
        if column.kind in _NUMBER_PATTERNS:
            pattern = _NUMBER_PATTERNS[column.kind].fullmatch
            if all(map(pattern, set(values))):  # amounts repeat: each is checked once
                return values
            out = [
                v if pattern(v) else (self._check(column, v) if v.strip() else None) for v in values
            ]
            wrong = {i for i, v in enumerate(out) if v is None or v.__class__ is _Bad}
        else:
            distinct = set(values)
            if column.kind == spec.ID_NUMBER:
                self.ids.check(distinct)
                cache: dict[str, Any] = self.ids.cache
            else:
                cache = self.cache[column.key]
                if len(cache) > CACHE_LIMIT:
                    cache.clear()
                for value in distinct.difference(cache):
                    cache[value] = self._check(column, value) if value.strip() else None
            out = list(map(cache.__getitem__, values))
            wrong_values = {v for v in distinct if cache[v] is None or cache[v].__class__ is _Bad}
            wrong = (
                {i for i, v in enumerate(values) if v in wrong_values} if wrong_values else set()
            )
        for index in sorted(wrong):
            verdict: Any = out[index]
            if verdict is None:
                if column.required:
                    bad.setdefault(index, []).append((column.key, self._missing(column), ""))
            else:
                bad.setdefault(index, []).append((column.key, verdict, values[index]))
        return out

    def validate(self, chunk: Chunk, *, room: int = 1_000_000) -> ChunkResult:
        """Check a chunk; at most `room` errors are described (the rest are only counted)."""
        lines = chunk.lines
        count = len(lines)
        bad: dict[int, list[tuple[str, _Bad, str]]] = {}
        cells = chunk.columns
        if cells is None:
            rows = chunk.rows or []
            width, header_width = self.width, self.header_width
            if set(map(len, rows)) != {header_width}:
                for index, row in enumerate(rows):
                    found = len(row)
                    if found < width:
                        rows[index] = row + [""] * (width - found)
                    elif found > header_width and any(cell.strip() for cell in row[header_width:]):
                        bad[index] = [("", _cell_count(found, header_width), "")]
        outputs: dict[str, list[Any]] = {}
        for column in self.columns:
            if column.position is None:
                outputs[column.key] = [None] * count
                continue
            if cells is not None:  # every row exactly as wide as the header
                values = cells[column.position]
            else:
                values = list(map(itemgetter(column.position), rows))
            outputs[column.key] = self._column_values(column, values, bad)
        errors: list[RowError] = []
        left_out = False
        for index in sorted(bad):
            if len(errors) >= room:
                left_out = True
                break
            for key, verdict, raw in bad[index]:
                shown = ""
                if raw:
                    kind = self.kinds[key]
                    shown = _masked_raw(raw) if kind == spec.ID_NUMBER else _shown(raw)
                errors.append(
                    RowError(lines[index], key, verdict.code, shown, render(verdict.message))
                )
        good = [i for i in range(count) if i not in bad] if bad else list(range(count))
        self._remember_keys(good, lines, outputs)
        left_out = left_out or len(errors) > room
        errors.sort(key=lambda e: e.line)
        invalid = count - len(good)
        return ChunkResult(self._valid(good, lines, outputs), errors[:room], invalid, left_out)

    def _remember_keys(
        self, good: list[int], lines: list[int], outputs: dict[str, list[Any]]
    ) -> None:
        """Keep a 128-bit fingerprint of each valid row's identifying values (see finish)."""
        if not good:
            return
        everything = len(good) == len(lines)
        keys = []
        for key in self.unique:
            values = outputs[key]
            picked = values if everything else list(map(values.__getitem__, good))
            if self.kinds[key] in (spec.ID_NUMBER, spec.MONTH, spec.DATE):
                if None in picked:
                    picked = [None if v is None else v[0] for v in picked]
                else:
                    picked = list(map(itemgetter(0), picked))
            keys.append(picked)
        n = len(good)
        # Each value's own hash (strings keep theirs, computed when the column was checked),
        # mixed column by column into two 64-bit fingerprints with different constants.
        first = np.zeros(n, dtype=np.uint64)
        second = np.zeros(n, dtype=np.uint64)
        for column, picked in enumerate(keys):
            hashes = np.fromiter(map(hash, picked), dtype=np.int64, count=n).view(np.uint64)
            first = _mix(first ^ hashes, FIRST_SEEDS[column % len(FIRST_SEEDS)])
            second = _mix(second ^ hashes, SECOND_SEEDS[column % len(SECOND_SEEDS)])
        self._fingerprints.append(
            (
                first.view(np.int64),
                second.view(np.int64),
                np.array(lines if everything else list(map(lines.__getitem__, good))),
            )
        )

    @property
    def fingerprints(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The fingerprints of the valid rows so far (see finish)."""
        return self._fingerprints

    def add_fingerprints(self, more: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        """Take the fingerprints of another validator of the same file (a part read by
        another process, hashed with the same hash seed: a forked process)."""
        self._fingerprints.extend(more)

    def finish(self, *, room: int) -> tuple[list[RowError], int, bool]:
        """Duplicate rows of the whole file: (errors, duplicate rows, errors left out).

        Rows are compared by two independent 64-bit hashes of their identifying values,
        so a file's duplicates are found with one sort at the end instead of a dictionary
        of every row; a row is a duplicate of the earliest line with the same values.
        """
        if not self._fingerprints:
            return [], 0, False
        first_hash = np.concatenate([f[0] for f in self._fingerprints])
        second_hash = np.concatenate([f[1] for f in self._fingerprints])
        lines = np.concatenate([f[2] for f in self._fingerprints])
        self._fingerprints = []
        # Most files have no duplicates: one sort of the first hash shows it (no two equal).
        # Only then are the rows sorted by both hashes and their line.
        ranked = np.sort(first_hash)
        if not (ranked[1:] == ranked[:-1]).any():
            return [], 0, False
        order = np.lexsort((lines, second_hash, first_hash))
        first_hash, second_hash, lines = first_hash[order], second_hash[order], lines[order]
        equal_first = first_hash[1:] == first_hash[:-1]
        same = equal_first & (second_hash[1:] == second_hash[:-1])
        if not same.any():
            return [], 0, False
        group_start = np.flatnonzero(~np.concatenate([[False], same]))
        owner = lines[group_start[np.searchsorted(group_start, np.arange(len(lines)), "right") - 1]]
        duplicate = np.concatenate([[False], same])
        pairs = sorted(zip(lines[duplicate].tolist(), owner[duplicate].tolist(), strict=True))
        labels = self.unique_labels
        errors = [
            RowError(
                line,
                "",
                "duplicate_row",
                "",
                render(
                    lambda first=first: (  # type: ignore[misc]
                        _("Duplicate row: the same %(columns)s as line %(line)d.")
                        % {"columns": labels, "line": first}
                    )
                ),
            )
            for line, first in pairs[:room]
        ]
        return errors, len(pairs), len(pairs) > room

    def _valid(self, good: list[int], lines: list[int], outputs: dict[str, list[Any]]) -> ValidRows:
        by_target: dict[str, list[Any]] = {}
        extra: list[_Column] = []
        everything = len(good) == len(lines)
        for column in self.columns:
            values = outputs[column.key]
            picked = values if everything else list(map(values.__getitem__, good))
            if column.target:
                by_target[column.target] = picked
            else:
                extra.append(column)
        ids = by_target["person"]
        digests = list(map(itemgetter(0), ids))
        masked = list(map(itemgetter(1), ids))
        n = len(good)
        nothing: list[Any] = [None] * n
        periods = by_target["period"]
        if extra:
            extra_keys = [c.key for c in extra]
            extra_values = [list(map(outputs[key].__getitem__, good)) for key in extra_keys]
            payload = [
                json.dumps(
                    {k: v for k, v in zip(extra_keys, row, strict=True) if v is not None},
                    ensure_ascii=False,
                )
                for row in zip(*extra_values, strict=True)
            ]
        else:
            payload = ["{}"] * n
        return ValidRows(
            lines=lines if everything else list(map(lines.__getitem__, good)),
            digest=digests,
            masked=masked,
            name=by_target.get("name", nothing),
            item=by_target.get("item", nothing),
            period_start=list(map(itemgetter(0), periods)),
            period_end=list(map(itemgetter(1), periods)),
            amount=by_target.get("amount", nothing),
            area=by_target.get("area", nothing),
            quantity=by_target.get("quantity", nothing),
            reference=by_target.get("reference", nothing),
            payload=payload,
        )


# Seeds of the two fingerprints' mixing, one per identifying column (odd 64-bit constants).
FIRST_SEEDS = tuple(
    np.uint64(v) for v in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)
)
SECOND_SEEDS = tuple(
    np.uint64(v) for v in (0xD6E8FEB86659FD93, 0xA0761D6478BD642F, 0xE7037ED1A0B428DB)
)


def _mix(values: np.ndarray, seed: np.uint64) -> np.ndarray:
    """A 64-bit finaliser (splitmix64) of `values` offset by `seed`: every bit of the input
    moves every bit of the output. Integer arrays wrap around on overflow."""
    x = values + seed
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _masked_raw(value: str) -> str:
    """An ID number as a report may show it: never in full."""
    text = value.replace(NUMBER_IN_TEXT_CELL, "").strip()
    if len(text) < 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def _cell_count(found: int, expected: int) -> _Bad:
    return _Bad(
        "cell_count",
        lambda: (
            _("This line has %(found)d cells but the header has %(expected)d.")
            % {"found": found, "expected": expected}
        ),
    )
