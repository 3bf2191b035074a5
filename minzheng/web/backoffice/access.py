"""Access to back-office pages: staff only, page permissions, and refusals as responses.

Every back-office view is wrapped by `staff_view`, the one place where a service's or a
selector's ApplicationError becomes an HTTP response (404 for objects outside the actor's
regions, 403 for missing permissions, 4xx with the service's message otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from minzheng.common.errors import ApplicationError, NotFound, PermissionRefused
from minzheng.kernel.accounts.models import UserKind
from minzheng.kernel.accounts.permissions import Perm, has_perm
from minzheng.kernel.accounts.selectors import grant_list

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User

PORTAL_URL = "/portal/"

View = Callable[..., HttpResponse]


def actor_of(request: HttpRequest) -> User:
    """The logged-in staff member (views decorated with staff_view only)."""
    return cast("User", request.user)


def staff_view(perm: Perm | None = None) -> Callable[[View], View]:
    """Decorate a back-office view: logged-in staff only, holding `perm` somewhere if given.

    Residents are sent to the portal. Refusals raised inside the view become error pages
    (or, for htmx requests, an error fragment) with the error's status code.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if getattr(request.user, "kind", None) != UserKind.STAFF:
                return _redirect(request, PORTAL_URL)
            if perm is not None and not has_perm(actor_of(request), perm):
                return error_response(
                    request,
                    PermissionRefused(_("Your role does not give access to this page.")),
                )
            try:
                return view(request, *args, **kwargs)
            except ApplicationError as error:
                return error_response(request, error)

        protected = login_required(wrapper)

        @wraps(view)
        def entry(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated and _htmx(request):
                # The session ended while the page was open: reload the whole page at login.
                page_url = _htmx(request).current_url_abs_path or request.get_full_path()
                return HttpResponseClientRedirect(redirect_to_login(page_url).url)
            return protected(request, *args, **kwargs)

        return entry

    return decorate


def _htmx(request: HttpRequest) -> Any:
    """The request's htmx details, or None for an ordinary request."""
    details = getattr(request, "htmx", None)
    return details if details else None


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if _htmx(request) else redirect(url)


def error_title(error: ApplicationError) -> str:
    if isinstance(error, NotFound):
        return _("Not found")
    if isinstance(error, PermissionRefused):
        return _("Access refused")
    return _("The request was refused")


def error_detail(error: ApplicationError) -> str:
    """What to tell the user; never whether an object outside their regions exists."""
    if isinstance(error, NotFound):
        return _("The record does not exist or lies outside the regions you serve.")
    return str(error.message)


def error_response(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    context = {"error_title": error_title(error), "error_detail": error_detail(error)}
    details = _htmx(request)
    if details and not details.history_restore_request:
        return render(request, "backoffice/_error.html", context, status=error.status)
    return page(request, "backoffice/error.html", context, status=error.status)


def navigation(request: HttpRequest) -> dict[str, Any]:
    """What the shared layout shows: the actor's grants and the sections they may open."""
    actor = actor_of(request)
    return {
        "grants": grant_list(actor=actor),
        "can_view_people": has_perm(actor, Perm.PEOPLE_VIEW),
        "can_view_jobs": has_perm(actor, Perm.JOBS_VIEW),
        "can_view_audit": has_perm(actor, Perm.AUDIT_VIEW),
        "can_view_parameters": has_perm(actor, Perm.PARAMETERS_VIEW),
        "can_open_admin": bool(actor.is_active and actor.is_staff),
    }


def page(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """Render a full back-office page inside the shared layout."""
    return render(request, template, {"nav": navigation(request), **(context or {})}, status=status)
