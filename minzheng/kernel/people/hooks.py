"""What the register tells the domains, inside the transaction of the change.

- ``member_left(household_id, person_id)``: a membership ended (moved away, died, married
  out); called by ``household_end_membership`` (and so by ``person_move_household``).
- ``person_died(person_id)``: a date of death was recorded for a person who had none.

See ``minzheng.common.hooks``: a domain registers in its AppConfig.ready().
"""

from __future__ import annotations

from minzheng.common.hooks import Hooks

member_left: Hooks[[int, int]] = Hooks("a person left a household")
person_died: Hooks[[int]] = Hooks("a date of death was recorded")
