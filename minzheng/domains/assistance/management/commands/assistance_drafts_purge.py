"""Remove the portal's abandoned drafts now (what the nightly task assistance.drafts_purge does)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minzheng.common.errors import ApplicationError
from minzheng.domains.assistance.services.portal import drafts_purge_abandoned


class Command(BaseCommand):
    help = (
        "Delete the online-application drafts (码上办) never submitted and unchanged for "
        "ASSISTANCE_DRAFT_RETENTION_DAYS days (or --days), with their uploaded files and "
        "consents; one audit event per run. --dry-run only counts. Prints JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, help="Unchanged for at least this many days.")
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = drafts_purge_abandoned(
                older_than_days=options["days"], dry_run=options["dry_run"]
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            json.dumps({**result.as_dict(), "dry_run": options["dry_run"]}, ensure_ascii=False)
        )
