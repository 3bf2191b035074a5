"""Authentication backend for residents: phone number and one-time code."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest

from minzheng.kernel.accounts.models import User, UserKind


class ResidentOneTimeCodeBackend(BaseBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        phone: str | None = None,
        one_time_code: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not phone or not one_time_code:
            return None
        from minzheng.kernel.accounts.services import one_time_code_verify

        return one_time_code_verify(phone=phone, code=one_time_code)

    def get_user(self, user_id: int) -> User | None:
        return User.objects.filter(pk=user_id, kind=UserKind.RESIDENT, is_active=True).first()


def lockout_key(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """What django-axes counts failed logins against: the user name, or a resident's phone."""
    credentials = credentials or {}
    if credentials.get("username"):
        return str(credentials["username"])
    if credentials.get("phone"):
        return f"phone:{credentials['phone']}"
    if request is not None and request.method == "POST":
        return request.POST.get("username") or None
    return None
