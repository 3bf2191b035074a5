"""What the payments kernel tells the domains, inside the transaction of the change.

- ``account_recorded(account)``: a payee account was recorded for a person (the person's
  previous active account, if any, is closed by then).

See ``minzheng.common.hooks``: a domain registers in its AppConfig.ready().
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from minzheng.common.hooks import Hooks

if TYPE_CHECKING:
    from minzheng.kernel.payments.models import PayeeAccount

account_recorded: Hooks[[PayeeAccount]] = Hooks("a payee account was recorded")
