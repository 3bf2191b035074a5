"""What a file really is, read from its bytes: the name and type a browser sends are not trusted.

Only formats a clerk needs are recognised: PDF, JPEG, PNG, and the Office Open XML files
of Excel (.xlsx) and Word (.docx). Anything else — an executable renamed to .pdf, an old
binary Office file that may carry macros, a ZIP of something else — is refused.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from typing import IO

from minzheng.kernel.documents.hooks import DOCX, JPEG, PDF, PNG, XLSX

CHUNK = 1 << 16
HEAD = 16

MEDIA_TYPES = {
    PDF: "application/pdf",
    JPEG: "image/jpeg",
    PNG: "image/png",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
FORMAT_NAMES = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG", XLSX: "Excel (.xlsx)", DOCX: "Word (.docx)"}


@dataclass(frozen=True)
class FileFacts:
    format: str | None  # one of MEDIA_TYPES' keys, or None when the bytes are none of them
    size: int
    sha256: str
    too_large: bool


def inspect(file: IO[bytes], *, max_bytes: int) -> FileFacts:
    """Size, SHA-256 and format of `file`, reading at most `max_bytes` + 1 bytes.

    The file must be seekable; it is left at its start.
    """
    file.seek(0)
    digest = hashlib.sha256()
    size = 0
    head = b""
    while chunk := file.read(CHUNK):
        if len(head) < HEAD:
            head += chunk[: HEAD - len(head)]
        size += len(chunk)
        if size > max_bytes:
            file.seek(0)
            return FileFacts(format=None, size=size, sha256="", too_large=True)
        digest.update(chunk)
    file.seek(0)
    file_format = sniff(head, file)
    file.seek(0)
    return FileFacts(format=file_format, size=size, sha256=digest.hexdigest(), too_large=False)


def sniff(head: bytes, file: IO[bytes]) -> str | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"PK\x03\x04"):
        return _office_format(file)
    return None


def _office_format(file: IO[bytes]) -> str | None:
    """xlsx or docx when the ZIP is an Office Open XML package without macros."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names or any(name.endswith("vbaProject.bin") for name in names):
        return None
    if "xl/workbook.xml" in names:
        return XLSX
    if "word/document.xml" in names:
        return DOCX
    return None
