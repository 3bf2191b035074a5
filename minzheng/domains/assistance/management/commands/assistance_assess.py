"""Assess one household given as a JSON file (or a register household) and print the result."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minzheng.common.errors import ApplicationError
from minzheng.domains.assistance.assess import (
    AssessInputInvalid,
    assess_json,
    household_assess_unscoped,
)
from minzheng.kernel.people.models import Household


class Command(BaseCommand):
    help = (
        "Assess one household for every assistance programme, with the parameters in force. "
        "FILE.json holds the assess JSON (docs/rules/assess.md); or give --household ID "
        "--date YYYY-MM-DD to assess a household of the register. Prints JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="The assess JSON; '-' reads standard input.")
        parser.add_argument("--household", type=int, help="A register household id.")
        parser.add_argument("--date", help="With --household: the day assessed, YYYY-MM-DD.")

    def handle(self, *args: Any, **options: Any) -> None:
        household_id = options["household"]
        if (options["file"] is None) == (household_id is None):
            raise CommandError("Give either FILE.json or --household ID (with --date).")
        try:
            if household_id is not None:
                result = self._household(household_id, options["date"])
            else:
                result = assess_json(data=self._read(options["file"]))
        except AssessInputInvalid as error:
            for item in error.errors:
                self.stderr.write(f"error: {item['field']}: {item['message']}")
            raise CommandError(f"{len(error.errors)} problem(s) in the household data.") from None
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))

    def _read(self, name: str) -> Any:
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {name}: {error}") from None
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as error:
            raise CommandError(f"{name} is not valid JSON: {error}") from None

    def _household(self, household_id: int, date: str | None) -> dict[str, Any]:
        if not date:
            raise CommandError("--household needs --date YYYY-MM-DD.")
        try:
            on = dt.date.fromisoformat(date)
        except ValueError:
            raise CommandError(f"--date: not a date YYYY-MM-DD: {date!r}") from None
        try:
            return household_assess_unscoped(household_id=household_id, on=on)
        except Household.DoesNotExist:
            raise CommandError(f"--household: no household {household_id}.") from None
        except AssessInputInvalid:
            raise
        except ApplicationError as error:
            raise CommandError(f"{error.field or 'household'}: {error.message}") from None
