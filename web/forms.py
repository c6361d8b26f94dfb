"""What every area's forms share: amounts typed in euros, the idempotency key a
form carries (a double submit does the work once), and the problems of an
imported file laid out as table rows."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from web.i18n import _

if TYPE_CHECKING:
    from web.pages.context import Ctx

# ---- amounts typed in euros ---------------------------------------------------------------

# Grouping blanks (the French format prints narrow no-break spaces) and the sign.
_BLANKS = re.compile(r"[\s\u00a0\u202f€]+")
# `1,234.50`: English grouping commas, told apart by the decimal point after them.
_ENGLISH_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+\.\d+")
# Either decimal mark; a lone comma or point is always the decimal one, so
# `12,345` is never read as twelve thousand (it is refused: three decimals).
_AMOUNT = re.compile(r"(\d{1,9})(?:[.,](\d+))?")


def parse_euros(raw: str, *, required: bool = False, zero: bool = False) -> int | None:
    """Euros as typed in French or English (`1 234,50`, `1,234.50`, `12.5`)
    -> exact cents; None when nothing is typed (unless `required`); ValueError
    saying what is wrong otherwise. Above zero unless `zero` allows it."""
    text = _BLANKS.sub("", raw)
    if not text:
        if required:
            raise ValueError(_("Enter an amount."))
        return None
    if _ENGLISH_GROUPED.fullmatch(text):
        text = text.replace(",", "")
    found = _AMOUNT.fullmatch(text)
    if not found:
        raise ValueError(_("Enter an amount in euros, e.g. 12.50."))
    euros, decimals = found.group(1), found.group(2) or ""
    if len(decimals) > 2:
        raise ValueError(_("At most two decimals (cents)."))
    cents = int(Decimal(euros) * 100 + Decimal(decimals.ljust(2, "0")))
    if cents == 0 and not zero:
        raise ValueError(_("Enter an amount above zero."))
    return cents


# ---- idempotency keys -----------------------------------------------------------------------

# The hidden field of a form (`idempotency_input(key)` in `_form.html`).
IDEMPOTENCY_FIELD = "idempotency_key"
# A key sent by a browser is only ever one of ours.
_KEY = re.compile(r"[0-9a-f]{32}")


def new_idempotency_key() -> str:
    """A fresh key for a form about to be shown: sending that form twice
    (double click, reload) does the thing once; a form shown again with a new
    key is a new request."""
    return uuid.uuid4().hex


def idempotency_header(key: str, suffix: str = "") -> dict[str, str]:
    """The `Idempotency-Key` header for a form's key (`suffix` tells apart the
    several calls one form makes); nothing for a key that is not ours."""
    return {"Idempotency-Key": f"{key}{suffix}"} if _KEY.fullmatch(key) else {}


async def posted_idempotency_header(ctx: Ctx, suffix: str = "") -> dict[str, str]:
    """The header for the key the posted form carries."""
    return idempotency_header(await ctx.field(IDEMPOTENCY_FIELD), suffix)


# ---- the problems of an imported file -------------------------------------------------------

_LINE = re.compile(r"^line (\d+)(?::\s*(.*))?$")


@dataclass(frozen=True)
class Problem:
    """One row of `problems_table` in `_form.html`."""

    line: str
    column: str
    problem: str


def file_problems(
    violations: dict[str, list[str]], column_label: Callable[[str], str] | None = None
) -> tuple[list[Problem], dict[str, str]]:
    """The API's `line 12: email` violations as rows (`column_label` names a
    column as the page shows it), and the problems of the file as a whole
    (`file`, `header`...) by field."""
    rows: list[Problem] = []
    others: dict[str, str] = {}
    for name, descriptions in violations.items():
        found = _LINE.match(name)
        if found:
            column = found.group(2) or ""
            label = column_label(column) if column_label else column
            rows += [Problem(found.group(1), label, d) for d in descriptions]
        else:
            others[name] = "; ".join(d for d in descriptions if d)
    return rows, others


def problem_rows(
    violations: dict[str, list[str]], column_label: Callable[[str], str] | None = None
) -> list[Problem]:
    """Every problem as a row, those of the whole file too (no line)."""
    rows, others = file_problems(violations, column_label)
    return rows + [Problem("", name, text) for name, text in others.items()]
