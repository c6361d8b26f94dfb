"""Fleet's one-off charges, billed: a completed request on lines that activated
options with a one-off price owes them once. Its invoice is no order's: its
source is the request (`fleet-request:<request id>`), which makes it unique.

Fleet states the price per line excluding VAT and the rate; the invoice's VAT and
totals come from the shared rule of `portal_runtime.money` like any document's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from portal_runtime.errors import Violations
from portal_runtime.money import MAX_OPERATION_CENTS, vat_rate_problem

from .documents import LABEL_MAX, MAX_QUANTITY, Line, compute_totals, source_key

FLEET_REQUEST_SOURCE = "fleet-request:"


@dataclass(frozen=True)
class OneOffCharge:
    """An option with a one-off price activated on `quantity` lines."""

    option_code: str
    option_name: str
    unit_amount_cents: int  # per line, excluding VAT
    vat_bp: int
    quantity: int


def fleet_request_source(request_id: str) -> str:
    """The source key of a fleet request's invoice."""
    return source_key(FLEET_REQUEST_SOURCE, request_id, "requestId")


def charge_label(option_name: str, quantity: int) -> str:
    """'Option Roaming Monde - 12 lignes / lines' (the name shortened to fit)."""
    lines = "ligne / line" if quantity == 1 else "lignes / lines"
    tail = f" - {quantity} {lines}"
    name = " ".join(option_name.split())
    room = LABEL_MAX - len("Option ") - len(tail)
    if len(name) > room:
        name = name[: room - 1].rstrip() + "…"
    return f"Option {name}{tail}"


def charge_lines(charges: Sequence[OneOffCharge]) -> tuple[Line, ...]:
    """One invoice line per charge that costs something (a charge on no line, or
    at no price, owes nothing and is left out); InvalidArgument naming every
    charge that cannot be billed (``charges[1].vatBp``)."""
    violations = Violations()
    lines: list[Line] = []
    for index, charge in enumerate(charges):
        problems = _charge_problems(charge)
        for field_name, description in problems:
            violations.add(f"charges[{index}].{field_name}", description)
        if problems or charge.quantity == 0 or charge.unit_amount_cents == 0:
            continue
        label = charge_label(charge.option_name.strip() or charge.option_code, charge.quantity)
        lines.append(Line(label, charge.quantity, charge.unit_amount_cents, charge.vat_bp))
    if not violations and compute_totals(lines).incl_cents > MAX_OPERATION_CENTS:
        violations.add("charges", f"the invoice must total at most {MAX_OPERATION_CENTS} cents")
    violations.raise_if_any()
    return tuple(lines)


def _charge_problems(charge: OneOffCharge) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not (charge.option_name.strip() or charge.option_code.strip()):
        problems.append(("optionName", "is required (or optionCode)"))
    if charge.quantity < 0:
        problems.append(("quantity", "must not be negative"))
    elif charge.quantity > MAX_QUANTITY:
        problems.append(("quantity", f"must be at most {MAX_QUANTITY}"))
    if charge.unit_amount_cents < 0:
        problems.append(("unitAmountCents", "must not be negative"))
    elif charge.unit_amount_cents * max(charge.quantity, 1) > MAX_OPERATION_CENTS:
        problems.append(
            ("unitAmountCents", f"the charge must total at most {MAX_OPERATION_CENTS} cents")
        )
    vat_problem = vat_rate_problem(charge.vat_bp)
    if vat_problem:
        problems.append(("vatBp", vat_problem))
    return problems
