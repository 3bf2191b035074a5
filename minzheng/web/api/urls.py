"""URLs under /api/v1/: the NinjaAPI, with 404 and 405 answered as problem details too."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from minzheng.web.api.api import api
from minzheng.web.api.problems import problem_response


def _errors_as_problems(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer what the NinjaAPI leaves to Django (405, the 404 of its root) as problems."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return not_found(request)
        if isinstance(response, HttpResponseNotAllowed):
            problem = problem_response(
                request,
                status=405,
                detail=_("This method is not allowed here; see the Allow header."),
            )
            problem["Allow"] = response["Allow"]
            return problem
        return response

    return wrapped


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return problem_response(
        request, status=404, detail=_("There is no such API address; see /api/v1/docs.")
    )


_patterns, _app_name, _namespace = api.urls
for _pattern in _patterns:
    if isinstance(_pattern, URLPattern):
        _pattern.callback = _errors_as_problems(_pattern.callback)

urlpatterns = [
    path("", (_patterns, _app_name, _namespace)),
    re_path(r"", not_found, name="api-not-found"),
]
