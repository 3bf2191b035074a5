"""Working days on the Chinese holiday calendar, for deadlines counted in working days.

Three sources, in order:

1. `CalendarDay` rows an operator entered from the State Council's holiday notice (国务院办公厅
   关于部分节假日安排的通知) — they win, so a correction or a year the library does not know
   can be entered without a release;
2. the `chinese_calendar` package (chinesecalendar 1.11.0 knows 2004–2026);
3. Monday to Friday, for a year neither knows. `year_covered(year)` is False then, and pages
   warn that the year's holiday calendar has not been entered.

Counting rule: the day a period starts from is not counted; day 1 is the next day (民法典
第二百零一条: "按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算"), and only working
days count (行政许可法第八十二条: "本法规定的行政许可的期限以工作日计算，不含法定节假日").
So `add_working_days(start, n)` is the n-th working day after `start`, and
`working_days_between(start, end)` counts the working days d with start < d <= end.

Years are loaded once and cached for `CACHE_SECONDS`; writing a `CalendarDay` through the
service clears the cache of this process.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import chinese_calendar

CACHE_SECONDS = 300
LIBRARY = "library"
ENTERED = "entered"
WEEKDAYS = "weekdays"


@dataclass(frozen=True)
class _Year:
    source: str  # LIBRARY | ENTERED | WEEKDAYS
    exceptions: dict[dt.date, bool]  # dates whose working status differs from Mon–Fri
    loaded: float


_cache: dict[int, _Year] = {}


def clear_cache() -> None:
    _cache.clear()


def _library_year(year: int) -> dict[dt.date, bool] | None:
    """The library's holidays and make-up working days of `year`, or None if it lacks them."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return None
    exceptions: dict[dt.date, bool] = {}
    for day in chinese_calendar.holidays:
        if day.year == year and day.weekday() < 5:
            exceptions[day] = False
    for day in chinese_calendar.workdays:
        if day.year == year and day.weekday() >= 5:
            exceptions[day] = True
    return exceptions


def _load(year: int) -> _Year:
    from minzheng.kernel.workflow.models import CalendarDay

    entered = dict(
        CalendarDay.objects.filter(
            date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
        ).values_list("date", "is_working_day")
    )
    library = _library_year(year)
    exceptions = dict(library or {})
    for day, working in entered.items():
        if working == (day.weekday() < 5):
            exceptions.pop(day, None)
        else:
            exceptions[day] = working
    source = ENTERED if entered else (LIBRARY if library is not None else WEEKDAYS)
    return _Year(source=source, exceptions=exceptions, loaded=time.monotonic())


def _year(year: int) -> _Year:
    cached = _cache.get(year)
    if cached is None or time.monotonic() - cached.loaded > CACHE_SECONDS:
        cached = _cache[year] = _load(year)
    return cached


def year_source(year: int) -> str:
    """Where `year`'s calendar comes from: "entered", "library" or "weekdays" (not covered)."""
    return _year(year).source


def year_covered(year: int) -> bool:
    """Whether `year`'s official holidays are known; if not, deadlines count Monday–Friday."""
    return _year(year).source != WEEKDAYS


def uncovered_years(start: dt.date, end: dt.date) -> list[int]:
    """Years between two dates whose holiday calendar is unknown (for a page's warning)."""
    first, last = sorted((start.year, end.year))
    return [year for year in range(first, last + 1) if not year_covered(year)]


def is_working_day(day: dt.date) -> bool:
    exceptions = _year(day.year).exceptions
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start` (start itself not counted; 0 gives `start`)."""
    if days < 0:
        raise ValueError("days must be zero or more")
    day = start
    remaining = days
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days d with start < d <= end; negative when `end` is before `start`."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
