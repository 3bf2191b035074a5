"""Fixtures of the documents tests: files built in memory, media in a temporary folder."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SITE_URL = "https://minzheng.jiaxing.example"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def pdf_bytes(text: str = "income 1200") -> bytes:
    """Bytes that start like a PDF (the check reads the bytes, not the name)."""
    return b"%PDF-1.7\n% " + text.encode() + b"\n%%EOF\n"


def png_bytes(colour: str = "red") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(colour: str = "blue") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["月份", "收入"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def exe_bytes() -> bytes:
    """The start of a Windows executable: 'MZ', the DOS stub, a PE header offset."""
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def upload(data: bytes, name: str, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
