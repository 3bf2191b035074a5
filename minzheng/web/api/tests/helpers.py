"""Helpers for the API tests: a client that calls as a persona, and the problem-shape check."""

from __future__ import annotations

from typing import Any

from django.test import Client

from minzheng.kernel.accounts.services import api_token_create

BACKEND = "django.contrib.auth.backends.ModelBackend"
PERSONAS = [
    "resident",
    "village_worker",
    "town_clerk",
    "other_town_clerk",
    "county_approver",
    "city_admin",
    "auditor",
]
STAFF = [name for name in PERSONAS if name != "resident"]


class ApiClient:
    """Calls the API as one user: with a bearer token for staff, a session for residents."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.client = Client()
        if user.is_resident:
            self.client.force_login(user, backend=BACKEND)
            self.headers: dict[str, str] = {}
        else:
            _, self.secret = api_token_create(actor=user, name="tests")
            self.headers = {"Authorization": f"Bearer {self.secret}"}

    def get(self, path: str, **params: Any):
        return self.client.get(_url(path), params, headers=self.headers)

    def post(self, path: str, body: Any = None):
        return self.client.post(
            _url(path), body or {}, content_type="application/json", headers=self.headers
        )

    def delete(self, path: str):
        return self.client.delete(_url(path), headers=self.headers)


def _url(path: str) -> str:
    return path if path.startswith("/") else f"/api/v1/{path}"


def assert_problem(response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status` (and `code`, when given)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail", "code", "instance"} <= set(body)
    assert body["status"] == status
    assert body["type"] == f"https://minzheng.jiaxing.gov.cn/problems/{body['code']}"
    assert body["instance"] == response.wsgi_request.path
    if code is not None:
        assert body["code"] == code
    return body
