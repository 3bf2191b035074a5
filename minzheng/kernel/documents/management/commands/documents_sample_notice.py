"""Render a sample notice to PDF without touching the database: checks fonts and Pango.

    python manage.py documents_sample_notice /tmp/sample-notice.pdf

Open the file (or `pdftoppm -png` it): the Chinese text must show as characters, not boxes.
The command fails when the Noto CJK fonts are missing, and says how long rendering took.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from minzheng.kernel.documents import rendering

FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC")
SAMPLE_CODE = "SAMPLE-not-a-real-document-0000"


def missing_fonts() -> list[str]:
    """The Noto CJK families fontconfig cannot find (all of them if fc-match is absent)."""
    if shutil.which("fc-match") is None:
        return list(FONTS)
    missing = []
    for family in FONTS:
        found = subprocess.run(  # noqa: S603 - fixed arguments
            ["fc-match", "--format=%{family}", family],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if family not in found:
            missing.append(family)
    return missing


class Command(BaseCommand):
    help = "Render a sample notice (Chinese text, QR code) to a PDF file to check fonts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", type=Path, help="Where to write the PDF.")

    def handle(self, *args: Any, **options: Any) -> None:
        missing = missing_fonts()
        if missing:
            raise CommandError(
                "Fonts not found: " + ", ".join(missing) + " (apt-get install fonts-noto-cjk)."
            )
        url = rendering.verification_url(SAMPLE_CODE)
        document = SimpleNamespace(
            title="最低生活保障申请受理通知书（样张）",
            authority="嘉兴市南湖区新嘉街道办事处",
            number="嘉民〔2026〕1号",
            case_number="SAMPLE-0001",
            verification_code=SAMPLE_CODE,
            issued_on=timezone.localdate(),
        )
        started = time.perf_counter()
        pdf = rendering.render_notice(
            template="documents/notices/generic.html",
            context={
                "document": document,
                "verification_url": url,
                "qr_data_uri": rendering.qr_png_data_uri(url),
                "recipient": "张建国",
                "paragraphs": [
                    "你户提出的最低生活保障申请，经审查，申请材料齐全，符合受理条件，予以受理。",
                    "本样张用于检查字体与二维码，不具有任何效力。",
                ],
                "details": [("申请类别", "最低生活保障"), ("联系电话", "0573-00000000")],
            },
        )
        seconds = time.perf_counter() - started
        options["output"].write_bytes(pdf)
        self.stdout.write(
            f"Wrote {options['output']} ({len(pdf)} bytes) in {seconds:.2f} s; QR opens {url}"
        )
