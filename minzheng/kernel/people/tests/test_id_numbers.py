import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from minzheng.kernel.people.id_numbers import (
    IdNumberError,
    check_character,
    make_id_number,
    parse_id_number,
)

TODAY = dt.date(2026, 11, 28)


def test_standard_sample_check_character_is_x():
    assert check_character("11010519491231002") == "X"


def test_parse_derives_birth_date_and_sex():
    parsed = parse_id_number("11010519491231002x", today=TODAY)
    assert parsed.value == "11010519491231002X"
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "F"  # sequence 002 is even


def test_fifteen_digit_number_converts_to_eighteen():
    parsed = parse_id_number("330402650304123", today=TODAY)
    assert parsed.value.startswith("33040219650304123")
    assert len(parsed.value) == 18
    assert parsed.value[-1] == check_character(parsed.value[:17])
    assert parsed.sex == "M"


def test_retired_address_codes_are_accepted():
    # 330402 was 秀城区 before it became 南湖区; old codes like 330401 stay valid.
    number = make_id_number("330401", dt.date(1955, 1, 1), 17)
    assert parse_id_number(number, today=TODAY).address_code == "330401"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "id_number_missing"),
        ("33040219800101123", "id_number_length"),
        ("3304021980010112345", "id_number_length"),
        ("33040219800101A23X", "id_number_characters"),
        ("33040219800231123" + check_character("33040219800231123"), "id_number_date"),
        ("33040219801301123" + check_character("33040219801301123"), "id_number_date"),
        ("33040220991231123" + check_character("33040220991231123"), "id_number_future"),
        ("330402198001011230", "id_number_check"),
        ("33040265030412A", "id_number_characters"),
    ],
)
def test_bad_numbers_are_refused_with_a_code(raw, code):
    if code == "id_number_check":
        raw = raw[:17] + ("1" if check_character(raw[:17]) != "1" else "2")
    with pytest.raises(IdNumberError) as caught:
        parse_id_number(raw, today=TODAY)
    assert caught.value.code == code
    assert caught.value.field == "id_number"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "校验位"), ("en", "check character")],
)
def test_messages_are_in_the_users_language(language, expected):
    with translation.override(language), pytest.raises(IdNumberError) as caught:
        parse_id_number("330402198001011231", today=TODAY)
    assert expected in str(caught.value.message)


birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
address_codes = st.from_regex(r"[1-8]\d{5}", fullmatch=True)


@given(address=address_codes, birth=birth_dates, sequence=st.integers(0, 999))
def test_every_generated_number_round_trips(address, birth, sequence):
    number = make_id_number(address, birth, sequence)
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.value == number
    assert parsed.birth_date == birth
    assert parsed.sex == ("M" if sequence % 2 else "F")


@given(
    address=address_codes,
    birth=birth_dates,
    sequence=st.integers(0, 999),
    position=st.integers(0, 16),
    delta=st.integers(1, 9),
)
def test_any_single_digit_change_is_caught(address, birth, sequence, position, delta):
    number = make_id_number(address, birth, sequence)
    changed_digit = str((int(number[position]) + delta) % 10)
    changed = number[:position] + changed_digit + number[position + 1 :]
    with pytest.raises(IdNumberError):
        parse_id_number(changed, today=TODAY)


@given(st.text(max_size=25))
def test_arbitrary_text_is_refused_or_valid_never_crashes(text):
    try:
        parsed = parse_id_number(text, today=TODAY)
    except IdNumberError as error:
        assert error.code.startswith("id_number_")
    else:
        assert len(parsed.value) == 18
        assert parsed.value[-1] == check_character(parsed.value[:17])
