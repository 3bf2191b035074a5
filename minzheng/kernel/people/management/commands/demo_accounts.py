"""manage.py demo_accounts: the demo accounts, their roles and regions, and how to log in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand
from django.urls import NoReverseMatch, reverse

from minzheng.kernel.accounts.models import Role, User, UserKind
from minzheng.kernel.people.demo.accounts import DEMO_PASSWORD, DEMO_STAFF, RESIDENT_PHONE
from minzheng.kernel.regions.models import Region


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


class Command(BaseCommand):
    help = "Print the demo accounts (user names, roles, regions), the password and resident login."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the site is served"
        )

    def handle(self, *args: Any, base_url: str, **options: Any) -> None:
        base_url = base_url.rstrip("/")
        existing = set(
            User.objects.filter(username__in=[s.username for s in DEMO_STAFF]).values_list(
                "username", flat=True
            )
        )
        regions = dict(
            Region.objects.filter(code__in=[s.region_code for s in DEMO_STAFF]).values_list(
                "code", "name"
            )
        )
        rows = [
            (
                spec.username,
                spec.full_name,
                str(Role(spec.role).label),
                f"{regions.get(spec.region_code, '?')} {spec.region_code}",
            )
            for spec in DEMO_STAFF
            if spec.username in existing
        ]
        if not rows:
            self.stdout.write("No demo accounts yet: run `manage.py seed_demo` first.")
            return
        self._table(("user name", "name", "role", "region"), rows)
        self.stdout.write(f"\nStaff log in at {base_url}{_url('backoffice:login', '/login/')}")
        self.stdout.write(f"with the shared demo password: {DEMO_PASSWORD}")
        if "sysadmin" in existing:
            self.stdout.write(f"sysadmin also opens the Django admin at {base_url}/admin/")
        self._resident(base_url)

    def _resident(self, base_url: str) -> None:
        resident = (
            User.objects.filter(kind=UserKind.RESIDENT, phone=RESIDENT_PHONE)
            .select_related("person")
            .first()
        )
        if resident is None:
            return
        who = resident.person.name if resident.person else resident.get_username()
        self.stdout.write(
            f"\nResident {who}: open {base_url}{_url('portal:login', '/portal/login/')}, "
            f"enter the phone number {RESIDENT_PHONE} and ask for a code; in development the "
            "one-time code is printed on the server console (console SMS backend)."
        )

    def _table(self, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
        """A plain text table; widths count CJK characters as two columns."""

        def width(text: str) -> int:
            return sum(2 if ord(char) > 0x2E80 else 1 for char in text)

        widths = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]

        def line(cells: tuple[str, ...]) -> str:
            return "  ".join(c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True))

        self.stdout.write(line(header).rstrip())
        self.stdout.write("  ".join("-" * w for w in widths))
        for row in rows:
            self.stdout.write(line(row).rstrip())
