"""Downloadable templates of a source's file: CSV and Excel (.xlsx).

Both start with the Chinese header row and a row of the English column keys (the importer
recognises and skips it), then an example row marked as a comment with a leading "#".
The Excel template adds a sheet explaining each column and its codes; the CSV template
explains them in comment lines at the end.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from minzheng.kernel.verification import sources as spec
from minzheng.kernel.verification.models import DataSource

# GB 11643's own sample number: valid, and nobody's.
EXAMPLE_ID_NUMBER = "11010519491231002X"
TYPE_LABELS = {
    spec.ID_NUMBER: ("身份证号码", "ID number"),
    spec.NAME: ("文本", "text"),
    spec.MONTH: ("月份 YYYY-MM", "month YYYY-MM"),
    spec.DATE: ("日期 YYYY-MM-DD", "date YYYY-MM-DD"),
    spec.MONEY: ("金额（元，两位小数）", "amount (yuan, 2 decimals)"),
    spec.DECIMAL: ("数值（两位小数）", "number (2 decimals)"),
    spec.INTEGER: ("整数", "whole number"),
    spec.CODE: ("代码", "code"),
    spec.TEXT: ("文本", "text"),
}


def _example(column: dict[str, Any]) -> str:
    if column["type"] == spec.ID_NUMBER:
        return EXAMPLE_ID_NUMBER
    return str(column.get("example", ""))


def _codes(column: dict[str, Any]) -> str:
    return "；".join(
        f"{code['code']} = {code['label_zh']} / {code['label_en']}"
        for code in column.get("codes", [])
    )


def _note(column: dict[str, Any]) -> list[str]:
    zh, en = TYPE_LABELS[column["type"]]
    required = "必填 required" if column["required"] else "选填 optional"
    return [
        column["header_zh"],
        column["key"],
        column["header_en"],
        f"{zh} / {en}",
        required,
        " ".join(filter(None, [column.get("help_zh", ""), column.get("help_en", "")])),
        _example(column),
        _codes(column),
    ]


NOTE_HEADER = [
    "列名",
    "key",
    "Column",
    "类型 Type",
    "必填 Required",
    "说明 Help",
    "示例 Example",
    "代码 Codes",
]


def template_csv(source: DataSource) -> bytes:
    """UTF-8 with a BOM, so that Excel opens the Chinese headers correctly."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")
    columns = source.columns
    out.writerow([c["header_zh"] for c in columns])
    out.writerow([c["key"] for c in columns])
    example = [_example(c) for c in columns]
    out.writerow(["#" + example[0], *example[1:]])
    out.writerow(
        [
            f"# {source.name_zh}（{source.department_zh}）: "
            "以 # 开头的行不导入 / lines starting with # are not imported"
        ]
    )
    for column in columns:
        note = _note(column)
        out.writerow(
            [f"# {note[0]} ({note[1]}): {note[3]}, {note[4]}. {note[5]} {note[7]}".strip()]
        )
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def template_xlsx(source: DataSource) -> bytes:
    workbook = Workbook()
    data = workbook.active
    data.title = "数据 data"
    columns = source.columns
    header_fill = PatternFill("solid", fgColor="1F4E79")
    key_fill = PatternFill("solid", fgColor="D9E1F2")
    example_font = Font(italic=True, color="808080")
    data.append([c["header_zh"] for c in columns])
    data.append([c["key"] for c in columns])
    example = [_example(c) for c in columns]
    data.append(["#" + example[0], *example[1:]])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        data.column_dimensions[letter].width = max(14, len(column["header_zh"]) * 2 + 4)
        # Text format keeps ID numbers and codes exactly as typed (no 1.1E+17).
        if column["type"] in (spec.ID_NUMBER, spec.TEXT, spec.CODE, spec.NAME):
            data.column_dimensions[letter].number_format = "@"
        header = data.cell(row=1, column=index)
        header.font = Font(bold=True, color="FFFFFF")
        header.fill = header_fill
        data.cell(row=2, column=index).fill = key_fill
        data.cell(row=3, column=index).font = example_font
        for row in (1, 2, 3):
            data.cell(row=row, column=index).number_format = "@"
    data.freeze_panes = "A3"

    notes = workbook.create_sheet("填写说明 help")
    notes.append([f"{source.name_zh} / {source.name_en}"])
    notes.append([f"{source.department_zh} / {source.department_en}"])
    notes.append(
        [
            "第1行为中文列名，第2行为英文列名（导入时自动跳过），以 # 开头的行（如示例行）不导入。"
            " Row 1 holds the Chinese headers, row 2 the English keys (skipped on import);"
            " rows starting with # (such as the example) are not imported."
        ]
    )
    notes.append([])
    notes.append(NOTE_HEADER)
    for cell in notes[5]:
        cell.font = Font(bold=True)
    for column in columns:
        notes.append(_note(column))
    for index, width in enumerate([18, 16, 24, 24, 16, 60, 24, 60], start=1):
        notes.column_dimensions[get_column_letter(index)].width = width
    for row in notes.iter_rows(min_row=6):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    notes["A1"].font = Font(bold=True, size=14)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
