"""Accounts: staff, role grants, resident one-time codes and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.kernel.accounts.models import ApiToken, OneTimeCode, Role, RoleGrant, User, UserKind
from minzheng.kernel.accounts.permissions import Perm, clear_cache, has_perm
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.notifications.services import sms_send
from minzheng.kernel.regions.models import Region

RESEND_INTERVAL = dt.timedelta(seconds=60)


def _require_manager(actor: User | None, region: Region | None = None) -> None:
    if actor is not None and not has_perm(actor, Perm.ACCOUNTS_MANAGE, region):
        raise PermissionRefused(_("You may not manage accounts."))


def staff_create(
    *,
    actor: User | None,
    username: str,
    full_name: str,
    password: str | None,
    phone: str = "",
    grants: list[tuple[str, Region]] = (),  # type: ignore[assignment]
) -> User:
    """Create a staff account with its role grants."""
    _require_manager(actor)
    if User.objects.filter(username=username).exists():
        raise Conflict(_("The user name %(name)s is taken.") % {"name": username}, field="username")
    with transaction.atomic():
        user = User(username=username, full_name=full_name, phone=phone, kind=UserKind.STAFF)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        audit_record(
            actor=actor, action="accounts.staff.create", obj=user, changes={"username": username}
        )
        for role, region in grants:
            role_grant(actor=actor, user=user, role=role, region=region)
    return user


def role_grant(*, actor: User | None, user: User, role: str, region: Region) -> RoleGrant:
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role."), field="role")
    if user.kind != UserKind.STAFF:
        raise ValidationFailed(_("Only staff accounts hold roles."), field="user")
    _require_manager(actor, region)
    with transaction.atomic():
        grant, created = RoleGrant.objects.get_or_create(user=user, role=role, region=region)
        if created:
            audit_record(
                actor=actor,
                action="accounts.role.grant",
                obj=user,
                region_code=region.code,
                changes={"role": role, "region": region.code},
            )
    clear_cache(user)
    return grant


def role_revoke(*, actor: User | None, grant: RoleGrant, reason: str) -> None:
    _require_manager(actor, grant.region)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="accounts.role.revoke",
            obj=grant.user,
            region_code=grant.region.code,
            changes={"role": grant.role, "region": grant.region.code},
            reason=reason,
        )
        grant.delete()
    clear_cache(grant.user)


def _hash_code(phone: str, code: str) -> str:
    return make_password(f"{phone}:{code}")


def one_time_code_send(*, phone: str) -> None:
    """Send a 6-digit login code to a resident's phone; at most one a minute per phone."""
    phone = phone.strip()
    if not (phone.isdigit() and len(phone) == 11 and phone.startswith("1")):
        raise ValidationFailed(_("Enter an 11-digit mobile phone number."), field="phone")
    now = timezone.now()
    with transaction.atomic():
        recent = OneTimeCode.objects.filter(
            phone=phone, created_at__gt=now - RESEND_INTERVAL
        ).exists()
        if recent:
            raise Conflict(
                _("A code was sent less than a minute ago; please wait."), code="code_recently_sent"
            )
        code = f"{secrets.randbelow(1_000_000):06d}"
        OneTimeCode.objects.create(
            phone=phone,
            code_hash=_hash_code(phone, code),
            expires_at=now + dt.timedelta(seconds=settings.ONE_TIME_CODE_TTL_SECONDS),
        )
        transaction.on_commit(
            lambda: sms_send(
                phone=phone,
                text=_(
                    "Your Jiaxing civil-affairs login code is %(code)s; "
                    "it expires in %(minutes)d minutes."
                )
                % {"code": code, "minutes": settings.ONE_TIME_CODE_TTL_SECONDS // 60},
            )
        )


def one_time_code_verify(*, phone: str, code: str) -> User | None:
    """The resident account for `phone` if `code` is the newest valid code; else None.

    Each wrong guess counts; after ONE_TIME_CODE_MAX_ATTEMPTS the code is spent.
    A resident account is created at first login.
    """
    now = timezone.now()
    with transaction.atomic():
        otc = (
            OneTimeCode.objects.select_for_update()
            .filter(phone=phone.strip(), used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if otc is None or otc.attempts >= settings.ONE_TIME_CODE_MAX_ATTEMPTS:
            return None
        if not check_password(f"{otc.phone}:{code.strip()}", otc.code_hash):
            OneTimeCode.objects.filter(pk=otc.pk).update(attempts=otc.attempts + 1)
            return None
        OneTimeCode.objects.filter(pk=otc.pk).update(used_at=now)
        user = User.objects.filter(kind=UserKind.RESIDENT, phone=otc.phone).first()
        if user is not None and not user.is_active:
            return None
        if user is None:
            user = User(username=f"resident-{otc.phone}", phone=otc.phone, kind=UserKind.RESIDENT)
            user.set_unusable_password()
            user.save()
            audit_record(actor=None, action="accounts.resident.create", obj=user)
        audit_record(actor=user, action="accounts.resident.login", obj=user)
    return user


def api_token_create(*, actor: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for the actor; the secret is returned once and only its digest kept."""
    if not name.strip():
        raise ValidationFailed(_("Name the token."), field="name")
    secret = "mz_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            name=name.strip(),
            digest=hashlib.sha256(secret.encode()).hexdigest(),
            prefix=secret[:8],
        )
        audit_record(actor=actor, action="accounts.api_token.create", obj=token)
    return token, secret


def api_token_authenticate(*, secret: str) -> User | None:
    digest = hashlib.sha256(secret.encode()).hexdigest()
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk and not has_perm(actor, Perm.ACCOUNTS_MANAGE):
        raise PermissionRefused(_("You may not revoke this token."))
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not revoked:
            raise Conflict(_("This token has already been revoked."), code="token_revoked")
        audit_record(actor=actor, action="accounts.api_token.revoke", obj=token)


def login_record(*, user: User, **extra: Any) -> None:
    """Audit a successful staff login."""
    audit_record(actor=user, action="accounts.staff.login", obj=user, changes=extra)
