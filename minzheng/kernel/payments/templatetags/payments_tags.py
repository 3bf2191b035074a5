"""Template filters of the payments pages (the navigation shows them to their users)."""

from __future__ import annotations

from typing import Any

from django import template

from minzheng.kernel.accounts.permissions import Perm, has_perm

register = template.Library()


@register.filter
def may_see_payments(user: Any) -> bool:
    """Staff who may open the payment batches (payments.view somewhere)."""
    return bool(getattr(user, "is_authenticated", False)) and has_perm(user, Perm.PAYMENTS_VIEW)
