"""Reading an uploaded source file: format, checksum, encoding, header and rows in chunks.

CSV is UTF-8 (with or without BOM) or GB18030, told apart by decoding the whole file once
while its checksum is computed. Excel files are .xlsx, read with openpyxl in read-only
mode. Rows arrive in chunks as lists of strings with their line numbers (the header is
line 1, as a spreadsheet shows it). A line whose first cell starts with "#" is a comment
(the template's example row and notes); a line whose cells are the column keys (the
template's second line) and blank lines are skipped.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _

CHUNK_ROWS = 20_000
READ_BLOCK = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"


class FileProblem(Exception):
    """The file as a whole cannot be imported; `render()` gives the reason in the active
    language (called once per language)."""

    def __init__(self, code: str, render: Callable[[], str]) -> None:
        super().__init__(code)
        self.code = code
        self.render = render


@dataclass(frozen=True)
class FileFacts:
    format: str  # "csv" or "xlsx"
    checksum: str
    size: int
    encoding: str  # for CSV


def inspect(file: IO[bytes]) -> FileFacts:
    """Checksum, size, format and (for CSV) the text encoding, in one pass over the file."""
    file.seek(0)
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    size = 0
    head = b""
    while block := file.read(READ_BLOCK):
        if not head:
            head = block[:4]
        digest.update(block)
        size += len(block)
        if utf8:
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                utf8 = False
    file.seek(0)
    if head.startswith(XLSX_MAGIC):
        return FileFacts("xlsx", digest.hexdigest(), size, "")
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return FileFacts("csv", digest.hexdigest(), size, "utf-8-sig" if utf8 else "gb18030")


def _normalise_header(text: str) -> str:
    return "".join(str(text or "").split()).lstrip("\ufeff").lower()


def header_positions(header: list[str], columns: list[dict[str, Any]]) -> dict[str, int]:
    """Column key → position in the file, matching Chinese headers, keys or English headers.

    Raises FileProblem naming the columns that are missing, unknown or repeated.
    """
    names: dict[str, str] = {}
    for column in columns:
        for label in (column["header_zh"], column["key"], column["header_en"]):
            names[_normalise_header(label)] = column["key"]
    positions: dict[str, int] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    for index, cell in enumerate(header):
        text = _normalise_header(cell)
        if not text:
            continue
        key = names.get(text)
        if key is None:
            unknown.append(str(cell).strip())
        elif key in positions:
            repeated.append(str(cell).strip())
        else:
            positions[key] = index
    if unknown:
        raise FileProblem(
            "unknown_columns",
            lambda: (
                _(
                    "The header row has columns this source does not know: %(columns)s. "
                    "Use the template of this source."
                )
                % {"columns": "、".join(unknown)}
            ),
        )
    if repeated:
        raise FileProblem(
            "repeated_columns",
            lambda: (
                _("The header row names a column twice: %(columns)s.")
                % {"columns": "、".join(repeated)}
            ),
        )
    missing = [c for c in columns if c["key"] not in positions and c["required"]]
    if missing:
        raise FileProblem(
            "missing_columns",
            lambda: (
                _("The header row lacks the columns %(columns)s.")
                % {"columns": "、".join(c["header_zh"] for c in missing)}
            ),
        )
    return positions


@dataclass
class Chunk:
    lines: list[int]
    rows: list[list[str]]


def _skipped(row: list[str], key_row: list[str]) -> bool:
    """A blank line, a comment (first cell starts with #) or the template's key row."""
    if not row or not any(row):
        return True
    first = row[0].lstrip()
    if first[:1] == "#":
        return True
    return first.lower() == key_row[0] and [c.strip().lower() for c in row] == key_row[: len(row)]


class SourceFile:
    """The rows of an uploaded file; iterate `chunks()` after reading `header`."""

    def __init__(self, file: IO[bytes], facts: FileFacts) -> None:
        self.facts = facts
        self._file = file
        self._workbook: Any = None
        file.seek(0)
        rows: Iterator[list[str]]
        if facts.format == "xlsx":
            rows = self._xlsx_rows()
        else:
            self._text = io.TextIOWrapper(file, encoding=facts.encoding, newline="")
            rows = csv.reader(self._text)
        self._rows = rows
        header = self._take(1)
        if not header:
            raise FileProblem("file_empty", lambda: _("The file is empty."))
        self.header = header[0]
        self._line = 2  # the line number of the next row

    def _take(self, count: int) -> list[list[str]]:
        try:
            return list(itertools.islice(self._rows, count))
        except csv.Error as error:
            message = str(error)
            raise FileProblem(
                "file_csv",
                lambda: _("The CSV file could not be read: %(detail)s") % {"detail": message},
            ) from None

    def _xlsx_rows(self) -> Iterator[list[str]]:
        from openpyxl import load_workbook

        try:
            self._workbook = load_workbook(self._file, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            detail = type(error).__name__
            raise FileProblem(
                "file_xlsx",
                lambda: (
                    _("The Excel file could not be opened (%(detail)s): save it as .xlsx.")
                    % {"detail": detail}
                ),
            ) from None
        sheet = self._workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in values]

    def chunks(self, keys: list[str], size: int = CHUNK_ROWS) -> Iterator[Chunk]:
        """The data rows in chunks of up to `size`, with their line numbers."""
        key_row = [k.lower() for k in keys]
        while block := self._take(size):
            start = self._line
            self._line += len(block)
            suspect = [
                i for i, row in enumerate(block) if not row or not row[0] or not row[0][0].isdigit()
            ]
            skip = {i for i in suspect if _skipped(block[i], key_row)}
            if not skip:
                yield Chunk(list(range(start, start + len(block))), block)
                continue
            lines = [start + i for i in range(len(block)) if i not in skip]
            rows = [row for i, row in enumerate(block) if i not in skip]
            if rows:
                yield Chunk(lines, rows)

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
        if self.facts.format == "csv":
            self._text.detach()


# A number typed into an ID-number cell: Excel keeps 15 significant digits and loses the rest.
NUMBER_IN_TEXT_CELL = "\x00number:"


def _cell_text(value: Any) -> str:
    """An Excel cell as the text the validators read."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return NUMBER_IN_TEXT_CELL + str(value) if abs(value) >= 10**14 else str(value)
    if isinstance(value, float):
        if abs(value) >= 1e14:
            return NUMBER_IN_TEXT_CELL + repr(value)
        if value.is_integer():
            return str(int(value))
        rounded = round(value, 2)
        if abs(value - rounded) < 1e-9:
            return f"{rounded:.2f}".rstrip("0").rstrip(".")
        return repr(value)
    return str(value)
