"""Template helpers of the verification pages (and the side navigation entry)."""

from __future__ import annotations

from typing import Any

from django import template

from minzheng.kernel.accounts.models import UserKind
from minzheng.kernel.verification.selectors import may_view

register = template.Library()


@register.filter
def may_verify(user: Any) -> bool:
    """Whether the navigation shows household verification to this user."""
    if (
        not getattr(user, "is_authenticated", False)
        or getattr(user, "kind", None) != UserKind.STAFF
    ):
        return False
    return may_view(user)


@register.filter
def yuan(value: Any) -> str:
    """A money figure with thousands separators and two decimals."""
    try:
        return f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return "—"


@register.filter
def lookup(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None
