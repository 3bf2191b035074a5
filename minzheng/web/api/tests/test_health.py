"""/healthz reports the database, the cache and the broker."""

from __future__ import annotations

import pytest

from minzheng.web.api import health

pytestmark = pytest.mark.django_db


def test_healthy_without_a_broker(client, settings):
    settings.CELERY_BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"
    assert body["checks"]["broker"].startswith("disabled")


def test_needs_no_login(client):
    assert client.get("/healthz").status_code == 200


def test_a_failing_database_is_503(client, monkeypatch):
    def broken():
        raise ConnectionError("could not connect to server at 10.1.2.3")

    monkeypatch.setattr(health, "_check_database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "error: ConnectionError"
    assert "10.1.2.3" not in response.content.decode()
    assert body["checks"]["cache"] == "ok"


def test_a_cache_that_loses_values_is_503(client, monkeypatch):
    class ForgetfulCache:
        def set(self, *args, **kwargs):
            pass

        def get(self, *args, **kwargs):
            return None

    monkeypatch.setattr(health, "cache", ForgetfulCache())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"].startswith("error")


def test_an_unreachable_broker_is_503(client, monkeypatch):
    def unreachable():
        raise OSError("Connection refused")

    monkeypatch.setattr(health, "_check_broker", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "error: OSError"


def test_a_configured_broker_is_checked(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    from config.celery import app

    class Connection:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def ensure_connection(self, **kwargs):
            raise OSError("Connection refused")

    monkeypatch.setattr(app, "connection_for_write", lambda: Connection())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "error: OSError"


def test_only_get(client):
    assert client.post("/healthz").status_code == 405


def test_a_reachable_broker_is_ok(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    from config.celery import app

    class Connection:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def ensure_connection(self, **kwargs):
            return self

    monkeypatch.setattr(app, "connection_for_write", lambda: Connection())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == "ok"
