"""Enumerations shared by the variables, the assess entry point and the explanations.

They live outside ``variables/`` because OpenFisca loads every file of that directory under
a private module name: importing an Enum from here gives every module the same class.
"""

from openfisca_core.indexed_enums import Enum


class County(Enum):
    c330402 = "南湖区"
    c330411 = "秀洲区"
    c330421 = "嘉善县"
    c330424 = "海盐县"
    c330481 = "海宁市"
    c330482 = "平湖市"
    c330483 = "桐乡市"


class DisabilityCategory(Enum):
    none = "none"
    visual = "visual"
    hearing = "hearing"
    speech = "speech"
    physical = "physical"
    intellectual = "intellectual"
    mental = "mental"
    multiple = "multiple"


class WorkAbility(Enum):
    full = "full"
    partial = "partial"
    none = "none"


class Relation(Enum):
    """Relation to the head of the assistance household (与户主关系)."""

    head = "head"
    spouse = "spouse"
    child = "child"
    parent = "parent"
    grandchild = "grandchild"
    grandparent = "grandparent"
    sibling = "sibling"
    other = "other"


class SelfCare(Enum):
    """Self-care ability from the six indicators (生活自理能力)."""

    full = "full self-care (具备生活自理能力)"
    partial_loss = "partial loss (部分丧失)"
    full_loss = "full loss (完全丧失)"


class ApprovalLevel(Enum):
    """Who approves a temporary-assistance amount (审批层级)."""

    none = "none"
    town = "town (乡镇/街道)"
    county = "county (县级民政部门)"
    case_by_case = "case by case (一事一议)"


class TemporaryType(Enum):
    """Type of temporary assistance (临时救助类型)."""

    none = "none"
    emergency = "emergency (急难型)"
    expenditure = "expenditure (支出型)"


class ExitProgramme(Enum):
    """Programme a household keeps during its graduated exit (渐退期)."""

    none = "none"
    dibao = "dibao"
    marginal = "marginal"


COUNTY_CODES: tuple[str, ...] = tuple(name[1:] for name in County.names)
"""The six-digit county codes, in the order of the County enum (its index)."""
