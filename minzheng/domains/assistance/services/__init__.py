"""Writes of the assistance domain."""

from minzheng.domains.assistance.services import casework
from minzheng.domains.assistance.services.casework import *  # noqa: F403
from minzheng.domains.assistance.services.determination import determination_start

__all__ = ["determination_start", *casework.__all__]
