"""The bank-account checker for mandates, backed by schwifty (IBAN check digits,
country lengths and formats, BIC structure and known banks).

`check_account(iban, bic)` gives the domain's `CheckedAccount`: the normalised
(compact, upper-case) IBAN and BIC, or what is wrong with either. A BIC left empty
is taken from schwifty's bank registry when the IBAN's bank is known."""

from __future__ import annotations

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from services.billing.domain.mandates import CheckedAccount


def check_account(iban: str, bic: str = "") -> CheckedAccount:
    iban_value = ""
    bic_value = ""
    iban_problem = ""
    bic_problem = ""
    parsed: IBAN | None = None
    try:
        parsed = IBAN(iban)
        iban_value = parsed.compact
    except SchwiftyException as error:
        iban_problem = f"is not a valid IBAN ({error})"
    if bic.strip():
        try:
            bic_value = BIC(bic.strip()).compact
        except SchwiftyException as error:
            bic_problem = f"is not a valid BIC ({error})"
    elif parsed is not None:
        try:
            found = parsed.bic
        except SchwiftyException:
            found = None
        bic_value = found.compact if found is not None else ""
    return CheckedAccount(
        iban=iban_value, bic=bic_value, iban_problem=iban_problem, bic_problem=bic_problem
    )
