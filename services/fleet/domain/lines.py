"""A phone line of a customer's mobile fleet: its number (E.164, shown as the
country writes it), its SIM card (ICCID), who uses it, the plan and options it
runs on, and its status.

Numbers are parsed outside the domain (`services.fleet.numbers`, which needs
the `phonenumbers` library); the domain keeps their two spellings and the digits
a search compares."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

ICCID_PROBLEM = "must be a SIM ICCID: 19 or 20 digits ending with a valid check digit"
_NOT_DIGITS = re.compile(r"\D")


class LineStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"
    PREPAID = "PREPAID"
    PENDING_ACTIVATION = "PENDING_ACTIVATION"
    TERMINATED = "TERMINATED"


@dataclass(frozen=True)
class PhoneNumber:
    e164: str  # +32470123456
    national: str  # 0470 12 34 56

    @property
    def search_digits(self) -> str:
        """The digits a typed number is looked for in: the international and the
        national spelling, so that `0470...` and `32470...` both match."""
        return f"{digits_of(self.e164)} {digits_of(self.national)}"


@dataclass(frozen=True)
class LineFields:
    """What the operator's file says of a line."""

    number: PhoneNumber
    iccid: str
    user_name: str
    customer_number: str
    product: str
    plan: str
    status: LineStatus
    options: tuple[str, ...] = ()


@dataclass
class Line:
    id: str
    entity_id: str
    number: PhoneNumber
    iccid: str
    user_name: str
    customer_number: str
    product: str
    plan: str
    status: LineStatus
    options: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # Why a SUSPENDED line is, and the status reactivation gives back.
    suspension_reason: str = ""
    status_before_suspension: LineStatus | None = None
    # The request being processed on the line: one at a time.
    pending_request_id: str = ""

    @classmethod
    def new(cls, line_id: str, entity_id: str, fields: LineFields, now: datetime) -> Line:
        line = cls(line_id, entity_id, fields.number, "", "", "", "", "", fields.status)
        line.update(fields, now)
        line.created_at = now
        return line

    def update(self, fields: LineFields, now: datetime) -> None:
        """The operator's inventory is the reference: it replaces every field."""
        self.number = fields.number
        self.iccid = fields.iccid
        self.user_name = fields.user_name
        self.customer_number = fields.customer_number
        self.product = fields.product
        self.plan = fields.plan
        if fields.status is not self.status:
            self.suspension_reason = ""
            self.status_before_suspension = None
        self.status = fields.status
        self.options = fields.options
        self.updated_at = now


@dataclass(frozen=True)
class LineFilter:
    """A list's criteria; `text` and `digits` come from the search box (`q`)."""

    text: str = ""
    digits: str = ""
    status: LineStatus | None = None
    plan: str = ""
    customer_number: str = ""


def digits_of(raw: str) -> str:
    return _NOT_DIGITS.sub("", raw)


def search_filter(
    q: str, *, status: LineStatus | None = None, plan: str = "", customer_number: str = ""
) -> LineFilter:
    """`q` as typed: its digits (when it has some) are looked for in numbers and
    SIMs, and the whole text in user names and customer numbers. A leading
    international `00` is read as `+`."""
    text = " ".join(q.split())
    digits = digits_of(text)
    if text.startswith("00") and digits == text.replace(" ", ""):
        digits = digits[2:]
    return LineFilter(
        text=text,
        digits=digits,
        status=status,
        plan=plan.strip(),
        customer_number=customer_number.strip(),
    )


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def parse_iccid(raw: str) -> str | None:
    """The ICCID's digits (spaces allowed when typed), or None when it is not
    19-20 digits with a valid Luhn check digit."""
    compact = raw.replace(" ", "").strip()
    if not compact.isascii() or not compact.isdigit() or not 19 <= len(compact) <= 20:
        return None
    return compact if luhn_valid(compact) else None


def parse_status(raw: str) -> LineStatus | None:
    name = raw.strip().upper().replace(" ", "_").replace("-", "_")
    name = name.removeprefix("LINE_STATUS_")
    try:
        return LineStatus(name)
    except ValueError:
        return None
