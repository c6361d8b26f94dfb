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
