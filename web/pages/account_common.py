"""What the access and account pages share: the API's refusals in the user's
words (its field problems next to their fields, its reasons as sentences),
the new-password checks a form makes before calling, and the permissions'
names. No routes here."""

from __future__ import annotations

import re

from web.api import ApiError
from web.api_texts import in_words
from web.i18n import N_, _

# Refusal statuses a form answers by showing itself again with the problem
# (anything else goes to the decorator's error pages).
FORM_STATUSES = (400, 409, 422, 429)

_INDEX = re.compile(r"\[\d+\]$")


# The built-in profiles' names, the same for every account.
BUILT_IN_PROFILE_NAMES = (
    N_("Administrator"),
    N_("Orders"),
    N_("Billing"),
    N_("Fleet"),
    N_("Assets"),
    N_("Read-only"),
)


def profile_label(profile: dict) -> str:
    """A profile's name as shown: built-in names in the user's language."""
    name = profile.get("name", "")
    return _(name) if profile.get("builtIn") and name else name


def api_errors(error: ApiError, mapping: dict[str, str] | None = None) -> dict[str, str]:
    """The API's field problems keyed by form field: `mapping` renames API
    names, an index (`permissions[2]`) points at its list's field, and each
    description is in the user's language."""
    errors: dict[str, list[str]] = {}
    for name, descriptions in error.violations.items():
        key = _INDEX.sub("", name)
        key = (mapping or {}).get(key, key)
        errors.setdefault(key, []).extend(in_words(d) for d in descriptions if d)
    return {key: "; ".join(dict.fromkeys(texts)) for key, texts in errors.items()}


def reason_text(error: ApiError) -> str:
    """A refusal that belongs to no field, said in the user's words."""
    if error.status == 429:
        return _("Too many attempts: wait a few minutes and try again.")
    known = {
        "TOKEN_INVALID_OR_EXPIRED": _("This link is invalid, has expired or was already used."),
        "ACTIVATION_MISMATCH": _(
            "The client number and the contract number do not match this activation link."
        ),
        "DELEGATION_LOCKED": _(
            "Managing accesses and creating profiles become available after your "
            "account's first order."
        ),
        "PROFILE_IN_USE": _("Managers still use this profile: give them another one first."),
        "PROFILE_BUILT_IN": _("Built-in profiles cannot be changed."),
        "PROFILE_NAME_TAKEN": _("Your account already has a profile with this name."),
        "USER_ALREADY_MEMBER": _("This person already has access to your account."),
        "USER_EXISTS": _("This e-mail address cannot be invited."),
        "CANNOT_CHANGE_SELF": _("You cannot change or disable your own access."),
        "SESSION_REVOKED": _("This step has expired or was already completed: sign in again."),
        "INVALID_CONTACTS": _("Some contacts are not valid: see the fields below."),
        "WEAK_PASSWORD": _("Choose another password: see the field below."),
    }
    if error.reason in known:
        return known[error.reason]
    if error.violations:
        return _("Some fields are not valid: see below.")
    return error.message


def password_errors(
    password: str, confirmation: str, *, field: str, confirm_field: str
) -> dict[str, str]:
    """The form's own checks before calling: the two entries are the same (the
    rules of a good password are the API's)."""
    if not password:
        return {field: _("is required")}
    if password != confirmation:
        return {confirm_field: _("The two passwords are not the same.")}
    return {}


def permission_labels() -> dict[str, str]:
    """The permissions' names, in the order the profile forms list them."""
    return {
        "orders.read": _("See orders and beneficiaries"),
        "orders.write": _("Order cards and loads"),
        "billing.read": _("See invoices and documents"),
        "billing.pay": _("Pay invoices"),
        "fleet.read": _("See the mobile fleet"),
        "fleet.write": _("Change mobile lines"),
        "assets.read": _("See equipment, quotes and parking"),
        "assets.write": _("Send service requests"),
        "quotes.accept": _("Accept quotes"),
        "users.manage": _("Manage accesses and profiles"),
        "account.manage": _("Manage the account's contacts and consent"),
    }


def ordered_permissions(known: set[str]) -> list[tuple[str, str]]:
    """(code, label) of every permission the API knows, labelled ones first."""
    labels = permission_labels()
    ordered = [code for code in labels if code in known]
    ordered += sorted(known - set(labels))
    return [(code, labels.get(code, code)) for code in ordered]
