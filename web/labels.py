"""The API's enums that several areas show, in words: one wording wherever a
value is shown (an area's own enums stay with it). Built per call: `_()`
follows the request's language."""

from __future__ import annotations

from web.i18n import _


def contact_topics() -> dict[str, str]:
    return {
        "CONTACT_TOPIC_POSTAL_ADDRESS": _("Postal address"),
        "CONTACT_TOPIC_PHONE": _("Phone number"),
        "CONTACT_TOPIC_LICENCE_PLATE": _("Licence plate"),
        "CONTACT_TOPIC_BANK_DETAILS": _("Bank details"),
        "CONTACT_TOPIC_OTHER": _("Other question"),
    }


def intervention_types() -> dict[str, str]:
    return {
        "INTERVENTION_TYPE_BREAKDOWN": _("Breakdown"),
        "INTERVENTION_TYPE_PREVENTIVE": _("Preventive visit"),
    }
