"""Reading CSV files in blocks: the hand-split fast path gives what the csv module gives."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io

import pytest
from django.conf import settings
from django.utils import translation

from minzheng.common import crypto
from minzheng.kernel.verification import reading
from minzheng.kernel.verification.reading import (
    Chunk,
    FileFacts,
    FileProblem,
    SourceFile,
    inspect,
    split_point,
)

HEADER = ["公民身份号码", "姓名", "所属月份"]
KEYS = ["id_number", "name", "month"]


def _rows_of(chunk: Chunk) -> list[list[str]]:
    if chunk.columns is not None:
        return [list(row) for row in zip(*chunk.columns, strict=True)]
    assert chunk.rows is not None
    return chunk.rows


def _read(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]], list[Chunk]]:
    file = io.BytesIO(data)
    source = SourceFile(file, inspect(file))
    chunks = list(source.chunks(KEYS))
    source.close()
    rows = [
        (line, row)
        for chunk in chunks
        for line, row in zip(chunk.lines, _rows_of(chunk), strict=True)
    ]
    return source.header, rows, chunks


def _expected(text: str) -> list[tuple[int, list[str]]]:
    """What the csv module reads, numbered from line 2, blank and comment lines left out."""
    records = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    return [
        (line, row)
        for line, row in enumerate(records[1:], start=2)
        if not reading._skipped(row, KEYS)
    ]


def _data_lines(count: int, start: int = 0) -> list[list[str]]:
    return [[f"3304{index:014d}", f"名字{index}", "2025-03"] for index in range(start, count)]


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(reading, "READ_BLOCK", 97)  # many blocks, cut inside lines


def _csv(rows: list[list[str]], terminator: str = "\r\n") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=terminator).writerows(rows)
    return buffer.getvalue()


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize("terminator", ["\r\n", "\n"])
def test_plain_rows_come_as_columns_exactly_as_the_csv_module_reads_them(terminator):
    text = _csv([HEADER, *_data_lines(40)], terminator)
    header, rows, chunks = _read(text.encode())
    assert header == HEADER
    assert rows == _expected(text)
    assert len(rows) == 40
    assert all(chunk.columns is not None for chunk in chunks)


@pytest.mark.usefixtures("small_blocks")
def test_comments_blank_lines_and_ragged_rows_are_read_as_rows():
    lines = [
        HEADER,
        KEYS,
        ["# an example row", "张三", "2025-01"],
        *_data_lines(5),
        [],
        ["330400000000000099", "extra", "2025-03", "surplus"],
        ["330400000000000098"],
        *_data_lines(12, start=5),
    ]
    text = _csv(lines)
    _, rows, chunks = _read(b"\xef\xbb\xbf" + text.encode())
    assert rows == _expected(text)
    assert [line for line, _ in rows][:6] == [4, 5, 6, 7, 8, 10]
    assert any(chunk.rows is not None for chunk in chunks)


@pytest.mark.usefixtures("small_blocks")
def test_from_the_first_quote_on_the_csv_module_reads_the_rest():
    lines = [
        HEADER,
        *_data_lines(10),
        ["330400000000000077", "名字,带逗号", "2025-03"],
        ["330400000000000078", "两\n行", "2025-04"],
        *_data_lines(20, start=10),
    ]
    text = _csv(lines)
    _, rows, _ = _read(text.encode())
    assert rows == _expected(text)
    assert ["330400000000000077", "名字,带逗号", "2025-03"] in [row for _, row in rows]


@pytest.mark.usefixtures("small_blocks")
def test_gb18030_and_lone_carriage_returns_are_read_like_the_csv_module():
    text = _csv([HEADER, *_data_lines(8)])
    _, rows, _ = _read(text.encode("gb18030"))
    assert rows == _expected(text)
    old_mac = text.replace("\r\n", "\r")
    _, rows, _ = _read(old_mac.encode())
    assert rows == _expected(old_mac)
    assert len(rows) == 8


def test_a_file_with_only_a_header_and_an_empty_file():
    header, rows, _ = _read(",".join(HEADER).encode())
    assert header == HEADER
    assert rows == []
    with pytest.raises(FileProblem) as caught:
        _read(b"")
    assert caught.value.code == "file_empty"


def test_bytes_that_are_not_gb18030_are_a_file_problem():
    data = ",".join(HEADER).encode("gb18030") + b"\r\n330400000000000001,\x81\x20,2025-03\r\n"
    file = io.BytesIO(data)
    facts = inspect(file)
    assert facts.encoding == "gb18030"
    source = SourceFile(file, facts)
    with pytest.raises(FileProblem) as caught:
        list(source.chunks(KEYS))
    assert caught.value.code == "file_encoding"


def test_the_bulk_blind_index_is_hmac_sha256():
    key = crypto._index_key(settings.PII_BLIND_INDEX_KEY)
    index = crypto.indexer(purpose="id_number")
    for value in ("330402196805040114", "", "三" * 40):
        expected = hmac.new(key, b"id_number:" + value.encode(), hashlib.sha256).hexdigest()
        assert index(value) == expected[:32]
        assert crypto.blind_index(value, purpose="id_number") == expected[:32]


def test_the_cut_falls_after_a_line_feed_with_the_next_line_number():
    lines = [b"a,b"] + [f"{n},x".encode() for n in range(2, 2000)]
    data = b"\n".join(lines) + b"\n"
    facts = inspect(io.BytesIO(data))
    assert facts.plain
    split = split_point(io.BytesIO(data), facts)
    assert split is not None
    assert data[split.offset - 1 : split.offset] == b"\n"
    line = data[split.offset : data.index(b"\n", split.offset)]
    assert int(line.split(b",")[0]) == split.first_line


@pytest.mark.parametrize(
    "data",
    [b'a,b\n1,"x"\n2,y\n', b"a,b\r1,x\r2,y\r", b"a,b\n1,x\r2,y\n"],
    ids=["quotes", "carriage returns", "a lone carriage return"],
)
def test_a_file_that_is_not_plain_is_never_cut(data):
    facts = inspect(io.BytesIO(data))
    assert not facts.plain
    assert split_point(io.BytesIO(data), facts) is None


def test_the_facts_of_an_excel_file_give_no_cut():
    facts = FileFacts("xlsx", "0" * 64, 10_000_000, "")
    assert split_point(None, facts) is None  # type: ignore[arg-type]


def test_the_encoding_is_told_by_the_first_block_with_chinese_text(monkeypatch):
    monkeypatch.setattr(reading, "READ_BLOCK", 64)
    ascii_rows = "".join(f"{n},x\n" for n in range(40))  # several blocks of plain ASCII
    gb18030 = ("a,b\n" + ascii_rows + "1,李四\n").encode("gb18030")
    assert inspect(io.BytesIO(gb18030)).encoding == "gb18030"
    utf8 = ("a,b\n" + ascii_rows + "1,李四\n").encode()
    assert inspect(io.BytesIO(utf8)).encoding == "utf-8-sig"


def test_a_file_mixing_encodings_stops_with_a_clear_problem(monkeypatch):
    monkeypatch.setattr(reading, "READ_BLOCK", 64)
    data = ("a,b\n" + "".join(f"{n},张三\n" for n in range(40))).encode()
    data += "41,李四\n".encode("gb18030")
    facts = inspect(io.BytesIO(data))
    assert facts.encoding == "utf-8-sig"  # told by the first block, which is UTF-8
    reader = SourceFile(io.BytesIO(data), facts)
    with pytest.raises(FileProblem) as caught:
        list(reader.chunks(["a", "b"]))
    assert caught.value.code == "file_encoding"
    with translation.override("en"):
        assert "mixes text encodings" in caught.value.render()
