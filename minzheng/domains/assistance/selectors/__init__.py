"""Reads of the assistance domain, always inside the actor's regions."""

from minzheng.domains.assistance.selectors import casework
from minzheng.domains.assistance.selectors.casework import *  # noqa: F403
from minzheng.domains.assistance.selectors.determination import determination_list

__all__ = ["determination_list", *casework.__all__]
