"""Enter the State Council's holiday notice for a year, or show which years are covered."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from minzheng.common.errors import ApplicationError
from minzheng.kernel.workflow import calendar
from minzheng.kernel.workflow.services import calendar_day_enter


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {text}") from None


class Command(BaseCommand):
    help = (
        "Holiday calendar for deadlines in working days. Without options: show where each "
        "year's calendar comes from. --holiday DATE… / --workday DATE… with --source enter the "
        "notice's holidays (weekdays off) and make-up working days (weekends worked)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--holiday", nargs="*", default=[], help="Days off, YYYY-MM-DD.")
        parser.add_argument("--workday", nargs="*", default=[], help="Make-up working days.")
        parser.add_argument("--name", default="", help="The holiday's name, e.g. 春节.")
        parser.add_argument("--source", default="", help="The notice, e.g. 国办发明电〔2026〕7号.")
        parser.add_argument("--years", nargs="*", type=int, default=[], help="Years to show.")

    def handle(self, *args: Any, **options: Any) -> None:
        entries = [(_date(d), False) for d in options["holiday"]]
        entries += [(_date(d), True) for d in options["workday"]]
        if entries and not options["source"].strip():
            raise CommandError("Give --source: the notice the days come from.")
        try:
            for day, working in entries:
                calendar_day_enter(
                    actor=None,
                    date=day,
                    is_working_day=working,
                    name=options["name"],
                    source_document=options["source"],
                )
                self.stdout.write(f"{day} {'working day' if working else 'holiday'}")
        except ApplicationError as error:
            raise CommandError(error.message) from None
        today = dt.date.today()  # noqa: DTZ011 - a year overview, the zone does not matter
        years = options["years"] or [today.year, today.year + 1]
        for year in years:
            source = calendar.year_source(year)
            warning = "" if source != calendar.WEEKDAYS else "  (not entered: Monday–Friday)"
            self.stdout.write(f"{year}: {source}{warning}")
