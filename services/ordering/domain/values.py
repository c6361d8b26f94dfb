"""Small value checks shared by ordering's rules: e-mail syntax (dates are parsed
by `portal_runtime.dates`).

Ordering keeps its own copy of the e-mail check: a service never imports another
service's code."""

from __future__ import annotations

import re

EMAIL_MAX_LENGTH = 254
_EMAIL_LOCAL_MAX = 64
_LOCAL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^[a-z]{2,63}$|^xn--[a-z0-9-]{1,59}$")
# The rules below in one pattern, for the common case: an address it matches
# passes every one of them (an order file checks up to 100,000); one it does
# not match gets the rule by rule check, which names the problem.
_VALID = re.compile(
    r"(?=[^@]{1,64}@)[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59}(?<!-))\Z"
)

INVALID_EMAIL = "is not a valid e-mail address"
INVALID_DATE = "must be a valid date YYYY-MM-DD"


def normalise_email(raw: str) -> str:
    return raw.strip().lower()


def email_problem(normalised: str) -> str | None:
    """Why a normalised (trimmed, lower-case), non-empty address is bad, or None."""
    if len(normalised) <= EMAIL_MAX_LENGTH and _VALID.match(normalised):
        return None
    if len(normalised) > EMAIL_MAX_LENGTH:
        return f"must be at most {EMAIL_MAX_LENGTH} characters"
    if normalised.count("@") != 1:
        return INVALID_EMAIL
    local, domain = normalised.split("@")
    if not local or len(local) > _EMAIL_LOCAL_MAX or not _LOCAL.match(local):
        return INVALID_EMAIL
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return INVALID_EMAIL
    if not _TLD.match(labels[-1]):
        return INVALID_EMAIL
    return None
