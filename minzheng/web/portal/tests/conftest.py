"""Portal test helpers: a client that reads English, and the phone-and-code login steps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from minzheng.kernel.notifications.backends import MemorySmsBackend

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client(settings: Any) -> Client:
    """Tests read the English messages (chosen with the language switch's cookie)."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def sent_codes(phone: str) -> list[str]:
    """Codes texted to `phone`, oldest first."""
    return [
        re.search(r"\d{6}", message.text).group(0)  # type: ignore[union-attr]
        for message in MemorySmsBackend.outbox
        if message.phone == phone
    ]


@dataclass
class PortalSteps:
    client: Client
    capture_on_commit: Any

    def send(self, phone: str, **extra: Any):  # type: ignore[no-untyped-def]
        """Ask for a code; the SMS goes out after commit, so run the commit callbacks."""
        with self.capture_on_commit(execute=True):
            return self.client.post(reverse("portal:code_send"), {"phone": phone}, **extra)

    def verify(self, phone: str, code: str, **extra: Any):  # type: ignore[no-untyped-def]
        return self.client.post(
            reverse("portal:code_verify"), {"phone": phone, "code": code}, **extra
        )

    def login(self, phone: str):  # type: ignore[no-untyped-def]
        self.send(phone)
        response = self.verify(phone, sent_codes(phone)[-1])
        assert response.status_code == 302, response.content.decode()
        return response


@pytest.fixture
def steps(client: Client, django_capture_on_commit_callbacks: Any) -> PortalSteps:
    return PortalSteps(client=client, capture_on_commit=django_capture_on_commit_callbacks)
