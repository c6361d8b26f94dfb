"""The words e-mails are written with: languages, how long a link stays valid,
dates and moments, and billing's, fleet's and assets' codes in words (French and
English)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

from .times import utc

DEFAULT_LANGUAGE = "fr"
LANGUAGES = ("fr", "en")


def normalise_language(raw: str | None) -> str:
    """'en', 'EN', 'en-GB', 'en_US' -> 'en'; anything unknown or empty -> 'fr'."""
    if not raw:
        return DEFAULT_LANGUAGE
    primary = raw.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def _english(language: str) -> bool:
    return normalise_language(language) == "en"


def describe_validity(duration: timedelta, language: str) -> str:
    """A human phrase for how long a link stays valid: '48 heures', '30 days', '1 hour'.

    Whole days from 3 days up (and exact multiples of 24 h beyond 2 days);
    hours below that; minutes below one hour."""
    seconds = max(round(duration.total_seconds() / 60) * 60, 60)
    en = _english(language)
    if seconds >= 3 * 86400 and seconds % 86400 < 3600:
        count, unit = round(seconds / 86400), ("day", "days") if en else ("jour", "jours")
    elif seconds >= 3600:
        count, unit = round(seconds / 3600), ("hour", "hours") if en else ("heure", "heures")
    else:
        count, unit = round(seconds / 60), ("minute", "minutes")  # same in both
    return f"{count} {unit[0] if count == 1 else unit[1]}"


_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def describe_moment(moment: datetime, language: str, tz: tzinfo = UTC) -> str:
    """'23/11/2025 à 16:05 (UTC)' / '23 November 2025 at 16:05 (UTC)'."""
    local = (utc(moment) or moment).astimezone(tz)
    zone = local.tzname() or "UTC"
    if _english(language):
        day = f"{local.day} {_MONTHS_EN[local.month - 1]} {local.year}"
        return f"{day} at {local:%H:%M} ({zone})"
    return f"{local:%d/%m/%Y} à {local:%H:%M} ({zone})"


def describe_date(iso_date: str, language: str) -> str:
    """'2026-04-15' -> '15/04/2026' (fr) / '15 April 2026' (en); '' stays ''
    and anything unparsable is shown as given."""
    raw = (iso_date or "").strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return raw
    if _english(language):
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day:%d/%m/%Y}"


# Billing's codes in words (fr, en); an unknown code is shown as it came.
_DOCUMENT_TYPES = {
    "INVOICE": ("facture", "invoice"),
    "CREDIT_NOTE": ("avoir", "credit note"),
    "STATEMENT": ("relevé", "statement"),
}
_CLAIM_REASONS = {
    "WRONG_AMOUNT": ("montant erroné", "wrong amount"),
    "NOT_RECEIVED": ("prestation non reçue", "not received"),
    "DUPLICATE": ("doublon", "duplicate"),
    "OTHER": ("autre motif", "other"),
}
_CLAIM_STATUSES = {
    "OPEN": ("ouverte", "open"),
    "IN_PROGRESS": ("en cours de traitement", "in progress"),
    "ACCEPTED": ("acceptée", "accepted"),
    "REJECTED": ("refusée", "rejected"),
}

# The bank's reasons for returning a SEPA direct debit (ISO 20022 codes).
_RETURN_REASONS = {
    "AC01": ("coordonnées bancaires erronées", "incorrect account number"),
    "AC04": ("compte clôturé", "closed account"),
    "AC06": ("compte bloqué", "blocked account"),
    "AG01": ("opération interdite sur ce compte", "transaction forbidden on this account"),
    "AM04": ("provision insuffisante", "insufficient funds"),
    "MD01": ("pas de mandat valide", "no valid mandate"),
    "MD06": ("remboursement demandé par le débiteur", "refund requested by the debtor"),
    "MS02": ("refusé par le débiteur", "refused by the debtor"),
    "MS03": ("motif non précisé par la banque", "reason not given by the bank"),
    "SL01": ("service spécifique de votre banque", "specific service of your bank"),
}


# Fleet's codes: what a request on lines asked, and why lines were suspended.
_CHANGE_KINDS = {
    "OPTIONS": ("modification des options", "change of options"),
    "SUSPEND": ("suspension des lignes", "suspension of the lines"),
    "REACTIVATE": ("réactivation des lignes", "reactivation of the lines"),
    "SWITCH_TO_PREPAID": ("passage en prépayé", "switch to prepaid"),
    "CHANGE_PLAN": ("changement de forfait", "change of plan"),
    "ACTIVATE_SIM": ("activation d'une carte SIM", "activation of a SIM card"),
}
_SUSPENSION_REASONS = {
    "LOSS": ("perte", "loss"),
    "THEFT": ("vol", "theft"),
    "TEMPORARY": ("suspension temporaire", "temporary suspension"),
}

# Assets' codes: service requests (their kind, status, intervention type and
# urgency) and change requests (their topic and answer). Kinds and statuses are
# phrased to read in "Nouvelle <kind>", "Votre <kind> ... est <status>" (feminine,
# as "demande" is) and "Your <kind> ... is <status>".
_SERVICE_REQUEST_KINDS = {
    "PARTS": ("demande de pièces détachées", "spare parts request"),
    "INTERVENTION": ("demande d'intervention", "intervention request"),
    "EXPERTISE": ("demande d'expertise", "expertise request"),
    "REMOVAL": ("demande d'enlèvement", "removal request"),
}
_SERVICE_REQUEST_STATUSES = {
    "RECEIVED": ("reçue", "received"),
    "PLANNED": ("planifiée", "planned"),
    "IN_PROGRESS": ("en cours de traitement", "in progress"),
    "DONE": ("terminée", "done"),
    "CANCELLED": ("annulée", "cancelled"),
}
_INTERVENTION_TYPES = {
    "BREAKDOWN": ("panne", "breakdown"),
    "PREVENTIVE": ("maintenance préventive", "preventive maintenance"),
}
_URGENCIES = {
    "NORMAL": ("normale", "normal"),
    "HIGH": ("haute", "high"),
    "CRITICAL": ("critique, machine à l'arrêt", "critical, machine stopped"),
}
_CHANGE_TOPICS = {
    "POSTAL_ADDRESS": ("adresse postale", "postal address"),
    "PHONE": ("numéro de téléphone", "phone number"),
    "LICENCE_PLATE": ("plaque d'immatriculation", "licence plate"),
    "BANK_DETAILS": ("coordonnées bancaires", "bank details"),
    "OTHER": ("autre demande", "other request"),
}
_CHANGE_REQUEST_STATUSES = {
    "OPEN": ("ouverte", "open"),
    "ACCEPTED": ("acceptée", "accepted"),
    "REFUSED": ("refusée", "refused"),
    "ANSWERED": ("traitée", "answered"),
}


def _label(table: dict[str, tuple[str, str]], code: str, language: str) -> str:
    code = (code or "").strip().upper()
    words = table.get(code)
    if words is None:
        return code
    return words[1] if _english(language) else words[0]


def describe_document_type(code: str, language: str) -> str:
    """'INVOICE' -> 'facture' / 'invoice'."""
    return _label(_DOCUMENT_TYPES, code, language)


def describe_claim_reason(code: str, language: str) -> str:
    """'WRONG_AMOUNT' -> 'montant erroné' / 'wrong amount'."""
    return _label(_CLAIM_REASONS, code, language)


def describe_claim_status(code: str, language: str) -> str:
    """'REJECTED' -> 'refusée' / 'rejected'."""
    return _label(_CLAIM_STATUSES, code, language)


def describe_return_reason(code: str, language: str) -> str:
    """'AM04' -> 'provision insuffisante' / 'insufficient funds'."""
    return _label(_RETURN_REASONS, code, language)


def describe_change_kind(code: str, language: str) -> str:
    """'SWITCH_TO_PREPAID' -> 'passage en prépayé' / 'switch to prepaid'."""
    return _label(_CHANGE_KINDS, code, language)


def describe_suspension_reason(code: str, language: str) -> str:
    """'THEFT' -> 'vol' / 'theft'."""
    return _label(_SUSPENSION_REASONS, code, language)


def describe_service_request_kind(code: str, language: str) -> str:
    """'INTERVENTION' -> "demande d'intervention" / 'intervention request'."""
    return _label(_SERVICE_REQUEST_KINDS, code, language)


def describe_service_request_status(code: str, language: str) -> str:
    """'PLANNED' -> 'planifiée' / 'planned'."""
    return _label(_SERVICE_REQUEST_STATUSES, code, language)


def describe_intervention_type(code: str, language: str) -> str:
    """'BREAKDOWN' -> 'panne' / 'breakdown'."""
    return _label(_INTERVENTION_TYPES, code, language)


def describe_urgency(code: str, language: str) -> str:
    """'CRITICAL' -> "critique, machine à l'arrêt" / 'critical, machine stopped'."""
    return _label(_URGENCIES, code, language)


def describe_change_topic(code: str, language: str) -> str:
    """'LICENCE_PLATE' -> "plaque d'immatriculation" / 'licence plate'."""
    return _label(_CHANGE_TOPICS, code, language)


def describe_change_request_status(code: str, language: str) -> str:
    """'REFUSED' -> 'refusée' / 'refused'."""
    return _label(_CHANGE_REQUEST_STATUSES, code, language)
