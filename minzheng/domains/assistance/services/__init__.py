"""Writes of the assistance domain."""

from minzheng.domains.assistance.services.determination import determination_start

__all__ = ["determination_start"]
