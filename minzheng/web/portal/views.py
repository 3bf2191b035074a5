"""Resident portal (码上办): login by mobile phone and one-time code, and the resident's page.

Residents see only their own record and household, found through their account's link to
the register. Staff accounts are sent to the back office.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from minzheng.common.errors import ApplicationError, Conflict
from minzheng.common.masking import mask_name, mask_phone
from minzheng.domains.assistance.selectors.portal import (
    draft_list,
    draft_removal_date,
    draft_retention_days,
    resident_application_list,
    resident_next_step,
)
from minzheng.domains.assistance.services.portal import resident_link
from minzheng.kernel.accounts.selectors import CodeState, one_time_code_status
from minzheng.kernel.accounts.services import one_time_code_send
from minzheng.kernel.people.selectors import resident_household, resident_person
from minzheng.kernel.regions.selectors import ancestors
from minzheng.web.portal.forms import CodeForm, LinkForm, PhoneForm

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

# The back office owns "/"; staff who open a portal page are sent there.
BACKOFFICE_HOME = "/"
CONSOLE_SMS_BACKEND = "minzheng.kernel.notifications.backends.ConsoleSmsBackend"

View = Callable[..., HttpResponse]


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _is_resident(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and getattr(request.user, "is_resident", False))


def resident_required(view: View) -> View:
    """Let residents through; send visitors to the portal login and staff to the back office."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        if not _is_resident(request):
            return redirect(BACKOFFICE_HOME)
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    """Where to go after login: a portal page on this site, else the resident's page."""
    if (
        candidate
        and candidate.startswith("/portal/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return reverse("portal:home")


def _render_login(
    request: HttpRequest,
    *,
    step: str,
    form: PhoneForm,
    phone: str = "",
    error: str = "",
    notice: str = "",
) -> HttpResponse:
    """The login card at `step` ("phone" or "code"): the partial for htmx, else the page."""
    context = {
        "step": step,
        "form": form,
        "phone": phone,
        "masked_phone": mask_phone(phone),
        "error": error,
        "notice": notice,
        "next": _safe_next(request, request.POST.get("next") or request.GET.get("next")),
        "ttl_minutes": max(1, settings.ONE_TIME_CODE_TTL_SECONDS // 60),
        "show_console_hint": settings.DEBUG and settings.SMS_BACKEND == CONSOLE_SMS_BACKEND,
        "language_next": reverse("portal:login"),
    }
    template = "portal/_login_step.html" if _is_htmx(request) else "portal/login.html"
    return render(request, template, context)


@require_GET
def login_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        if _is_resident(request):
            return redirect(_safe_next(request, request.GET.get("next")))
        return redirect(BACKOFFICE_HOME)
    return _render_login(request, step="phone", form=PhoneForm())


@require_POST
def code_send(request: HttpRequest) -> HttpResponse:
    """Send a one-time code to the phone; used for the first send and for "send again"."""
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return _render_login(request, step="phone", form=form)
    phone = form.cleaned_data["phone"]
    try:
        one_time_code_send(phone=phone)
    except Conflict as refusal:
        # A code went out less than a minute ago: it still works, so stay on the code step.
        return _render_login(
            request,
            step="code",
            form=CodeForm(initial={"phone": phone}),
            phone=phone,
            error=str(refusal.message),
        )
    except ApplicationError as refusal:
        return _render_login(request, step="phone", form=form, error=str(refusal.message))
    return _render_login(
        request,
        step="code",
        form=CodeForm(initial={"phone": phone}),
        phone=phone,
        notice=_("A 6-digit code has been sent to %(phone)s.") % {"phone": mask_phone(phone)},
    )


def _refusal(request: HttpRequest, phone: str) -> str:
    """Why authenticate() refused the code, in words a resident can act on."""
    if getattr(request, "axes_locked_out", False):
        # Answer the lockout here, inside the login card; AxesMiddleware would otherwise
        # replace this response with the back office's lockout page. The lockout itself
        # stays recorded, so the next attempt is refused again.
        request.axes_locked_out = False  # type: ignore[attr-defined]
        minutes = max(1, round(float(settings.AXES_COOLOFF_TIME) * 60))
        return ngettext(
            "Too many failed attempts from this device. Try again in %(count)d minute.",
            "Too many failed attempts from this device. Try again in %(count)d minutes.",
            minutes,
        ) % {"count": minutes}
    status = one_time_code_status(phone=phone)
    if status.state == CodeState.DISABLED:
        return _("This account is disabled. Please contact your town's civil-affairs office.")
    if status.state == CodeState.EXPIRED:
        return _("This code has expired. Request a new code.")
    if status.state == CodeState.SPENT:
        return _("Too many wrong codes: this code no longer works. Request a new code.")
    if status.state in (CodeState.NONE, CodeState.USED):
        return _("There is no valid code for this number. Request a new code.")
    return ngettext(
        "The code is wrong. You have %(count)d more try.",
        "The code is wrong. You have %(count)d more tries.",
        status.attempts_left,
    ) % {"count": status.attempts_left}


@require_POST
def code_verify(request: HttpRequest) -> HttpResponse:
    """Check the code and log the resident in."""
    form = CodeForm(request.POST)
    if not form.is_valid():
        if "phone" in form.errors:
            return _render_login(request, step="phone", form=PhoneForm(request.POST))
        phone = form.cleaned_data["phone"]
        return _render_login(request, step="code", form=form, phone=phone)
    phone, code = form.cleaned_data["phone"], form.cleaned_data["code"]
    user = authenticate(request, phone=phone, one_time_code=code)
    if user is None:
        return _render_login(
            request,
            step="code",
            form=CodeForm(initial={"phone": phone}),
            phone=phone,
            error=_refusal(request, phone),
        )
    login(request, user)
    target = _safe_next(request, request.POST.get("next"))
    if _is_htmx(request):
        return HttpResponseClientRedirect(target)
    return redirect(target)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:login")


@resident_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return _render_home(request)


def _render_home(
    request: HttpRequest, link_form: LinkForm | None = None, status: int = 200
) -> HttpResponse:
    """The resident's own page: their record, their household (other members' names masked),
    their household's applications with what happens next, and the way to apply."""
    resident = cast("User", request.user)
    person = resident_person(resident=resident)
    household = resident_household(resident=resident) if person else None
    memberships = household.current_memberships if household else []  # type: ignore[attr-defined]
    today = timezone.localdate()
    members = [
        {
            "person": membership.person,
            "name": (
                membership.person.name
                if membership.person_id == resident.person_id
                else mask_name(membership.person.name)
            ),
            "relation": membership.get_relation_display(),
            "age": membership.person.age_on(today),
            "since": membership.start_date,
            "is_self": membership.person_id == resident.person_id,
        }
        for membership in memberships
    ]
    context = {
        "person": person,
        "age": person.age_on(today) if person else None,
        "household": household,
        "members": members,
        "region_chain": ancestors(region=household.region) if household else [],
        "masked_phone": mask_phone(resident.phone),
        "applications": [
            {"application": application, "next_step": resident_next_step(application)}
            for application in (resident_application_list(actor=resident) if person else [])
        ],
        "drafts": [
            {"draft": draft, "removal_date": draft_removal_date(draft)}
            for draft in (draft_list(household=household) if household else [])
        ],
        "retention_days": draft_retention_days(),
        "link_form": link_form or LinkForm(),
        "ask_id_number": link_form is not None and "id_number" in link_form.errors,
    }
    return render(request, "portal/home.html", context, status=status)


@resident_required
@require_POST
def link_account(request: HttpRequest) -> HttpResponse:
    """Link the resident's account to their record: by phone, or phone and ID number."""
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            resident_link(
                actor=cast("User", request.user), id_number=form.cleaned_data["id_number"]
            )
        except ApplicationError as refusal:
            form.add_error("id_number" if refusal.field == "id_number" else None, refusal.message)
        else:
            return redirect("portal:home")
    return _render_home(request, link_form=form, status=400)
