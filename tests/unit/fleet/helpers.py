"""Line files and SIM numbers for the fleet's tests."""

from __future__ import annotations

HEADER = ["Number", "ICCID", "User name", "Customer number", "Product", "Plan", "Status", "Options"]


def iccid(body: str) -> str:
    """`body` (18 or 19 digits) with its Luhn check digit."""
    for check in "0123456789":
        candidate = body + check
        total = 0
        for position, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if position % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def line_row(
    number: str,
    n: int,
    user: str = "Ada Lovelace",
    *,
    customer: str = "C-100",
    plan: str = "Business M",
    status: str = "ACTIVE",
    options: str = "ROAMING|DATA 5GB",
) -> list[str]:
    return [number, iccid(f"893204{n:012d}"), user, customer, "Mobile", plan, status, options]


def line_file(rows: list[list[str]], *, separator: str = ";") -> bytes:
    text = "\r\n".join(separator.join(row) for row in [HEADER, *rows]) + "\r\n"
    return b"\xef\xbb\xbf" + text.encode()


# The catalogue the fleet tests run on: two plans of one product, one of
# another; two data bundles that exclude each other; a roaming pass (one-off)
# that needs data; an SMS bundle; a plain roaming option.
PLANS: list[dict] = [
    {
        "code": "BUS_M",
        "name": "Business M",
        "product": "Mobile",
        "monthlyCents": 2500,
        "vatBp": 2000,
    },
    {
        "code": "BUS_L",
        "name": "Business L",
        "product": "Mobile",
        "monthlyCents": 3500,
        "vatBp": 2000,
    },
    {
        "code": "DATA_ONLY",
        "name": "Data only",
        "product": "Data SIM",
        "monthlyCents": 1500,
        "vatBp": 2000,
    },
]
OPTIONS: list[dict] = [
    {
        "code": "ROAMING",
        "type": "OPTION_TYPE_ROAMING",
        "name": "Roaming",
        "priceCents": 0,
        "priceKind": "PRICE_KIND_MONTHLY",
        "vatBp": 2000,
    },
    {
        "code": "DATA_5GB",
        "type": "OPTION_TYPE_DATA",
        "name": "Data 5GB",
        "priceCents": 1000,
        "priceKind": "PRICE_KIND_MONTHLY",
        "vatBp": 2000,
    },
    {
        "code": "DATA_20GB",
        "type": "OPTION_TYPE_DATA",
        "name": "Data 20GB",
        "priceCents": 2000,
        "priceKind": "PRICE_KIND_MONTHLY",
        "vatBp": 2000,
        "plans": ["BUS_L"],
        "excludes": ["DATA_5GB"],
    },
    {
        "code": "ROAM_EU",
        "type": "OPTION_TYPE_ROAMING",
        "name": "Roaming pass EU",
        "priceCents": 1500,
        "priceKind": "PRICE_KIND_ONE_OFF",
        "vatBp": 2000,
        "requiresOneOf": ["DATA_5GB", "DATA_20GB"],
    },
    {
        "code": "SMS_100",
        "type": "OPTION_TYPE_SMS",
        "name": "SMS 100",
        "priceCents": 300,
        "priceKind": "PRICE_KIND_MONTHLY",
        "vatBp": 2000,
    },
]


async def load_catalogue(deps, operator) -> None:
    """The test catalogue through the use cases (as the admin routes load it)."""
    from services.fleet.domain.catalogue import OptionType, PriceKind
    from services.fleet.usecases import catalogue

    for plan in PLANS:
        await catalogue.put_plan(
            deps,
            operator,
            plan["code"],
            name=plan["name"],
            product=plan["product"],
            monthly_cents=plan["monthlyCents"],
            vat_bp=plan["vatBp"],
        )
    for option in OPTIONS:
        await catalogue.put_option(
            deps,
            operator,
            option["code"],
            type=OptionType(option["type"].removeprefix("OPTION_TYPE_")),
            name=option["name"],
            description="",
            price_cents=option["priceCents"],
            price_kind=PriceKind(option["priceKind"].removeprefix("PRICE_KIND_")),
            vat_bp=option["vatBp"],
            plans=option.get("plans", []),
            excludes=option.get("excludes", []),
            requires_one_of=option.get("requiresOneOf", []),
        )
