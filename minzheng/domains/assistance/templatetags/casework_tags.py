"""Template filters of the casework pages (the navigation shows the worklist to its users)."""

from __future__ import annotations

from typing import Any

from django import template

from minzheng.kernel.accounts.permissions import Perm, has_perm

register = template.Library()


@register.filter
def may_see_cases(user: Any) -> bool:
    """Staff who may open the casework worklist (assistance.view somewhere)."""
    return bool(getattr(user, "is_authenticated", False)) and has_perm(user, Perm.ASSISTANCE_VIEW)
