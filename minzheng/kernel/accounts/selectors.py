"""Reads about accounts and resident login codes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common.errors import NotFound
from minzheng.kernel.accounts.models import ApiToken, OneTimeCode, RoleGrant, User, UserKind


class CodeState(StrEnum):
    NONE = "none"  # no code was ever sent to this phone
    USED = "used"  # the newest code has already logged someone in
    EXPIRED = "expired"  # the newest code is past its expiry time
    SPENT = "spent"  # the newest code took too many wrong guesses
    ACTIVE = "active"  # the newest code can still be entered
    DISABLED = "disabled"  # the resident account of this phone is disabled


@dataclass(frozen=True)
class CodeStatus:
    state: CodeState
    attempts_left: int = 0


def one_time_code_status(*, phone: str) -> CodeStatus:
    """Why a code for `phone` may be refused, so the login page can say so.

    Reveals nothing about the code itself; only the newest code counts, as in
    services.one_time_code_verify.
    """
    if User.objects.filter(kind=UserKind.RESIDENT, phone=phone.strip(), is_active=False).exists():
        return CodeStatus(CodeState.DISABLED)
    otc = OneTimeCode.objects.filter(phone=phone.strip()).order_by("-created_at", "-id").first()
    if otc is None:
        return CodeStatus(CodeState.NONE)
    if otc.used_at is not None:
        return CodeStatus(CodeState.USED)
    if otc.expires_at <= timezone.now():
        return CodeStatus(CodeState.EXPIRED)
    left = settings.ONE_TIME_CODE_MAX_ATTEMPTS - otc.attempts
    if left <= 0:
        return CodeStatus(CodeState.SPENT)
    return CodeStatus(CodeState.ACTIVE, attempts_left=left)


def grant_list(*, actor: User) -> list[RoleGrant]:
    """The actor's role grants with their regions, broadest region first."""
    if not actor.is_authenticated:
        return []
    return list(
        RoleGrant.objects.filter(user_id=actor.pk).select_related("region").order_by("region__path")
    )


def api_token_list(*, actor: User) -> QuerySet[ApiToken]:
    """The actor's own API tokens, newest first (revoked ones included, marked)."""
    return ApiToken.objects.filter(user=actor).order_by("-created_at", "-id")


def api_token_get(*, actor: User, token_id: int) -> ApiToken:
    """One of the actor's own tokens; NotFound for anyone else's."""
    try:
        return api_token_list(actor=actor).get(pk=token_id)
    except ApiToken.DoesNotExist:
        raise NotFound(_("No such API token."), code="token_not_found") from None
