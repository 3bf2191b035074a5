"""Project-wide fixtures: the personas and their world, and the browser."""

from __future__ import annotations

import pytest

from minzheng.testing.world import PASSWORD, World, build_world


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture(autouse=True)
def _memory_sms(settings):
    from minzheng.kernel.notifications.backends import MemorySmsBackend

    settings.SMS_BACKEND = "minzheng.kernel.notifications.backends.MemorySmsBackend"
    MemorySmsBackend.outbox.clear()
    yield
    MemorySmsBackend.outbox.clear()
