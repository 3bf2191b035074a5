"""Pages of the documents kernel, mounted at /v/.

Public, no login: the verification page a notice's QR code opens (/v/<code>/) and the
case-number look-up (/v/). Both show a status only, never personal data, and both are
rate-limited per client address (DOCUMENTS_LOOKUP_LIMIT look-ups, or unknown codes, per
10 minutes). Behind login: downloads of attachments and issued PDFs, for staff of the
target's regions and the resident the target belongs to.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from minzheng.common.errors import ApplicationError
from minzheng.kernel.documents.forms import CaseNumberForm
from minzheng.kernel.documents.selectors import case_status_lookup, document_verify
from minzheng.kernel.documents.services import attachment_download, document_download

WINDOW_SECONDS = 600
LOOKUP_LIMIT = 30


def _limit() -> int:
    return int(getattr(settings, "DOCUMENTS_LOOKUP_LIMIT", LOOKUP_LIMIT))


def _over_limit(request: HttpRequest, scope: str) -> bool:
    """Count one attempt of the client in the current window; True once past the limit."""
    window = int(time.time() // WINDOW_SECONDS)
    key = f"documents:limit:{scope}:{request.META.get('REMOTE_ADDR', '')}:{window}"
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count > _limit()


def _too_many(request: HttpRequest) -> HttpResponse:
    return render(request, "documents/public_too_many.html", status=429)


@require_GET
@never_cache
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """The verification page of one issued document: kind, case, authority, date, status."""
    document = document_verify(code=code)
    if document is None:
        if _over_limit(request, "verify"):
            return _too_many(request)
        return render(request, "documents/public_not_found.html", status=404)
    return render(request, "documents/public_verify.html", {"document": document})


@require_GET
@never_cache
def lookup(request: HttpRequest) -> HttpResponse:
    """Follow a case by its number: the case's public status only."""
    context: dict[str, Any] = {"form": CaseNumberForm()}
    if "case_number" in request.GET:
        form = CaseNumberForm(request.GET)
        context["form"] = form
        if form.is_valid():
            if _over_limit(request, "lookup"):
                return _too_many(request)
            context["searched"] = True
            context["status"] = case_status_lookup(case_number=form.cleaned_data["case_number"])
    return render(request, "documents/public_lookup.html", context)


def _signed_in(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


def _refused(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    template = "404.html" if error.status == 404 else "403.html"
    return render(request, template, status=error.status if error.status in (403, 404) else 403)


@require_GET
@never_cache
def attachment_file(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """Download an attachment (always as a download, never shown inline)."""
    if (login := _signed_in(request)) is not None:
        return login
    try:
        attachment = attachment_download(actor=request.user, attachment_id=attachment_id)  # type: ignore[arg-type]
    except ApplicationError as error:
        return _refused(request, error)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.media_type,
    )


@require_GET
@never_cache
def document_file(request: HttpRequest, document_id: int) -> HttpResponseBase:
    """Open an issued notice's PDF."""
    if (login := _signed_in(request)) is not None:
        return login
    try:
        document = document_download(actor=request.user, document_id=document_id)  # type: ignore[arg-type]
    except ApplicationError as error:
        return _refused(request, error)
    return FileResponse(
        document.file.open("rb"),
        filename=f"{document.title}-{document.number or document.pk}.pdf",
        content_type="application/pdf",
    )
