"""Named callbacks that a kernel calls and domains register: how a kernel tells a domain
about a change without importing it (the imports run one way, domains → kernel).

A domain registers its hooks in its AppConfig.ready(). Called inside the transaction of
the change (``hooks(...)``), what a hook writes commits or rolls back with it, and a hook
that raises aborts the change: such hooks must stay small and set-based. Called after the
commit (``hooks.call_each_logged(logger, ...)``), one failing hook is logged and the others
still run: the change itself is done by then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, ParamSpec

P = ParamSpec("P")


class Hooks(Generic[P]):
    """An ordered set of named callbacks with one signature; one per name."""

    def __init__(self, description: str) -> None:
        self.description = description
        self._hooks: dict[str, Callable[P, None]] = {}

    def register(self, name: str, hook: Callable[P, None]) -> None:
        """Add ``hook`` under ``name``; registering a name again replaces it (idempotent)."""
        self._hooks[name] = hook

    def unregister(self, name: str) -> None:
        self._hooks.pop(name, None)

    def __contains__(self, name: str) -> bool:
        return name in self._hooks

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Call every hook in the order registered; an exception propagates."""
        for hook in list(self._hooks.values()):
            hook(*args, **kwargs)

    def call_each_logged(self, logger: logging.Logger, *args: P.args, **kwargs: P.kwargs) -> None:
        """Call every hook in order; an exception is logged and the next hook still runs."""
        for name, hook in list(self._hooks.items()):
            try:
                hook(*args, **kwargs)
            except Exception:
                logger.exception("Hook %s (%s) failed", name, self.description)
