"""Named hooks: registered once per name, called in order, exceptions propagate."""

from __future__ import annotations

import logging

import pytest

from minzheng.common.hooks import Hooks


def test_hooks_are_called_in_order_once_per_name_and_can_be_removed():
    calls: list[tuple[str, int]] = []
    hooks: Hooks[[int]] = Hooks("a test")
    hooks.register("first", lambda n: calls.append(("first", n)))
    hooks.register("second", lambda n: calls.append(("second", n)))
    hooks.register("first", lambda n: calls.append(("first again", n)))  # replaces "first"

    hooks(7)

    assert calls == [("first again", 7), ("second", 7)]
    assert "second" in hooks
    hooks.unregister("second")
    hooks.unregister("never registered")
    hooks(8)
    assert calls[-1] == ("first again", 8) and len(calls) == 3


def test_an_exception_in_a_hook_reaches_the_caller():
    hooks: Hooks[[]] = Hooks("a test")

    def broken() -> None:
        raise RuntimeError("refused")

    hooks.register("broken", broken)
    with pytest.raises(RuntimeError, match="refused"):
        hooks()


def test_logged_calls_run_every_hook_and_log_the_failing_one(caplog):
    calls: list[str] = []
    hooks: Hooks[[str]] = Hooks("a test after commit")

    def broken(value: str) -> None:
        raise RuntimeError("refused")

    hooks.register("broken", broken)
    hooks.register("works", calls.append)

    hooks.call_each_logged(logging.getLogger("minzheng.test"), "batch 7")

    assert calls == ["batch 7"]
    assert "Hook broken (a test after commit) failed" in caplog.text
