"""Authentication (bearer token, session + CSRF), GET /me and the token endpoints."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from minzheng.kernel.accounts.models import ApiToken, Role
from minzheng.kernel.accounts.services import api_token_create, api_token_revoke
from minzheng.kernel.audit.models import AuditEvent
from minzheng.web.api.tests.helpers import BACKEND, assert_problem

pytestmark = pytest.mark.django_db


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_valid_token_authenticates(client, world):
    _, secret = api_token_create(actor=world.town_clerk, name="对接系统")
    response = client.get("/api/v1/me", headers=_bearer(secret))
    assert response.status_code == 200
    assert response.json()["username"] == "clerk_xinjia"
    assert ApiToken.objects.get(user=world.town_clerk).last_used_at is not None


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer mz_not-a-real-token",
        "Bearer ",
        "Bearer",
        "bearer mz_wrong",
    ],
)
def test_a_wrong_token_is_401(client, world, authorization):
    response = client.get("/api/v1/persons", headers={"Authorization": authorization})
    body = assert_problem(response, 401)
    assert body["code"] in {"invalid_token", "not_authenticated"}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401(client, world):
    token, secret = api_token_create(actor=world.town_clerk, name="old")
    api_token_revoke(actor=world.town_clerk, token=token)
    assert_problem(client.get("/api/v1/persons", headers=_bearer(secret)), 401, "invalid_token")


def test_a_token_of_a_deactivated_account_is_401(client, world):
    _, secret = api_token_create(actor=world.town_clerk, name="old")
    world.town_clerk.is_active = False
    world.town_clerk.save()
    assert_problem(client.get("/api/v1/persons", headers=_bearer(secret)), 401, "invalid_token")


@pytest.mark.parametrize("authorization", [None, "Basic dXNlcjpwYXNz", "Token abc"])
def test_no_credentials_is_401(client, world, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    body = assert_problem(client.get("/api/v1/persons", headers=headers), 401, "not_authenticated")
    assert "Bearer" in body["detail"]


def test_the_session_authenticates_reads(client, world):
    client.force_login(world.town_clerk, backend=BACKEND)
    response = client.get("/api/v1/persons")
    assert response.status_code == 200
    assert response.json()["count"] == 3


def test_a_session_write_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.town_clerk, backend=BACKEND)
    url = f"/api/v1/persons/{world.families['xinjia'].head.pk}/reveal-id-number"
    before = AuditEvent.objects.count()
    response = client.post(url, {"reason": "核对"}, content_type="application/json")
    assert_problem(response, 403, "csrf_failed")
    assert AuditEvent.objects.count() == before

    client.get("/api/v1/me")  # any page sets the CSRF cookie once the token is asked for
    token = _csrf_token(client)
    response = client.post(
        url, {"reason": "核对"}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200, response.content


def _csrf_token(client: Client) -> str:
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    return _mask_cipher_secret(secret)


def test_a_bearer_write_needs_no_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    _, secret = api_token_create(actor=world.town_clerk, name="script")
    response = client.post(
        f"/api/v1/persons/{world.families['xinjia'].head.pk}/reveal-id-number",
        {"reason": "核对"},
        content_type="application/json",
        headers=_bearer(secret),
    )
    assert response.status_code == 200


def test_an_anonymous_write_is_401_not_a_csrf_error(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert_problem(response, 401, "not_authenticated")


@pytest.mark.parametrize(
    "path",
    ["persons", "households", "regions", "jobs", "tokens", "persons/1", "households/1"],
)
def test_residents_may_not_use_the_register(api_as, path):
    assert_problem(api_as("resident").get(path), 403, "staff_only")


def test_a_resident_may_not_create_tokens(api_as):
    assert_problem(api_as("resident").post("tokens", {"name": "x"}), 403, "staff_only")


def test_me_for_a_town_clerk(api_as, world):
    body = api_as("town_clerk").get("me").json()
    assert body["id"] == world.town_clerk.pk
    assert (body["username"], body["full_name"], body["kind"]) == (
        "clerk_xinjia",
        "周经办",
        "staff",
    )
    with translation.override("zh-hans"):
        label = str(Role.TOWN_CLERK.label)  # Chinese first, whatever the translation says
    assert body["roles"] == [
        {
            "role": "town_clerk",
            "label": label,
            "region": {"code": "330402009", "name": "新嘉街道", "level": "town"},
        }
    ]
    assert body["regions"] == [{"code": "330402009", "name": "新嘉街道", "level": "town"}]
    assert "people.reveal_id_number" in body["permissions"]
    assert "accounts.manage" not in body["permissions"]


def test_me_in_english(api_as):
    client = api_as("town_clerk")
    response = client.client.get("/api/v1/me", headers={**client.headers, "Accept-Language": "en"})
    assert response.json()["roles"][0]["label"] == "Town civil-affairs clerk"


def test_me_for_a_resident(api_as):
    body = api_as("resident").get("me").json()
    assert (body["kind"], body["roles"], body["regions"], body["permissions"]) == (
        "resident",
        [],
        [],
        [],
    )


def test_tokens_create_list_and_revoke(api_as, world):
    client = api_as("town_clerk")
    created = client.post("tokens", {"name": "  夜间导出  "})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "夜间导出"
    assert body["secret"].startswith("mz_")
    assert body["prefix"] == body["secret"][:8]
    assert body["revoked_at"] is None

    # The new token works, and the secret is never shown again.
    listed = client.client.get("/api/v1/tokens", headers=_bearer(body["secret"]))
    assert listed.status_code == 200
    assert body["secret"] not in listed.content.decode()
    names = [t["name"] for t in listed.json()["items"]]
    assert names == ["夜间导出", "tests"]
    assert "secret" not in listed.json()["items"][0]

    assert client.delete(f"tokens/{body['id']}").status_code == 204
    assert_problem(
        client.client.get("/api/v1/me", headers=_bearer(body["secret"])), 401, "invalid_token"
    )
    assert_problem(client.delete(f"tokens/{body['id']}"), 409, "token_revoked")
    [revoked] = [t for t in client.get("tokens").json()["items"] if t["id"] == body["id"]]
    assert revoked["revoked_at"] is not None
    actions = list(
        AuditEvent.objects.filter(
            object_type="accounts.apitoken", object_id=str(body["id"])
        ).values_list("action", flat=True)
    )
    assert sorted(actions) == ["accounts.api_token.create", "accounts.api_token.revoke"]


def test_tokens_of_others_are_invisible(api_as, world):
    other, _ = api_token_create(actor=world.other_town_clerk, name="王店")
    client = api_as("town_clerk")
    assert [t["name"] for t in client.get("tokens").json()["items"]] == ["tests"]
    assert_problem(client.delete(f"tokens/{other.pk}"), 404, "token_not_found")
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None


@pytest.mark.parametrize("payload", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}])
def test_a_token_needs_a_name(api_as, payload):
    body = assert_problem(api_as("town_clerk").post("tokens", payload), 422, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["name"]
