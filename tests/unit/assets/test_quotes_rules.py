"""Quotes' rules without I/O: totals per VAT rate, status and expiry by date,
what an operator may issue, answers, list filters and sorts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal_runtime.errors import FailedPrecondition, InvalidArgument
from services.assets.domain.quotes import (
    LineInput,
    Quote,
    QuoteLine,
    QuoteSort,
    QuoteStatus,
    SortKey,
    check_decline_reason,
    check_draft,
    check_purchase_order_reference,
    order_number,
    parse_sort,
    quote_filter,
    quote_number,
)

TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def quote(valid_until: date = TODAY, lines: tuple[QuoteLine, ...] = ()) -> Quote:
    return Quote(
        id="q1",
        entity_id="ent-acme",
        number="DEV-2026-000001",
        title="Révision pompe",
        lines=lines or (QuoteLine("Kit joints", 2, 1250, 2000),),
        valid_until=valid_until,
        issued_at=NOW,
    )


def line(**overrides: object) -> LineInput:
    values: dict = {
        "label": "Main d'oeuvre",
        "quantity": 1,
        "unit_price_cents": 100,
        "vat_rate_bp": 2000,
    }
    values.update(overrides)
    return LineInput(**values)


def draft(**overrides: object):
    values: dict = {
        "entity_id": "ent-acme",
        "title": "Révision",
        "lines": [line()],
        "valid_until": "2026-04-10",
        "service_request_id": "",
        "equipment_id": "",
        "today": TODAY,
    }
    values.update(overrides)
    return check_draft(**values)


def violations_of(refused: pytest.ExceptionInfo) -> dict[str, str]:
    return {v.field: v.description for v in refused.value.violations}


# ---- totals --------------------------------------------------------------------------


def test_totals_round_vat_once_per_rate_half_up() -> None:
    found = quote(
        lines=(
            QuoteLine("Pièce A", 3, 1999, 2000),  # 59.97
            QuoteLine("Pièce B", 2, 1001, 2000),  # 20.02
            QuoteLine("Déplacement", 1, 125, 1000),  # 1.25
        )
    )
    # 20 %: 79.99 -> 15.998 -> 16.00 (per line it would be 11.99 + 4.00 = 15.99);
    # 10 %: 1.25 -> 0.125 -> 0.13 half-up (not 0.12).
    assert found.totals.base_by_rate == ((1000, 125), (2000, 7999))
    assert found.totals.tax_by_rate == ((1000, 13), (2000, 1600))
    assert (found.totals.excl_cents, found.totals.tax_cents, found.totals.incl_cents) == (
        8124,
        1613,
        9737,
    )


def test_numbers_are_per_year_and_six_digits() -> None:
    assert quote_number(2026, 12) == "DEV-2026-000012"
    assert order_number(2027, 1) == "CMD-2027-000001"


# ---- status and expiry -----------------------------------------------------------------


def test_a_quote_is_pending_through_its_last_day_then_expired() -> None:
    found = quote(valid_until=TODAY)
    assert found.status_on(TODAY) is QuoteStatus.PENDING
    assert found.status_on(date(2026, 3, 11)) is QuoteStatus.EXPIRED
    # Expiry is computed: nothing stored changes.
    assert found.status is QuoteStatus.PENDING


def test_it_may_be_accepted_on_its_last_day() -> None:
    found = quote(valid_until=TODAY)
    fact = found.accept(
        "PO-1", "CMD-2026-000001", "u-acme", datetime(2026, 3, 10, 23, 59, tzinfo=UTC)
    )
    assert found.status is QuoteStatus.ACCEPTED
    assert (fact.order_number, fact.purchase_order_reference, fact.user_id) == (
        "CMD-2026-000001",
        "PO-1",
        "u-acme",
    )
    assert fact.totals == found.totals and fact.lines == found.lines
    # Accepted is final: it does not expire afterwards.
    assert found.status_on(date(2027, 1, 1)) is QuoteStatus.ACCEPTED


def test_an_expired_quote_cannot_be_answered_and_stays_unchanged() -> None:
    found = quote(valid_until=TODAY)
    later = datetime(2026, 3, 11, 0, 0, tzinfo=UTC)
    with pytest.raises(FailedPrecondition) as refused:
        found.accept("PO-1", "CMD-2026-000001", "u-acme", later)
    assert refused.value.reason == "QUOTE_EXPIRED"
    with pytest.raises(FailedPrecondition) as declined:
        found.decline("trop cher", "u-acme", later)
    assert declined.value.reason == "QUOTE_EXPIRED"
    assert (found.status, found.order_number, found.answered_at) == (QuoteStatus.PENDING, "", None)


def test_an_answered_quote_cannot_be_answered_again() -> None:
    accepted = quote(valid_until=date(2026, 4, 1))
    accepted.accept("PO-1", "CMD-2026-000001", "u-acme", NOW)
    for answer in (
        lambda: accepted.accept("PO-2", "CMD-2026-000002", "u-other", NOW),
        lambda: accepted.decline("non", "u-other", NOW),
    ):
        with pytest.raises(FailedPrecondition) as refused:
            answer()
        assert refused.value.reason == "QUOTE_ALREADY_ACCEPTED"
    assert (accepted.order_number, accepted.purchase_order_reference) == ("CMD-2026-000001", "PO-1")

    declined = quote(valid_until=date(2026, 4, 1))
    declined.decline("Trop cher", "u-acme", NOW)
    assert (declined.status, declined.decline_reason) == (QuoteStatus.DECLINED, "Trop cher")
    with pytest.raises(FailedPrecondition) as refused:
        declined.accept("PO-1", "CMD-2026-000001", "u-acme", NOW)
    assert refused.value.reason == "QUOTE_DECLINED"
    assert declined.order_number == ""


# ---- issuing -------------------------------------------------------------------------


def test_a_valid_draft_keeps_its_lines_and_trims_text() -> None:
    found = draft(
        title="  Révision  ", lines=[line(label=" Kit ", quantity=1_000_000, unit_price_cents=0)]
    )
    assert found.title == "Révision"
    assert found.lines == (QuoteLine("Kit", 1_000_000, 0, 2000),)
    assert found.valid_until == date(2026, 4, 10)


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(InvalidArgument) as refused:
        draft(
            entity_id=" ",
            title="",
            lines=[
                line(quantity=0),
                line(label="", vat_rate_bp=1900),
                line(unit_price_cents=-1, currency="USD"),
                line(unit_price_cents=None, quantity=1_000_001),
            ],
            valid_until="2026-02-30",
        )
    assert refused.value.reason == "INVALID_QUOTE"
    found = violations_of(refused)
    assert set(found) == {
        "entityId",
        "title",
        "lines[0].quantity",
        "lines[1].label",
        "lines[1].vatRateBp",
        "lines[2].unitPriceExclTax",
        "lines[2].unitPriceExclTax.currency",
        "lines[3].unitPriceExclTax",
        "lines[3].quantity",
        "validUntil",
    }
    assert "2000" in found["lines[1].vatRateBp"]
    assert found["lines[3].unitPriceExclTax"] == "is required"


def test_valid_until_may_be_today_but_not_before() -> None:
    assert draft(valid_until="2026-03-10").valid_until == TODAY
    with pytest.raises(InvalidArgument) as refused:
        draft(valid_until="2026-03-09")
    assert "past" in violations_of(refused)["validUntil"]


def test_no_lines_or_a_total_beyond_the_limit_is_refused() -> None:
    with pytest.raises(InvalidArgument) as empty:
        draft(lines=[])
    assert "lines" in violations_of(empty)
    # Each line within bounds, the whole above 100,000,000.00 incl. VAT.
    huge = line(quantity=1_000_000, unit_price_cents=5_000)
    with pytest.raises(InvalidArgument) as too_much:
        draft(lines=[huge, huge])
    assert "lines" in violations_of(too_much)


def test_answers_need_a_reference_or_a_reason_within_bounds() -> None:
    assert check_purchase_order_reference("  BC-2026-17 ") == "BC-2026-17"
    assert check_purchase_order_reference("x" * 64) == "x" * 64
    with pytest.raises(InvalidArgument) as blank:
        check_purchase_order_reference("  ")
    assert blank.value.reason == "REQUIRED_FIELD"
    assert "purchaseOrderReference" in violations_of(blank)
    with pytest.raises(InvalidArgument) as long:
        check_purchase_order_reference("x" * 65)
    assert "purchaseOrderReference" in violations_of(long)
    assert check_decline_reason("x" * 2000) == "x" * 2000
    for bad in ("", "x" * 2001):
        with pytest.raises(InvalidArgument) as refused:
            check_decline_reason(bad)
        assert "reason" in violations_of(refused)


# ---- lists -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("issued", QuoteSort(SortKey.ISSUED, descending=False)),
        ("-issued", QuoteSort(SortKey.ISSUED, descending=True)),
        ("amount", QuoteSort(SortKey.AMOUNT, descending=False)),
        ("-amount", QuoteSort(SortKey.AMOUNT, descending=True)),
        ("validUntil", QuoteSort(SortKey.VALID_UNTIL, descending=False)),
        (" -validUntil ", QuoteSort(SortKey.VALID_UNTIL, descending=True)),
    ],
)
def test_sorts(raw: str, expected: QuoteSort) -> None:
    assert parse_sort(raw) == expected


def test_the_default_sort_is_newest_first() -> None:
    assert parse_sort("  ") == QuoteSort(SortKey.ISSUED, descending=True)


@pytest.mark.parametrize("raw", ["price", "AMOUNT", "--amount", "amount,issued"])
def test_an_unknown_sort_is_a_field_error(raw: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        parse_sort(raw)
    assert refused.value.reason == "INVALID_SORT"
    assert "-validUntil" in violations_of(refused)["sort"]


def test_filter_bounds_and_sort_are_checked_together() -> None:
    def build(**overrides: object):
        values: dict = {
            "status": None,
            "issued_from": None,
            "issued_to": None,
            "min_amount_cents": 0,
            "max_amount_cents": 0,
            "equipment_id": "",
            "sort": "",
        }
        values.update(overrides)
        return quote_filter(**values)

    unset = build()
    assert (unset.min_amount_cents, unset.max_amount_cents) == (None, None)
    assert build(min_amount_cents=500, max_amount_cents=500).max_amount_cents == 500
    with pytest.raises(InvalidArgument) as refused:
        build(min_amount_cents=-1, max_amount_cents=-5, sort="nope")
    assert set(violations_of(refused)) == {"minAmountCents", "maxAmountCents", "sort"}
    with pytest.raises(InvalidArgument) as crossed:
        build(min_amount_cents=1000, max_amount_cents=999)
    assert set(violations_of(crossed)) == {"maxAmountCents"}
