"""What the billing pages share: the API's problems said in the user's language
and the claims list (the API has no call for one claim, nor a filter by
document)."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from web.api import ApiError
from web.api_texts import KNOWN, in_words
from web.i18n import _, money
from web.pages.context import Ctx

DOCUMENT_TYPES = ("DOCUMENT_TYPE_INVOICE", "DOCUMENT_TYPE_CREDIT_NOTE", "DOCUMENT_TYPE_STATEMENT")
CLAIM_REASONS = ("WRONG_AMOUNT", "NOT_RECEIVED", "DUPLICATE", "OTHER")
OPEN_CLAIM_STATUSES = ("CLAIM_STATUS_OPEN", "CLAIM_STATUS_IN_PROGRESS")
FINAL_PAYMENT_STATES = ("PAYMENT_STATE_SUCCEEDED", "PAYMENT_STATE_FAILED", "PAYMENT_STATE_RETURNED")
PAGE_SIZE = 25


def path_id(ctx: Ctx) -> str:
    """The page's `{id}`, quoted for the API's path (an id never adds a query)."""
    return quote(ctx.request.path_params["id"], safe="")


def cents(amount: dict | None) -> int:
    """The cents of the API's `{amountCents, currency}` (int64 travels as a string)."""
    return int((amount or {}).get("amountCents") or 0)


# ---- the API's problems, in the user's language ----------------------------------------

# The API describes field problems in English; the known ones are said in the
# page's language, anything else is shown as the API wrote it.
_DESCRIPTIONS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"must be at most (\d+) characters"),
        lambda m: _("At most %(count)s characters.") % {"count": m.group(1)},
    ),
    (
        re.compile(r"is not a valid IBAN\b.*"),
        lambda m: _(
            "This IBAN is not valid: check the country code, the check digits and "
            "the length against your bank details."
        ),
    ),
    (
        re.compile(r"is not a valid BIC\b.*"),
        lambda m: (
            _("This BIC is not valid: it has 8 or 11 letters and digits.")
            + " "
            + _("Leave it empty if you do not know it.")
        ),
    ),
    (
        re.compile(r"may contain only letters, digits, spaces and .*"),
        lambda m: _(
            "Use only unaccented letters, digits, spaces and these signs: / - ? : ( ) . , ' +"
        ),
    ),
    (re.compile(r"must be one of .*"), lambda m: _("Choose one of the proposed values.")),
    (re.compile(r"must be a valid date.*"), lambda m: _("Enter a valid date.")),
    (
        re.compile(r"must not be before `from`"),
        lambda m: _("The end date must not be before the start date."),
    ),
    (
        re.compile(r"must not exceed the balance due \((\d+) cents\)"),
        lambda m: (
            _("This is more than the balance due (%(due)s).") % {"due": money(int(m.group(1)))}
        ),
    ),
    (re.compile(r"must be greater than 0 cents"), lambda m: _("Enter an amount above zero.")),
    (
        re.compile(r"must be at most (\d+) cents.*"),
        lambda m: (
            _("This is more than can be paid at once (%(max)s).") % {"max": money(int(m.group(1)))}
        ),
    ),
    (re.compile(r"must be EUR.*"), lambda m: _("Amounts are in euros.")),
    (
        re.compile(r"must not contain control characters"),
        lambda m: _("Remove the invisible control characters from this text."),
    ),
]


def describe(description: str) -> str:
    """A description the areas share first, then billing's own patterns."""
    if description in KNOWN:
        return in_words(description)
    for pattern, say in _DESCRIPTIONS:
        found = pattern.fullmatch(description.strip())
        if found:
            return say(found)
    return description


def field_problems(error: ApiError, mapping: dict[str, str] | None = None) -> dict[str, str]:
    """The API's field violations keyed by form field (`mapping` renames API
    fields; `amount.currency` goes with `amount`), said in the page's language."""
    problems: dict[str, list[str]] = {}
    for name, descriptions in error.violations.items():
        key = (mapping or {}).get(name, name)
        said = problems.setdefault(key, [])
        said += [describe(d) for d in descriptions if d and describe(d) not in said]
    return {key: " ".join(said) for key, said in problems.items()}


def refusal(error: ApiError) -> str:
    """A refused action (no field to point at) said in the page's language."""
    known = {
        "PAPERLESS_CONSENT_REQUIRED": _(
            "Paying online needs your consent to receive your documents by e-mail: "
            "give it on your account page, then pay again."
        ),
        "DOCUMENT_ALREADY_PAID": _("This document is already paid."),
        "DOCUMENT_CREDITED": _("This invoice was cancelled by a credit note: nothing to pay."),
        "DOCUMENT_NOT_PAYABLE": _("Only invoices can be paid."),
        "NOTHING_TO_PAY": _("Nothing is due: there is nothing to pay."),
        "PAYMENT_PROVIDER_UNAVAILABLE": _(
            "The card payment service cannot be reached: nothing was paid. "
            "Please try again in a few minutes."
        ),
        "PAYMENT_PROVIDER_REJECTED": _(
            "The card payment service refused to start this payment: nothing was paid."
        ),
        "IDEMPOTENCY_KEY_IN_FLIGHT": _(
            "This form was sent twice: the first one is still being processed."
        ),
        "CLAIM_ALREADY_OPEN": _("A claim on this invoice is already open: follow it instead."),
        "CLAIM_NOT_AN_INVOICE": _("Only invoices can be disputed."),
        "MANDATE_ALREADY_REVOKED": _("This mandate is already revoked."),
    }
    if error.reason in known:
        return known[error.reason]
    if error.status == 503:
        return known["PAYMENT_PROVIDER_UNAVAILABLE"]
    return error.message or _("This could not be done.")


def failure_reason(code: str) -> str:
    """Why a payment failed, from the provider's code."""
    known = {
        "CARD_DECLINED": _("The card was declined."),
        "AUTHENTICATION_FAILED": _("The card holder's authentication (3-D Secure) failed."),
        "PAYMENT_PROVIDER_UNAVAILABLE": _("The card payment service could not be reached."),
        "PAYMENT_PROVIDER_REJECTED": _("The card payment service refused the payment."),
    }
    if code in known:
        return known[code]
    return _("The payment did not go through (%(code)s).") % {"code": code or _("no reason given")}


# ---- lists the API has no call for one item of ----------------------------------------


async def all_claims(ctx: Ctx) -> list[dict]:
    return await ctx.api_all("/v1/claims", "claims")
