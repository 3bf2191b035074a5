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
