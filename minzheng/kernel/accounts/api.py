"""API: how clients authenticate, who the caller is, and the caller's API tokens.

Two ways in: a bearer token (`Authorization: Bearer mz_...`) for other systems, and the
back-office session cookie (with the CSRF token on unsafe methods) for pages and the
interactive docs. The register is for staff: a resident's session gets 403.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from minzheng.common.api import LINE_PATTERN, ObjectId, Page, PageParams, paginate
from minzheng.common.errors import ApplicationError, PermissionRefused
from minzheng.kernel.accounts.models import ApiToken, UserKind
from minzheng.kernel.accounts.permissions import Perm, scope_paths
from minzheng.kernel.accounts.selectors import api_token_get, api_token_list, grant_list
from minzheng.kernel.accounts.services import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)

if TYPE_CHECKING:
    from minzheng.kernel.accounts.models import User


class NotAuthenticated(ApplicationError):
    code = "not_authenticated"
    status = 401


def request_actor(request: HttpRequest) -> User:
    """The authenticated caller of an API operation."""
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _require_staff(user: User, staff_only: bool) -> None:
    if staff_only and getattr(user, "kind", None) != UserKind.STAFF:
        raise PermissionRefused(_("This part of the API is for staff accounts."), code="staff_only")


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer mz_...`; a token that is wrong or revoked is a 401."""

    def __init__(self, *, staff_only: bool = True) -> None:
        self.staff_only = staff_only
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = api_token_authenticate(secret=token.strip())
        if user is None:
            raise NotAuthenticated(
                _("The API token is not valid or has been revoked."), code="invalid_token"
            )
        _require_staff(user, self.staff_only)
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The back-office session; unsafe methods must carry the CSRF token (X-CSRFToken)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, *, staff_only: bool = True) -> None:
        self.staff_only = staff_only
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        # CSRF is checked in authenticate(), and only when a session is logged in: a request
        # without credentials is a plain 401.
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise PermissionRefused(
                _("CSRF check failed: send the csrftoken cookie in the X-CSRFToken header."),
                code="csrf_failed",
            )
        _require_staff(user, self.staff_only)
        return user  # type: ignore[no-any-return]


STAFF_AUTH = [BearerTokenAuth(), SessionAuth()]
ANY_USER_AUTH = [BearerTokenAuth(staff_only=False), SessionAuth(staff_only=False)]

router = Router(tags=["accounts"])


class GrantRegionOut(Schema):
    code: str
    name: str
    level: str


class RoleOut(Schema):
    role: str
    label: str
    region: GrantRegionOut

    @staticmethod
    def resolve_label(obj: Any) -> str:
        return str(obj.get_role_display())


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    kind: UserKind
    roles: list[RoleOut]
    regions: list[GrantRegionOut] = Field(description="The regions of your grants, no repeats.")
    permissions: list[str] = Field(description="The permissions your roles give you.")


class TokenIn(Schema):
    name: str = Field(
        ..., min_length=1, max_length=100, pattern=LINE_PATTERN, examples=["nightly export"]
    )


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    secret: str = Field(description="The token itself: shown this once, never again.")


class TokenPage(Page[TokenOut]):
    pass


@router.get("/me", response=MeOut, auth=ANY_USER_AUTH, summary="Who am I")
def get_me(request: HttpRequest) -> dict[str, Any]:
    """Your account, roles and the regions they cover."""
    actor = request_actor(request)
    grants = grant_list(actor=actor)
    regions = list({grant.region.code: grant.region for grant in grants}.values())
    return {
        "id": actor.pk,
        "username": actor.get_username(),
        "full_name": actor.full_name,
        "kind": actor.kind,
        "roles": grants,
        "regions": regions,
        "permissions": sorted(perm.value for perm in Perm if scope_paths(actor, perm)),
    }


@router.post("/tokens", response={201: TokenCreatedOut}, summary="Create an API token")
def create_token(request: HttpRequest, payload: TokenIn) -> Status:
    """Create a token for yourself; the answer holds the secret, shown only this once."""
    token, secret = api_token_create(actor=request_actor(request), name=payload.name)
    return Status(201, {**TokenOut.from_orm(token).model_dump(), "secret": secret})


@router.get("/tokens", response=TokenPage, summary="List your API tokens")
def list_tokens(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Your tokens, newest first, revoked ones included; secrets are never shown again."""
    return paginate(api_token_list(actor=request_actor(request)), page)


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke an API token")
def revoke_token(request: HttpRequest, token_id: ObjectId) -> Status:
    """Revoke one of your tokens; it stops working at once."""
    actor = request_actor(request)
    token: ApiToken = api_token_get(actor=actor, token_id=token_id)
    api_token_revoke(actor=actor, token=token)
    return Status(204, None)
