"""Resident login by mobile phone and one-time code."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from minzheng.kernel.accounts.models import OneTimeCode, User, UserKind
from minzheng.kernel.audit.models import AuditEvent
from minzheng.kernel.notifications.backends import MemorySmsBackend
from minzheng.web.portal.tests.conftest import HTMX, sent_codes

pytestmark = pytest.mark.django_db

PHONE = "13900000011"  # world.resident, linked to the head of the 新嘉街道 family


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _session_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


def test_login_page_asks_for_the_phone_number(client):
    response = client.get(reverse("portal:login"))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="phone"' in page
    assert 'hx-post="/portal/login/code/"' in page
    assert "/static/vendor/bootstrap/css/bootstrap.min.css" in page
    assert "/static/vendor/htmx/htmx.min.js" in page
    assert 'action="/i18n/setlang/"' in page
    assert "https://" not in page  # nothing from a CDN


def test_pages_are_simplified_chinese_by_default(db):
    from django.test import Client

    page = Client().get(reverse("portal:login")).content.decode()

    assert '<html lang="zh-hans">' in page


def test_full_login_with_the_texted_code(client, steps, world):
    response = steps.send(PHONE, **HTMX)

    assert response.status_code == 200
    partial = response.content.decode()
    assert "<html" not in partial  # an htmx partial, not a page
    assert 'name="code"' in partial
    assert "139****0011" in partial
    assert PHONE not in partial.replace(f'value="{PHONE}"', "")  # shown masked only
    [code] = sent_codes(PHONE)

    response = steps.verify(PHONE, code, **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/portal/"
    assert _session_user_id(client) == world.resident.pk
    home = client.get("/portal/").content.decode()
    assert "张建国" in home
    assert AuditEvent.objects.filter(action="accounts.resident.login").count() == 1


def test_login_works_without_javascript(client, steps, world):
    response = steps.send(PHONE)

    assert response.status_code == 200
    assert "<html" in response.content.decode()  # the whole page at the code step
    response = steps.verify(PHONE, sent_codes(PHONE)[-1])

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert _session_user_id(client) == world.resident.pk


def test_phone_number_may_be_typed_with_spaces_and_country_code(client, steps, world):
    steps.send("+86 139 0000-0011")

    assert len(sent_codes(PHONE)) == 1


def test_first_login_creates_a_resident_account(client, steps, db):
    steps.login("13812345678")

    user = User.objects.get(phone="13812345678")
    assert user.kind == UserKind.RESIDENT
    assert _session_user_id(client) == user.pk


def test_next_is_followed_only_inside_the_portal(client, steps, world):
    steps.send(PHONE)
    code = sent_codes(PHONE)[-1]

    response = client.post(
        reverse("portal:code_verify"),
        {"phone": PHONE, "code": code, "next": "https://evil.example/portal/"},
    )

    assert response["Location"] == "/portal/"


@pytest.mark.parametrize("phone", ["12345", "23900000011", "1390000001a", "139000000111"])
def test_bad_phone_number_is_refused(client, steps, db, phone):
    response = steps.send(phone, **HTMX)

    assert response.status_code == 200
    assert "Enter an 11-digit mobile phone number." in response.content.decode()
    assert 'name="phone"' in response.content.decode()
    assert not OneTimeCode.objects.exists()
    assert MemorySmsBackend.outbox == []


def test_empty_phone_number_is_refused(client, steps, db):
    response = steps.send("  ", **HTMX)

    assert "Enter your mobile phone number." in response.content.decode()
    assert not OneTimeCode.objects.exists()


def test_wrong_code_is_refused_with_the_tries_left(client, steps, world, settings):
    steps.send(PHONE)
    code = sent_codes(PHONE)[-1]

    response = steps.verify(PHONE, _wrong(code), **HTMX)

    assert response.status_code == 200
    left = settings.ONE_TIME_CODE_MAX_ATTEMPTS - 1
    assert f"The code is wrong. You have {left} more tries." in response.content.decode()
    assert _session_user_id(client) is None
    # The right code still works afterwards.
    assert steps.verify(PHONE, code).status_code == 302


@pytest.mark.parametrize("code", ["12345", "abcdef", "1234567"])
def test_malformed_code_is_refused_before_checking(client, steps, world, code):
    steps.send(PHONE)

    response = steps.verify(PHONE, code, **HTMX)

    assert "The code has 6 digits." in response.content.decode()
    assert OneTimeCode.objects.get().attempts == 0


def test_expired_code_is_refused(client, steps, world):
    steps.send(PHONE)
    code = sent_codes(PHONE)[-1]
    OneTimeCode.objects.filter(phone=PHONE).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    response = steps.verify(PHONE, code, **HTMX)

    assert "This code has expired. Request a new code." in response.content.decode()
    assert _session_user_id(client) is None


def test_code_that_was_never_sent_is_refused(client, steps, world):
    response = steps.verify(PHONE, "123456", **HTMX)

    assert "There is no valid code for this number." in response.content.decode()


def test_a_code_logs_in_only_once(client, steps, world):
    steps.send(PHONE)
    code = sent_codes(PHONE)[-1]
    assert steps.verify(PHONE, code).status_code == 302
    client.post(reverse("portal:logout"))

    response = steps.verify(PHONE, code, **HTMX)

    assert "There is no valid code for this number." in response.content.decode()
    assert _session_user_id(client) is None


def test_too_many_wrong_codes_spend_the_code(client, steps, world, settings):
    settings.AXES_FAILURE_LIMIT = 100  # isolate the per-code limit from the per-device lockout
    steps.send(PHONE)
    code = sent_codes(PHONE)[-1]
    for _ in range(settings.ONE_TIME_CODE_MAX_ATTEMPTS - 1):
        steps.verify(PHONE, _wrong(code))

    last_wrong = steps.verify(PHONE, _wrong(code), **HTMX)
    right_too_late = steps.verify(PHONE, code, **HTMX)

    spent = "Too many wrong codes: this code no longer works. Request a new code."
    assert spent in last_wrong.content.decode()
    assert spent in right_too_late.content.decode()
    assert _session_user_id(client) is None


def test_repeated_failures_lock_the_device_out(client, steps, world, settings):
    settings.AXES_FAILURE_LIMIT = 3
    steps.send(PHONE)
    code = sent_codes(PHONE)[-1]
    for _ in range(2):
        steps.verify(PHONE, _wrong(code))

    locked = steps.verify(PHONE, _wrong(code), **HTMX)
    still_locked = steps.verify(PHONE, code, **HTMX)

    for response in (locked, still_locked):
        assert response.status_code == 200  # answered inside the login card
        assert "Too many failed attempts from this device." in response.content.decode()
    assert _session_user_id(client) is None


def test_resend_within_a_minute_is_refused(client, steps, world):
    steps.send(PHONE)

    response = steps.send(PHONE, **HTMX)

    page = response.content.decode()
    assert "A code was sent less than a minute ago; please wait." in page
    assert 'name="code"' in page  # the first code still works: stay on the code step
    assert len(sent_codes(PHONE)) == 1


def test_resend_after_a_minute_sends_a_new_code_that_works(client, steps, world):
    steps.send(PHONE)
    OneTimeCode.objects.filter(phone=PHONE).update(
        created_at=timezone.now() - dt.timedelta(seconds=61)
    )

    response = steps.send(PHONE, **HTMX)

    assert "A 6-digit code has been sent to 139****0011." in response.content.decode()
    _first, second = sent_codes(PHONE)
    assert steps.verify(PHONE, second).status_code == 302
    assert _session_user_id(client) == world.resident.pk


def test_logout_needs_post_and_ends_the_session(client, steps, world):
    steps.login(PHONE)

    assert client.get(reverse("portal:logout")).status_code == 405
    response = client.post(reverse("portal:logout"))

    assert response["Location"] == "/portal/login/"
    assert _session_user_id(client) is None
    assert client.get("/portal/")["Location"].startswith("/portal/login/")


def test_logged_in_resident_is_sent_from_login_to_their_page(client, steps, world):
    steps.login(PHONE)

    response = client.get(reverse("portal:login"))

    assert response.status_code == 302
    assert response["Location"] == "/portal/"


def test_disabled_account_cannot_log_in(client, steps, world):
    User.objects.filter(pk=world.resident.pk).update(is_active=False)
    steps.send(PHONE)

    response = steps.verify(PHONE, sent_codes(PHONE)[-1], **HTMX)

    assert "This account is disabled." in response.content.decode()
    assert _session_user_id(client) is None


def test_code_step_with_a_tampered_phone_goes_back_to_the_phone_step(client, steps, db):
    response = steps.verify("", "123456", **HTMX)

    assert "Enter your mobile phone number." in response.content.decode()
    assert 'name="code"' not in response.content.decode()
