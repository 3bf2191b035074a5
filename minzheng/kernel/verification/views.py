"""Back-office pages of household verification. Thin: each view calls selectors or one service.

Every view is wrapped by the back office's staff_view (login, staff only, refusals as
responses) and rendered in the shared layout.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minzheng.common.errors import ApplicationError, PermissionRefused
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.verification import spreadsheets
from minzheng.kernel.verification.forms import HouseholdLookupForm, ReportForm, UploadForm
from minzheng.kernel.verification.models import BatchStatus, ReportPurpose
from minzheng.kernel.verification.selectors import (
    data_source_get,
    data_source_list,
    may_import,
    may_view,
    report_records,
    source_batch_get,
    source_batch_list,
    source_row_error_list,
    verification_household_get,
    verification_report_get,
    verification_report_list,
)
from minzheng.kernel.verification.services import (
    source_batch_accept,
    source_batch_discard,
    source_batch_import,
    verification_report_create,
)
from minzheng.kernel.verification.sources import INCOME_HEADINGS
from minzheng.web.backoffice.access import actor_of, page, staff_view

PAGE_SIZE = 20
ERROR_PAGE_SIZE = 100
RECENT = 5
HEADING_LABELS = {
    "wage": gettext_lazy("Wages"),
    "business": gettext_lazy("Business"),
    "property": gettext_lazy("Property"),
    "transfer": gettext_lazy("Transfers and pensions"),
    "pension_basic": gettext_lazy("Residents' basic pension"),
    "excluded": gettext_lazy("Excluded income"),
}


def _require_view(request: HttpRequest) -> None:
    if not may_view(actor_of(request)):
        raise PermissionRefused(_("Your role does not give access to this page."))


def _page_of(request: HttpRequest, rows: Any, size: int = PAGE_SIZE) -> Any:
    return Paginator(rows, size).get_page(request.GET.get("page"))


@staff_view()
def index(request: HttpRequest) -> HttpResponse:
    """The data sources with their templates, the upload form and recent work."""
    _require_view(request)
    actor = actor_of(request)
    sources = data_source_list(actor=actor)
    context: dict[str, Any] = {
        "sources": sources,
        "can_import": may_import(actor),
        "can_report": has_perm(actor, Perm.VERIFICATION_REPORT),
        "lookup_form": HouseholdLookupForm(),
        "recent_reports": list(verification_report_list(actor=actor)[:RECENT]),
    }
    if context["can_import"]:
        context["upload_form"] = UploadForm(sources=sources)
        context["recent_batches"] = list(source_batch_list(actor=actor)[:RECENT])
    return page(request, "verification/index.html", context)


def _template(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    _require_view(request)
    source = data_source_get(actor=actor_of(request), code=code)
    if fmt == "csv":
        body, content_type = spreadsheets.template_csv(source), "text/csv; charset=utf-8"
    else:
        body = spreadsheets.template_xlsx(source)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="template-{source.code}.{fmt}"'
    return response


@staff_view()
def template_csv_view(request: HttpRequest, code: str) -> HttpResponse:
    return _template(request, code, "csv")


@staff_view()
def template_xlsx_view(request: HttpRequest, code: str) -> HttpResponse:
    return _template(request, code, "xlsx")


@staff_view(perm=Perm.VERIFICATION_IMPORT)
def upload(request: HttpRequest) -> HttpResponse:
    """Upload a file: a clean file is imported at once, otherwise its bad rows are shown."""
    actor = actor_of(request)
    sources = data_source_list(actor=actor)
    form = UploadForm(request.POST or None, request.FILES or None, sources=sources)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            uploaded = form.cleaned_data["file"]
            try:
                batch = source_batch_import(
                    actor=actor,
                    source=form.cleaned_data["source"],
                    file=uploaded,
                    file_name=uploaded.name,
                )
            except ApplicationError as error:
                form.add_error("file", str(error.message))
                status = error.status
            else:
                if batch.status == BatchStatus.IMPORTED:
                    messages.success(
                        request,
                        _("All %(count)d rows were imported.") % {"count": batch.imported_count},
                    )
                return redirect("verification:batch", batch_id=batch.pk)
    return page(request, "verification/upload.html", {"form": form}, status=status)


@staff_view(perm=Perm.VERIFICATION_IMPORT)
def batch_index(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    status = request.GET.get("status", "")
    if status not in BatchStatus.values:
        status = ""
    batches = source_batch_list(actor=actor, status=status)
    return page(
        request,
        "verification/batches.html",
        {"page_obj": _page_of(request, batches), "status": status, "statuses": BatchStatus.choices},
    )


@staff_view(perm=Perm.VERIFICATION_IMPORT)
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = source_batch_get(actor=actor_of(request), batch_id=batch_id)
    errors = source_row_error_list(batch=batch)
    headers = {c["key"]: c["header_zh"] for c in batch.source.columns}
    return page(
        request,
        "verification/batch.html",
        {
            "batch": batch,
            "page_obj": _page_of(request, errors, ERROR_PAGE_SIZE),
            "headers": headers,
        },
    )


@require_POST
@staff_view(perm=Perm.VERIFICATION_IMPORT)
def batch_accept(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = actor_of(request)
    batch = source_batch_get(actor=actor, batch_id=batch_id)
    batch = source_batch_accept(actor=actor, batch=batch)
    messages.success(
        request,
        _("%(count)d valid rows were imported; the rows with errors were left out.")
        % {"count": batch.imported_count},
    )
    return redirect("verification:batch", batch_id=batch.pk)


@require_POST
@staff_view(perm=Perm.VERIFICATION_IMPORT)
def batch_discard(request: HttpRequest, batch_id: int) -> HttpResponse:
    actor = actor_of(request)
    batch = source_batch_discard(
        actor=actor, batch=source_batch_get(actor=actor, batch_id=batch_id)
    )
    messages.info(request, _("The batch was discarded: nothing was imported."))
    return redirect("verification:batch", batch_id=batch.pk)


@staff_view(perm=Perm.VERIFICATION_VIEW)
def household_lookup(request: HttpRequest) -> HttpResponse:
    form = HouseholdLookupForm(request.GET)
    if form.is_valid():
        return redirect("verification:household", household_id=form.cleaned_data["household"])
    return redirect("verification:index")


@staff_view(perm=Perm.VERIFICATION_VIEW)
def household_check(request: HttpRequest, household_id: int) -> HttpResponse:
    """A household's members and reports; POST freezes a new report."""
    actor = actor_of(request)
    household = verification_household_get(actor=actor, household_id=household_id)
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                report = verification_report_create(
                    actor=actor,
                    household=household,
                    purpose=form.cleaned_data["purpose"],
                    note=form.cleaned_data["note"],
                    as_of=form.cleaned_data["as_of"],
                )
            except ApplicationError as error:
                if error.status in (403, 404):
                    raise
                form.add_error(None, str(error.message))
                status = error.status
            else:
                messages.success(request, _("The verification report was created."))
                return redirect("verification:report", report_id=report.pk)
    members = household.current_memberships  # type: ignore[attr-defined]
    return page(
        request,
        "verification/household.html",
        {
            "household": household,
            "members": members,
            "head": next((m.person for m in members if m.relation == "head"), None),
            "form": form,
            "can_report": has_perm(actor, Perm.VERIFICATION_REPORT, household.region),
            "reports": list(verification_report_list(actor=actor, household=household)[:20]),
        },
        status=status,
    )


@staff_view(perm=Perm.VERIFICATION_VIEW)
def report_index(request: HttpRequest) -> HttpResponse:
    reports = verification_report_list(actor=actor_of(request))
    return page(request, "verification/reports.html", {"page_obj": _page_of(request, reports)})


@staff_view(perm=Perm.VERIFICATION_VIEW)
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = verification_report_get(actor=actor_of(request), report_id=report_id)
    facts = report.summary
    records = list(report_records(report=report)[:500])
    names = {m["person_id"]: m["name"] for m in facts.get("members", [])}
    return page(
        request,
        "verification/report.html",
        {
            "report": report,
            "facts": facts,
            "headings": [(h, HEADING_LABELS[h]) for h in INCOME_HEADINGS],
            "records": records,
            "record_names": names,
            "records_cut": report.record_count > len(records),
            "purpose_label": ReportPurpose(report.purpose).label,
            "household_url": reverse("verification:household", args=[report.household_id]),
        },
    )
