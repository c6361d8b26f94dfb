"""The operator's catalogue: tariff plans (grouped by product) and the options a
line may take (roaming passes, data bundles, SMS bundles...), with the rules of
which option fits which plan, which options exclude each other and which need
another one. Codes are upper-case (`ROAM_EU`, `BUS_M`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from portal_runtime.errors import InvalidArgument, Violations
from portal_runtime.money import vat_rate_problem

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,39}$")
CODE_PROBLEM = (
    "must be 1-40 upper-case letters A-Z, digits, '_' or '-', starting with a letter or digit"
)
MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_PRICE_CENTS = 100_000_00


class OptionType(StrEnum):
    ROAMING = "ROAMING"
    DATA = "DATA"
    SMS = "SMS"
    OTHER = "OTHER"


class PriceKind(StrEnum):
    MONTHLY = "MONTHLY"
    ONE_OFF = "ONE_OFF"


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    product: str
    monthly_cents: int = 0
    vat_bp: int = 0


@dataclass(frozen=True)
class CatalogueOption:
    code: str
    type: OptionType
    name: str
    description: str = ""
    price_cents: int = 0
    price_kind: PriceKind = PriceKind.MONTHLY
    vat_bp: int = 0
    plans: frozenset[str] = frozenset()  # empty: fits every plan
    excludes: frozenset[str] = frozenset()
    requires_one_of: frozenset[str] = frozenset()

    def fits(self, plan: str) -> bool:
        return not self.plans or plan in self.plans

    @property
    def monthly_cents(self) -> int:
        return self.price_cents if self.price_kind is PriceKind.MONTHLY else 0

    @property
    def one_off_cents(self) -> int:
        return self.price_cents if self.price_kind is PriceKind.ONE_OFF else 0


def normalise_code(raw: str) -> str:
    """Upper-cased when ASCII; other text is left as is, for the code check to
    refuse (upper-casing would turn a dotless i into I, another code's letter)."""
    text = raw.strip()
    return text.upper() if text.isascii() else text


def valid_code(code: str) -> bool:
    return bool(CODE_PATTERN.match(code))


def _text(violations: Violations, value: str, name: str, limit: int, *, required: bool) -> str:
    text = " ".join(value.split())
    if required and not text:
        violations.add(name, "is required")
    elif len(text) > limit:
        violations.add(name, f"must be at most {limit} characters")
    return text


def _price(violations: Violations, cents: int, name: str) -> None:
    if cents < 0 or cents > MAX_PRICE_CENTS:
        violations.add(name, f"must be between 0 and {MAX_PRICE_CENTS} cents")


def _vat(violations: Violations, vat_bp: int, name: str) -> None:
    # Billing invoices only the rates it knows: a one-off option must be billable.
    problem = vat_rate_problem(vat_bp)
    if problem:
        violations.add(name, problem)


def new_plan(code: str, name: str, product: str, monthly_cents: int, vat_bp: int) -> Plan:
    """A plan as the operator describes it, or every problem at once."""
    violations = Violations()
    code = normalise_code(code)
    if not valid_code(code):
        violations.add("code", CODE_PROBLEM)
    name = _text(violations, name, "plan.name", MAX_NAME, required=True)
    product = _text(violations, product, "plan.product", MAX_NAME, required=True)
    _price(violations, monthly_cents, "plan.monthlyCents")
    _vat(violations, vat_bp, "plan.vatBp")
    violations.raise_if_any("PLAN_INVALID")
    return Plan(code, name, product, monthly_cents, vat_bp)


def new_option(
    *,
    code: str,
    type: OptionType | None,
    name: str,
    description: str,
    price_cents: int,
    price_kind: PriceKind | None,
    vat_bp: int,
    plans: Iterable[str],
    excludes: Iterable[str],
    requires_one_of: Iterable[str],
    known_plans: Iterable[str],
    known_options: Iterable[str],
) -> CatalogueOption:
    """An option as the operator describes it; the plans and options it names
    must exist (the option itself may be named among `known_options` when it is
    being replaced)."""
    violations = Violations()
    code = normalise_code(code)
    if not valid_code(code):
        violations.add("code", CODE_PROBLEM)
    if type is None:
        violations.add("option.type", "is required (ROAMING, DATA, SMS or OTHER)")
    name = _text(violations, name, "option.name", MAX_NAME, required=True)
    description = _text(
        violations, description, "option.description", MAX_DESCRIPTION, required=False
    )
    _price(violations, price_cents, "option.priceCents")
    if price_kind is None:
        violations.add("option.priceKind", "is required (MONTHLY or ONE_OFF)")
    _vat(violations, vat_bp, "option.vatBp")
    plan_codes = set(known_plans)
    option_codes = set(known_options) - {code}
    fields: dict[str, frozenset[str]] = {}
    for json_name, values, known, what in (
        ("option.plans", plans, plan_codes, "plan"),
        ("option.excludes", excludes, option_codes, "option"),
        ("option.requiresOneOf", requires_one_of, option_codes, "option"),
    ):
        codes = [normalise_code(v) for v in values]
        for index, value in enumerate(codes):
            if value not in known:
                violations.add(f"{json_name}[{index}]", f"no {what} {value!r} in the catalogue")
        fields[json_name] = frozenset(codes)
    both = fields["option.excludes"] & fields["option.requiresOneOf"]
    if both:
        violations.add(
            "option.requiresOneOf", f"cannot both require and exclude {', '.join(sorted(both))}"
        )
    violations.raise_if_any("OPTION_INVALID")
    assert type is not None and price_kind is not None
    return CatalogueOption(
        code=code,
        type=type,
        name=name,
        description=description,
        price_cents=price_cents,
        price_kind=price_kind,
        vat_bp=vat_bp,
        plans=fields["option.plans"],
        excludes=fields["option.excludes"],
        requires_one_of=fields["option.requiresOneOf"],
    )


@dataclass(frozen=True)
class Catalogue:
    """Plans and options by code, and the rules between them."""

    plans: Mapping[str, Plan] = field(default_factory=dict)
    options: Mapping[str, CatalogueOption] = field(default_factory=dict)

    def excluded_pairs(self, codes: Iterable[str]) -> list[tuple[str, str]]:
        """The pairs among `codes` that exclude each other (either side may
        declare it), each once, sorted."""
        present = sorted(set(codes))
        pairs: list[tuple[str, str]] = []
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                left, right = self.options.get(a), self.options.get(b)
                if (left and b in left.excludes) or (right and a in right.excludes):
                    pairs.append((a, b))
        return pairs

    def name_of(self, code: str) -> str:
        option = self.options.get(code)
        return option.name if option else code

    def plans_of_product(self, product: str) -> list[Plan]:
        return sorted(
            (p for p in self.plans.values() if p.product == product), key=lambda p: p.code
        )

    def option_refusal(
        self, plan: str, status_ok: bool, status: str, options: Iterable[str], code: str
    ) -> str | None:
        """Why a line (on `plan`, with `options`) may not take `code` on its own
        now, or drop it when it has it; None when it may: what ListOptions
        shows beside each option."""
        current = frozenset(options)
        if not status_ok:
            return f"the line is {status}: options change only on active or prepaid lines"
        if code in current:
            problems = change_problems(self, plan, current, [], [code])
        else:
            problems = change_problems(self, plan, current, [code], [])
        return problems[0] if problems else None


def change_problems(
    catalogue: Catalogue,
    plan: str,
    current: frozenset[str],
    activate: Iterable[str],
    deactivate: Iterable[str],
) -> list[str]:
    """What prevents adding `activate` and removing `deactivate` on a line on
    `plan` with options `current`, each in words; [] when it may be done.
    Conflicts the line already had (operator's data) are not its customer's
    doing: only those the change brings are reported."""
    adding = list(dict.fromkeys(activate))
    removing = list(dict.fromkeys(deactivate))
    problems: list[str] = []
    for code in adding:
        if code in current:
            problems.append(f"{code} is already active")
        option = catalogue.options.get(code)
        if option is not None and not option.fits(plan):
            problems.append(f"{code} is not available on plan {plan}")
    for code in removing:
        if code not in current:
            problems.append(f"{code} is not active on this line")
    after = (current - set(removing)) | set(adding)
    before_pairs = set(catalogue.excluded_pairs(current))
    for a, b in catalogue.excluded_pairs(after):
        if (a, b) not in before_pairs:
            problems.append(f"{a} and {b} exclude each other")
    for code in sorted(after):
        option = catalogue.options.get(code)
        if option is None or not option.requires_one_of:
            continue
        if option.requires_one_of & after:
            continue
        had_it = code in current and bool(option.requires_one_of & current)
        if code in adding or had_it:
            needed = ", ".join(sorted(option.requires_one_of))
            problems.append(f"{code} needs one of {needed}")
    return problems


def unknown_codes(catalogue: Catalogue, activate: Iterable[str], deactivate: Iterable[str]) -> None:
    """Field errors for option codes the catalogue does not have, or named on
    both sides, or no change at all."""
    violations = Violations()
    activate = list(activate)
    deactivate = list(deactivate)
    if not activate and not deactivate:
        violations.add("activate", "name at least one option to activate or deactivate")
    for name, codes in (("activate", activate), ("deactivate", deactivate)):
        for index, code in enumerate(codes):
            if code not in catalogue.options:
                violations.add(f"{name}[{index}]", f"no option {code!r} in the catalogue")
    for code in sorted(set(activate) & set(deactivate)):
        violations.add("deactivate", f"{code} is also in activate")
    violations.raise_if_any("OPTION_CHANGE_INVALID")


def require_plan(catalogue: Catalogue, code: str, field_name: str = "plan") -> Plan:
    plan = catalogue.plans.get(code)
    if plan is None:
        raise InvalidArgument.for_field(
            field_name, f"no plan {code!r} in the catalogue", reason="PLAN_UNKNOWN"
        )
    return plan
