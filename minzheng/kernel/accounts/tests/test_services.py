import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.utils import timezone

from minzheng.common.errors import Conflict, PermissionRefused, ValidationFailed
from minzheng.kernel.accounts.models import OneTimeCode, Role, User, UserKind
from minzheng.kernel.accounts.permissions import Perm, has_perm, roles, scope_paths
from minzheng.kernel.accounts.services import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    one_time_code_send,
    one_time_code_verify,
    role_grant,
    staff_create,
)
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.notifications.backends import MemorySmsBackend

pytestmark = pytest.mark.django_db


def _sent_code(phone):
    message = [m for m in MemorySmsBackend.outbox if m.phone == phone][-1]
    return "".join(ch for ch in message.text if ch.isdigit())[:6]


def _send(phone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        one_time_code_send(phone=phone)
    return _sent_code(phone)


def test_permissions_follow_role_and_region(world):
    xinjia, wangdian = world.regions["330402009"], world.regions["330411105"]
    assert has_perm(world.town_clerk, Perm.PEOPLE_CHANGE, xinjia)
    assert not has_perm(world.town_clerk, Perm.PEOPLE_CHANGE, wangdian)
    assert has_perm(world.county_approver, Perm.PEOPLE_REVEAL, world.regions["xinjia_grid"])
    assert not has_perm(world.county_approver, Perm.PEOPLE_CHANGE, xinjia)
    assert not has_perm(world.auditor, Perm.PEOPLE_REVEAL, xinjia)
    assert has_perm(world.auditor, Perm.AUDIT_VIEW)
    assert not has_perm(world.resident, Perm.PEOPLE_VIEW)
    assert roles(world.city_admin) == {Role.CITY_ADMIN}


def test_overlapping_grants_collapse_to_the_widest(world):
    role_grant(
        actor=None, user=world.town_clerk, role=Role.TOWN_CLERK, region=world.regions["330402"]
    )
    assert scope_paths(world.town_clerk, Perm.PEOPLE_VIEW) == ["330400/330402/"]


def test_staff_create_is_for_account_managers(world):
    with pytest.raises(PermissionRefused):
        staff_create(actor=world.town_clerk, username="x", full_name="x", password=None)
    with pytest.raises(Conflict):
        staff_create(actor=None, username="clerk_xinjia", full_name="x", password=None)


def test_resident_logs_in_with_a_one_time_code(db, django_capture_on_commit_callbacks):
    code = _send("13812345678", django_capture_on_commit_callbacks)
    assert OneTimeCode.objects.get().code_hash != code

    request = RequestFactory().post("/portal/login/")
    user = authenticate(request, phone="13812345678", one_time_code=code)

    assert user is not None and user.kind == UserKind.RESIDENT
    assert authenticate(request, phone="13812345678", one_time_code=code) is None  # used once
    assert AuditEvent.objects.filter(action="accounts.resident.login").count() == 1


def test_wrong_codes_are_limited(db, settings, django_capture_on_commit_callbacks):
    code = _send("13812345678", django_capture_on_commit_callbacks)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(settings.ONE_TIME_CODE_MAX_ATTEMPTS):
        assert one_time_code_verify(phone="13812345678", code=wrong) is None
    assert one_time_code_verify(phone="13812345678", code=code) is None
    assert not User.objects.filter(kind=UserKind.RESIDENT).exists()


def test_expired_code_is_refused(db, django_capture_on_commit_callbacks):
    code = _send("13812345678", django_capture_on_commit_callbacks)
    OneTimeCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert one_time_code_verify(phone="13812345678", code=code) is None


def test_codes_are_not_resent_within_a_minute(db, django_capture_on_commit_callbacks):
    _send("13812345678", django_capture_on_commit_callbacks)
    with pytest.raises(Conflict):
        one_time_code_send(phone="13812345678")
    with pytest.raises(ValidationFailed):
        one_time_code_send(phone="12345")


def test_api_tokens(world):
    token, secret = api_token_create(actor=world.town_clerk, name="对接系统")
    assert secret not in token.digest
    assert api_token_authenticate(secret=secret) == world.town_clerk
    assert api_token_authenticate(secret=secret + "x") is None
    with pytest.raises(PermissionRefused):
        api_token_revoke(actor=world.other_town_clerk, token=token)
    api_token_revoke(actor=world.town_clerk, token=token)
    assert api_token_authenticate(secret=secret) is None
