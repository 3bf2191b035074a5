"""After-import hooks: domains register functions called with a batch once it is imported.

The kernel never imports a domain: a domain registers its hook in its AppConfig.ready().
`source_batch_import` calls `batch_imported` after its transaction commits, for batches
whose rows were written; a hook should enqueue its work rather than do it inline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minzheng.kernel.verification.models import SourceBatch

logger = logging.getLogger(__name__)

BatchHook = Callable[["SourceBatch"], None]
BATCH_IMPORTED_HOOKS: dict[str, BatchHook] = {}


def register_batch_imported(name: str, hook: BatchHook) -> None:
    """Call `hook(batch)` after every import (idempotent: one hook per name)."""
    BATCH_IMPORTED_HOOKS[name] = hook


def unregister_batch_imported(name: str) -> None:
    BATCH_IMPORTED_HOOKS.pop(name, None)


def batch_imported(batch_id: int) -> None:
    """Run every registered hook with the batch; one failing hook does not stop the others."""
    from minzheng.kernel.verification.models import SourceBatch

    batch = SourceBatch.objects.select_related("source", "region").get(pk=batch_id)
    for name, hook in list(BATCH_IMPORTED_HOOKS.items()):
        try:
            hook(batch)
        except Exception:
            logger.exception("After-import hook %s failed for batch %s", name, batch_id)
