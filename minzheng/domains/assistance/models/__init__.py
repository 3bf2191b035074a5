"""Tables of the assistance domain: determinations (the rules' monthly results) and the
casework of applications, enrolments and their steps."""

from minzheng.domains.assistance.models import casework
from minzheng.domains.assistance.models.authorisation import *  # noqa: F403
from minzheng.domains.assistance.models.casework import *  # noqa: F403
from minzheng.domains.assistance.models.determination import Determination
from minzheng.domains.assistance.models.discovery import *  # noqa: F403
from minzheng.domains.assistance.models.review import *  # noqa: F403

__all__ = ["Determination", *casework.__all__]
