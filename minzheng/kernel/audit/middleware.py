from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from minzheng.kernel.audit.context import request_ip


class AuditContextMiddleware:
    """Make the client's IP address available to audit_record() for this request.

    REMOTE_ADDR is used as is: the operator guide shows the proxy setting that makes it
    the client's address behind a load balancer.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            request_ip.reset(token)
