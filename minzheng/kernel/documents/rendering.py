"""Notices as PDF: a Django template rendered by WeasyPrint with the Noto CJK fonts.

WeasyPrint lays out the HTML with Pango, which finds "Noto Serif CJK SC" and "Noto Sans CJK
SC" through fontconfig (Debian's fonts-noto-cjk). The fonts are subset into the PDF, so it
shows the same on any reader. With libharfbuzz-subset0 installed subsetting takes a few
milliseconds; without it WeasyPrint falls back to fontTools, which needs about ten seconds
for a CJK font.

Nothing is fetched while rendering: only `data:` URLs (the QR code) are loaded, so a
template or a context value cannot make the server request another address.
"""

from __future__ import annotations

import base64
import io
import logging
from typing import Any

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

QR_SCALE = 6  # pixels per module of the embedded PNG
QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules
QR_ERROR = "m"

# WeasyPrint logs each rendering step at INFO: keep the service logs for what matters.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def site_url() -> str:
    return str(getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/")


def verification_url(code: str) -> str:
    """The absolute address of the public verification page of a document."""
    return site_url() + reverse("documents:verify", kwargs={"code": code})


def qr_code(url: str) -> segno.QRCode:
    return segno.make(url, error=QR_ERROR, micro=False)


def qr_png_data_uri(url: str) -> str:
    """The QR code of `url` as a PNG data URI (black modules on white, QR_SCALE px each)."""
    buffer = io.BytesIO()
    qr_code(url).save(buffer, kind="png", scale=QR_SCALE, border=QR_BORDER)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return bytes(HTML(string=html, url_fetcher=fetcher).write_pdf())


def render_notice(*, template: str, context: dict[str, Any], language: str | None = None) -> bytes:
    """Render `template` (which extends documents/notice_base.html) to PDF bytes.

    Notices are official documents in Chinese: the site's default language is used unless
    `language` says otherwise.
    """
    with translation.override(language or settings.LANGUAGE_CODE):
        html = render_to_string(template, context)
    return html_to_pdf(html)
