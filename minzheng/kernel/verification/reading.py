"""Reading an uploaded source file: format, checksum, encoding, header and rows in chunks.

CSV is UTF-8 (with or without BOM) or GB18030, told apart while the checksum is computed by
decoding the first block (2 MB) that holds non-ASCII text: Chinese text in GB18030 is not
valid UTF-8 beyond a few characters. The readers decode every block again; a later block
that is not valid in the encoding found stops the import with a clear problem. Excel files
are .xlsx, read with openpyxl in read-only mode. Rows arrive in chunks as lists of strings
with their line numbers (the header is line 1, as a spreadsheet shows it). A line whose
first cell starts with "#" is a comment (the template's example row and notes); a line
whose cells are the column keys (the template's second line) and blank lines are skipped.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
from django.utils.translation import gettext as _

CHUNK_ROWS = 20_000
READ_BLOCK = 1 << 21
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
    # A CSV file without quotes or lone carriage returns: every line feed ends a row, so the
    # file can be cut at any line feed (see split_point).
    plain: bool = False
    newlines: tuple[int, ...] = ()  # line feeds in each READ_BLOCK of the file


@dataclass(frozen=True)
class Split:
    """A piece of a plain CSV file: from `offset`, the first byte of line number
    `first_line`, up to `stop` (a later piece's offset; None: the end of the file)."""

    offset: int
    first_line: int
    stop: int | None = None


def split_point(file: IO[bytes], facts: FileFacts, share: float = 0.5) -> Split | None:
    """A cut of a plain CSV file after about `share` of its bytes, at a line boundary; None
    when the file is not plain or has no line feed after that point."""
    if facts.format != "csv" or not facts.plain or not facts.newlines:
        return None
    block_index = min(int(facts.size * share) // READ_BLOCK, len(facts.newlines) - 1)
    start = block_index * READ_BLOCK
    data = _read_at(file, start, READ_BLOCK)
    middle = int(facts.size * share) - start
    cut = data.find(b"\n", max(middle, 0))
    if cut < 0 or start + cut + 1 >= facts.size:
        return None
    before = sum(facts.newlines[:block_index]) + data.count(b"\n", 0, cut + 1)
    return Split(offset=start + cut + 1, first_line=before + 1)


def pieces(file: IO[bytes], facts: FileFacts, count: int) -> list[Split]:
    """The pieces after the first of a plain CSV file cut into about `count` pieces of equal
    size at line boundaries (the first piece, with the header, ends at the first offset);
    empty when the file cannot be cut."""
    cuts: list[Split] = []
    for index in range(1, count):
        cut = split_point(file, facts, index / count)
        if cut is not None and (not cuts or cut.offset > cuts[-1].offset):
            cuts.append(cut)
    return [
        Split(cut.offset, cut.first_line, cuts[i + 1].offset if i + 1 < len(cuts) else None)
        for i, cut in enumerate(cuts)
    ]


def _read_at(file: IO[bytes], offset: int, size: int) -> bytes:
    """`size` bytes from `offset`, without moving a position another process shares."""
    try:
        descriptor = file.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        file.seek(offset)
        return file.read(size)
    return os.pread(descriptor, size, offset)


def _hash_and_count(digest: Any, block: bytes) -> int:
    """Hash a block and count its line feeds (numpy: several times faster than bytes.count).
    Both release the GIL, so this runs beside the reading thread."""
    digest.update(block)
    return int(np.count_nonzero(np.frombuffer(block, np.uint8) == _NEWLINE))


def inspect(file: IO[bytes]) -> FileFacts:
    """Checksum, size, format and (for CSV) the text encoding, in one pass over the file."""
    file.seek(0)
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    decided = False  # a block with non-ASCII text decoded as UTF-8
    size = 0
    head = b""
    quoted = False
    returns = 0  # carriage returns not in front of a line feed
    newlines: list[int] = []
    # hashlib and numpy release the GIL on large blocks: hash block k and count its line
    # feeds in a thread while the next block is read and looked at here (in order).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="verification-sha") as pool:
        hashing: Future[int] | None = None
        while block := file.read(READ_BLOCK):
            if not head:
                head = block[:4]
            if hashing is not None:
                newlines.append(hashing.result())
            hashing = pool.submit(_hash_and_count, digest, block)
            size += len(block)
            quoted = quoted or b'"' in block
            if b"\r" in block:
                returns += block.count(b"\r") - block.count(b"\r\n")
                returns += block.endswith(b"\r")  # a CR ending a block counts as lone
            if utf8 and not decided and not block.isascii():
                try:
                    decoder.decode(block)
                    decided = True
                except UnicodeDecodeError:
                    utf8 = False
        if hashing is not None:
            newlines.append(hashing.result())
    file.seek(0)
    if head.startswith(XLSX_MAGIC):
        return FileFacts("xlsx", digest.hexdigest(), size, "")
    return FileFacts(
        "csv",
        digest.hexdigest(),
        size,
        "utf-8-sig" if utf8 else "gb18030",
        plain=not quoted and not returns,
        newlines=tuple(newlines),
    )


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
    """Rows of a file with their line numbers: as `rows` of cells, or (the fast path of a
    plain CSV file, every row exactly as wide as the header) as `columns` of cells."""

    lines: list[int]
    rows: list[list[str]] | None = None
    columns: list[list[str]] | None = None

    def __len__(self) -> int:
        return len(self.lines)

    def keep(self, indexes: list[int]) -> Chunk:
        """The chunk with only the rows at `indexes`."""
        lines = list(map(self.lines.__getitem__, indexes))
        if self.columns is not None:
            return Chunk(lines, columns=[list(map(c.__getitem__, indexes)) for c in self.columns])
        assert self.rows is not None
        return Chunk(lines, rows=list(map(self.rows.__getitem__, indexes)))


def _skipped(row: list[str], key_row: list[str]) -> bool:
    """A blank line, a comment (first cell starts with #) or the template's key row."""
    if not row or not any(row):
        return True
    first = row[0].lstrip()
    if first[:1] == "#":
        return True
    return first.lower() == key_row[0] and [c.strip().lower() for c in row] == key_row[: len(row)]


def _csv_failure(detail: str) -> FileProblem:
    return FileProblem(
        "file_csv",
        lambda: _("The CSV file could not be read: %(detail)s") % {"detail": detail},
    )


_COMMA, _NEWLINE, _ZERO, _NINE = ord(","), ord("\n"), ord("0"), ord("9")


def _plain_columns(raw: bytes, text: str, width: int) -> list[list[str]] | None:
    """The cells of a block of whole lines by column, when every line has exactly `width`
    cells, no quotes and a first cell starting with a digit (a data row); else None.

    Commas and line feeds are single bytes in UTF-8 and GB18030 alike (never part of a
    multi-byte character), so the line shapes are checked on the bytes, as arrays.
    """
    data = np.frombuffer(raw, dtype=np.uint8)
    separators = np.flatnonzero((data == _COMMA) | (data == _NEWLINE))
    kinds = data[separators]
    if not len(kinds) or len(kinds) % width:
        return None
    shape = kinds.reshape(-1, width)
    if not (shape[:, -1] == _NEWLINE).all() or not (shape[:, :-1] == _COMMA).all():
        return None
    starts = data[np.concatenate(([0], separators[width - 1 :: width][:-1] + 1))]
    if not ((starts >= _ZERO) & (starts <= _NINE)).all():
        return None
    if "\r" in text:  # carriage returns only in front of line feeds (checked before)
        text = text.replace("\r\n", ",")
    cells = text.replace("\n", ",").split(",")
    cells.pop()  # after the last line feed
    return [cells[i::width] for i in range(width)]


class SourceFile:
    """The rows of an uploaded file; iterate `chunks()` after reading `header`.

    A CSV file is read in blocks of whole lines. A block without quotes is split by hand
    (a block of plain data rows straight into columns); from the first block with a quote
    or a lone carriage return on, the csv module reads the rest of the file.
    """

    def __init__(
        self,
        file: IO[bytes],
        facts: FileFacts,
        *,
        stop: int | None = None,
        part: tuple[Split, list[str]] | None = None,
    ) -> None:
        """Read the whole file, or only its bytes before `stop`; or, with `part` (a piece
        of the file and the header the first piece read), the rows of that piece."""
        self.facts = facts
        self._file = file
        self._workbook: Any = None
        self._text: io.TextIOWrapper | None = None
        self._rows: Iterator[list[str]] | None = None
        self._blocks: Iterator[tuple[int, bytes]] | None = None
        self._pending: tuple[int, bytes] | None = None
        self._stop = stop
        if part is not None:
            split, self.header = part
            self._stop = split.stop
            self._blocks = self._raw_blocks(split.offset)
            self._line = split.first_line
            return
        file.seek(0)
        if facts.format == "xlsx":
            self._rows = self._xlsx_rows()
            header = self._take(1)
        else:
            header = self._csv_header()
        if not header:
            raise FileProblem("file_empty", lambda: _("The file is empty."))
        self.header = header[0]
        self._line = 2  # the line number of the next row

    def _csv_header(self) -> list[list[str]]:
        self._blocks = self._raw_blocks()
        first = next(self._blocks, None)
        if first is None:
            return []
        offset, raw = first
        end = raw.find(b"\n") + 1 or len(raw)
        line = raw[:end]
        if b'"' in line or b"\r" in line.rstrip(b"\r\n") or line.endswith(b"\r\r\n"):
            self._csv_from(0)
            return self._take(1)
        text = self._decode(line, start=True).rstrip("\r\n")
        if end < len(raw):
            self._pending = (offset + end, raw[end:])
        return [text.split(",") if text else []]

    def _raw_blocks(self, start: int = 0) -> Iterator[tuple[int, bytes]]:
        """(offset, bytes) of blocks of whole lines (the last one may lack its line feed),
        from `start` to the end or to the reader's stop. A part of a file is read by
        position, so the two parts of a split file never move each other's position."""
        offset, rest, at = start, b"", start
        while True:
            size = READ_BLOCK if self._stop is None else min(READ_BLOCK, self._stop - at)
            data = _read_at(self._file, at, size) if size > 0 else b""
            if not data:
                break
            at += len(data)
            data = rest + data
            cut = data.rfind(b"\n") + 1
            if not cut:
                rest = data
                continue
            rest = data[cut:]
            yield offset, data[:cut]
            offset += cut
        if rest:
            yield offset, rest

    def _decode(self, raw: bytes, *, start: bool = False, offset: int = 0) -> str:
        encoding = self.facts.encoding
        if encoding == "utf-8-sig" and not start:
            encoding = "utf-8"
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as error:
            at = offset + error.start
            name = "UTF-8" if encoding.startswith("utf-8") else "GB18030"
            raise FileProblem(
                "file_encoding",
                lambda: (
                    _(
                        "Part of the file is not %(encoding)s text (at byte %(offset)d): the "
                        "file mixes text encodings. Save the whole file as UTF-8 and upload "
                        "it again."
                    )
                    % {"encoding": name, "offset": at}
                ),
            ) from None

    def _csv_from(self, offset: int) -> None:
        """Read the rest of the file, from `offset`, with the csv module."""
        self._blocks = None
        self._file.seek(offset)
        encoding = self.facts.encoding
        if offset and encoding == "utf-8-sig":
            encoding = "utf-8"
        self._text = io.TextIOWrapper(self._file, encoding=encoding, newline="")  # type: ignore[arg-type]
        self._rows = csv.reader(self._text)

    def _take(self, count: int) -> list[list[str]]:
        assert self._rows is not None
        try:
            return list(itertools.islice(self._rows, count))
        except csv.Error as error:
            raise _csv_failure(str(error)) from None
        except UnicodeDecodeError as error:
            raise _csv_failure(str(error)) from None

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
        """The data rows in chunks (of up to `size` rows, or one block), with line numbers."""
        key_row = [k.lower() for k in keys]
        width = len(self.header)
        while self._blocks is not None:
            if self._pending is not None:
                block, self._pending = self._pending, None
            else:
                block = next(self._blocks, None)  # type: ignore[assignment]
                if block is None:
                    return
            offset, raw = block
            # A plain file (inspect) has neither: nothing to look for.
            if not self.facts.plain and (b'"' in raw or raw.count(b"\r") != raw.count(b"\r\n")):
                self._csv_from(offset)
                break
            if not raw.endswith(b"\n"):
                raw += b"\n"
            text = self._decode(raw, offset=offset)
            columns = _plain_columns(raw, text, width) if width > 1 else None
            if columns is not None:
                start = self._line
                self._line += len(columns[0])
                yield Chunk(list(range(start, self._line)), columns=columns)
                continue
            rows = [line.split(",") for line in text.replace("\r\n", "\n").split("\n")]
            rows.pop()  # after the last line feed
            chunk = self._rows_chunk(rows, key_row)
            if chunk is not None:
                yield chunk
        while block_rows := self._take(size):
            chunk = self._rows_chunk(block_rows, key_row)
            if chunk is not None:
                yield chunk

    def _rows_chunk(self, block: list[list[str]], key_row: list[str]) -> Chunk | None:
        start = self._line
        self._line += len(block)
        suspect = [
            i for i, row in enumerate(block) if not row or not row[0] or not row[0][0].isdigit()
        ]
        skip = {i for i in suspect if _skipped(block[i], key_row)}
        if not skip:
            return Chunk(list(range(start, start + len(block))), rows=block)
        lines = [start + i for i in range(len(block)) if i not in skip]
        rows = [row for i, row in enumerate(block) if i not in skip]
        return Chunk(lines, rows=rows) if rows else None

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
        if self._text is not None:
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
