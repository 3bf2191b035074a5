"""Demo accounts for `make run`: one staff account per role, mirroring the test personas.

Created through the accounts services by the system (actor None). Every staff account
shares DEMO_PASSWORD; the demo resident logs in with RESIDENT_PHONE and a one-time code.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from minzheng.kernel.accounts.models import Role, User, UserKind
from minzheng.kernel.accounts.services import staff_create
from minzheng.kernel.audit.services import audit_record
from minzheng.kernel.people.models import Membership, Relation
from minzheng.kernel.people.services import person_update
from minzheng.kernel.regions.models import Region

DEMO_PASSWORD = "Minzheng-demo-2026"  # noqa: S105 - printed for the demo on purpose
RESIDENT_PHONE = "13800000001"
XINJIA = "330402009"  # 新嘉街道, 南湖区


@dataclass(frozen=True)
class DemoStaff:
    username: str
    full_name: str
    role: str
    region_code: str
    admin_site: bool = False


DEMO_STAFF = (
    DemoStaff("village_xinjia", "陈村干", Role.VILLAGE_WORKER, XINJIA + "001"),
    DemoStaff("grid_xinjia", "林网格", Role.GRID_WORKER, XINJIA + "001001"),
    DemoStaff("clerk_xinjia", "周经办", Role.TOWN_CLERK, XINJIA),
    DemoStaff("reviewer_xinjia", "冯审核", Role.TOWN_REVIEWER, XINJIA),
    DemoStaff("clerk_wangdian", "吴经办", Role.TOWN_CLERK, "330411105"),
    DemoStaff("approver_nanhu", "郑审批", Role.COUNTY_APPROVER, "330402"),
    DemoStaff("admin_city", "钱管理", Role.CITY_ADMIN, "330400"),
    DemoStaff("auditor_city", "孙审计", Role.AUDITOR, "330400"),
    DemoStaff("sysadmin", "何系统", Role.SYSTEM_ADMIN, "330400", admin_site=True),
)


def _grant_admin_site(user: User) -> None:
    """Let the system administrator into the Django admin (reference data)."""
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    audit_record(
        actor=None,
        action="accounts.staff.admin_site",
        obj=user,
        changes={"is_staff": True, "is_superuser": True},
    )


def ensure_demo_staff() -> list[User]:
    """Create the demo staff accounts that do not exist yet; returns the ones created.

    The shared password is hashed once (argon2 is slow on purpose) and given to each account.
    """
    created: list[User] = []
    password_hash = ""
    for spec in DEMO_STAFF:
        if User.objects.filter(username=spec.username).exists():
            continue
        region = Region.objects.filter(code=spec.region_code).first()
        if region is None:
            continue
        with transaction.atomic():
            user = staff_create(
                actor=None,
                username=spec.username,
                full_name=spec.full_name,
                password=None,
                grants=[(spec.role, region)],
            )
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            User.objects.filter(pk=user.pk).update(password=password_hash)
            if spec.admin_site:
                _grant_admin_site(user)
        created.append(user)
    return created


def ensure_demo_resident() -> User | None:
    """The demo resident account, linked to the head of the first 新嘉街道 household.

    None when the register has no living head of household in 新嘉街道.
    """
    existing = User.objects.filter(kind=UserKind.RESIDENT, phone=RESIDENT_PHONE).first()
    if existing is not None:
        return existing
    town = Region.objects.filter(code=XINJIA).first()
    if town is None:
        return None
    membership = (
        Membership.objects.filter(
            household__region__path__startswith=town.path,
            relation=Relation.HEAD,
            end_date__isnull=True,
            person__death_date__isnull=True,
        )
        .select_related("person")
        .order_by("household_id")
        .first()
    )
    if membership is None:
        return None
    with transaction.atomic():
        person = person_update(actor=None, person=membership.person, phone=RESIDENT_PHONE)
        user = User(
            username=f"resident-{RESIDENT_PHONE}",
            phone=RESIDENT_PHONE,
            kind=UserKind.RESIDENT,
            full_name=person.name,
            person=person,
        )
        user.set_unusable_password()
        user.save()
        audit_record(actor=None, action="accounts.resident.create", obj=user)
    return user
