"""Writes of the assistance domain."""

from minzheng.domains.assistance.services import casework, payee, payroll
from minzheng.domains.assistance.services.casework import *  # noqa: F403
from minzheng.domains.assistance.services.determination import determination_start
from minzheng.domains.assistance.services.payee import *  # noqa: F403
from minzheng.domains.assistance.services.payroll import *  # noqa: F403

__all__ = ["determination_start", *casework.__all__, *payee.__all__, *payroll.__all__]
