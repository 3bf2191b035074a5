"""Citizen ID numbers (公民身份号码) per GB 11643-1999.

18 characters: 6-digit address code, 8-digit birth date, 3-digit sequence (odd = male),
and an ISO 7064 MOD 11-2 check character. Old 15-digit numbers convert to 18 digits.
Address codes are not checked against today's divisions: codes are fixed at issue.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minzheng.common.errors import ValidationFailed

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
EARLIEST_BIRTH = dt.date(1880, 1, 1)


class IdNumberError(ValidationFailed):
    """A malformed ID number; `code` says which rule failed."""


def check_character(body: str) -> str:
    """The 18th character for a 17-digit body."""
    total = sum(int(digit) * weight for digit, weight in zip(body, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: dt.date
    sex: str  # "M" or "F"
    address_code: str


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate and normalise an ID number, or raise IdNumberError with a clear message."""
    value = (raw or "").strip().replace(" ", "").upper()
    if not value:
        raise IdNumberError(_("Enter the ID number."), code="id_number_missing", field="id_number")
    if len(value) == 15:
        if not value.isdigit():
            raise IdNumberError(
                _("A 15-digit ID number may contain digits only."),
                code="id_number_characters",
                field="id_number",
            )
        body = value[:6] + "19" + value[6:]
        value = body + check_character(body)
    if len(value) != 18:
        raise IdNumberError(
            _("An ID number has 18 characters; this one has %(count)d.") % {"count": len(value)},
            code="id_number_length",
            field="id_number",
        )
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise IdNumberError(
            _("An ID number is 17 digits followed by a digit or X."),
            code="id_number_characters",
            field="id_number",
        )
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdNumberError(
            _("The birth date in the ID number (%(date)s) is not a real date.")
            % {"date": value[6:14]},
            code="id_number_date",
            field="id_number",
        ) from None
    today = today or timezone.localdate()
    if birth > today:
        raise IdNumberError(
            _("The birth date in the ID number (%(date)s) is in the future.")
            % {"date": birth.isoformat()},
            code="id_number_future",
            field="id_number",
        )
    if birth < EARLIEST_BIRTH:
        raise IdNumberError(
            _("The birth date in the ID number (%(date)s) is too early.")
            % {"date": birth.isoformat()},
            code="id_number_date",
            field="id_number",
        )
    if check_character(value[:17]) != value[17]:
        raise IdNumberError(
            _("The check character of the ID number is wrong: please check every digit."),
            code="id_number_check",
            field="id_number",
        )
    sex = "M" if int(value[16]) % 2 == 1 else "F"
    return IdNumber(value=value, birth_date=birth, sex=sex, address_code=value[:6])


def make_id_number(address_code: str, birth_date: dt.date, sequence: int) -> str:
    """Build a valid ID number (used by the demo generator and tests)."""
    body = f"{address_code}{birth_date:%Y%m%d}{sequence:03d}"
    return body + check_character(body)
