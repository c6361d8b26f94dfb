"""Numbers, SIM ICCIDs, statuses and the search box's rules."""

from __future__ import annotations

import pytest

from services.fleet.domain.lines import (
    LineStatus,
    luhn_valid,
    parse_iccid,
    parse_status,
    search_filter,
)
from services.fleet.numbers import parse_number

from .helpers import iccid


@pytest.mark.parametrize(
    "raw", ["0470 12 34 56", "+32470123456", "+32 470 12 34 56", "0032470123456", "0470/12.34.56"]
)
def test_a_number_reads_in_any_usual_spelling(raw: str) -> None:
    number = parse_number(raw)
    assert number is not None
    assert number.e164 == "+32470123456"
    assert number.national == "0470 12 34 56"
    assert number.search_digits == "32470123456 0470123456"


def test_a_foreign_number_keeps_its_country() -> None:
    number = parse_number("+33 6 12 34 56 78")
    assert number is not None and number.e164 == "+33612345678"


@pytest.mark.parametrize("raw", ["", "12", "0470 12 34", "not a number", "+32 470 12 34 56 78 9"])
def test_an_invalid_number_is_refused(raw: str) -> None:
    assert parse_number(raw) is None


def test_iccid_needs_19_or_20_digits_and_its_check_digit() -> None:
    good = iccid("893204000000000001")
    assert len(good) == 19 and luhn_valid(good)
    assert parse_iccid(good) == good
    assert parse_iccid(iccid("8932040000000000012")) is not None  # 20 digits
    assert parse_iccid(f"{good[:4]} {good[4:]}") == good  # spaces typed
    wrong = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert parse_iccid(wrong) is None
    assert parse_iccid(good[:-2]) is None  # 17 digits
    assert parse_iccid("89320400000000000AB") is None
    assert parse_iccid("") is None


def test_statuses_read_in_any_case() -> None:
    assert parse_status("active") is LineStatus.ACTIVE
    assert parse_status("Pending activation") is LineStatus.PENDING_ACTIVATION
    assert parse_status("LINE_STATUS_PREPAID") is LineStatus.PREPAID
    assert parse_status("gone") is None


def test_the_search_box_keeps_digits_and_text() -> None:
    assert search_filter("0470 12 34 56").digits == "0470123456"
    assert search_filter("+32470123456").digits == "32470123456"
    assert search_filter("0032 470").digits == "32470"
    assert search_filter("  Ada   Love ").text == "Ada Love"
    assert search_filter("Ada").digits == ""
    found = search_filter("", status=LineStatus.ACTIVE, plan=" Business ", customer_number="C1 ")
    assert (found.status, found.plan, found.customer_number) == (
        LineStatus.ACTIVE,
        "Business",
        "C1",
    )
