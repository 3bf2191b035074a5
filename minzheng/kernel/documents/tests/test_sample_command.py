"""The operator's font check: documents_sample_notice renders without a database."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from minzheng.kernel.documents.management.commands import documents_sample_notice


def test_sample_notice_renders_chinese_text(tmp_path):
    output = tmp_path / "sample.pdf"
    out = io.StringIO()
    call_command("documents_sample_notice", str(output), stdout=out)
    text = "".join(page.extract_text() for page in PdfReader(output).pages).replace("\n", "")
    assert "最低生活保障申请受理通知书（样张）" in text
    assert "本样张用于检查字体与二维码，不具有任何效力。" in text
    assert "Wrote" in out.getvalue()


def test_sample_notice_refuses_without_fonts(tmp_path, monkeypatch):
    monkeypatch.setattr(documents_sample_notice, "missing_fonts", lambda: ["Noto Serif CJK SC"])
    with pytest.raises(CommandError, match="fonts-noto-cjk"):
        call_command("documents_sample_notice", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()
