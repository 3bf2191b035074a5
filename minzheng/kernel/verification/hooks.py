"""After-import hooks: domains register functions called with a batch once it is imported.

The kernel never imports a domain: a domain registers its hook in its AppConfig.ready().
`source_batch_import` calls `batch_imported` after its transaction commits, for batches
whose rows were written; a hook should enqueue its work rather than do it inline. One
failing hook is logged and does not stop the others (``minzheng.common.hooks``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from minzheng.common.hooks import Hooks

if TYPE_CHECKING:
    from minzheng.kernel.verification.models import SourceBatch

logger = logging.getLogger(__name__)

BatchHook = Callable[["SourceBatch"], None]
imported: Hooks[[SourceBatch]] = Hooks("a source batch was imported")


def register_batch_imported(name: str, hook: BatchHook) -> None:
    """Call `hook(batch)` after every import (idempotent: one hook per name)."""
    imported.register(name, hook)


def unregister_batch_imported(name: str) -> None:
    imported.unregister(name)


def batch_imported(batch_id: int) -> None:
    """Run every registered hook with the batch; one failing hook does not stop the others."""
    from minzheng.kernel.verification.models import SourceBatch

    batch = SourceBatch.objects.select_related("source", "region").get(pk=batch_id)
    imported.call_each_logged(logger, batch)
