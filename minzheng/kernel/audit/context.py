"""The request facts (IP address) that audit events record, carried in a context variable."""

from __future__ import annotations

from contextvars import ContextVar

request_ip: ContextVar[str | None] = ContextVar("request_ip", default=None)
