"""The order file's columns and the blank template customers fill.

The template comes in the account's language (French unless the account is
English): French or English headers and an example row written the way that
language writes dates, yes/no and decimals. Either imports back unchanged: the
parser knows both spellings of every column (and a few more)."""

from __future__ import annotations

import csv
import io

from portal_runtime.errors import InvalidArgument

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
BOM = b"\xef\xbb\xbf"

# (JSON name, {language: template label}, accepted header spellings once normalised)
COLUMNS: tuple[tuple[str, dict[str, str], frozenset[str]], ...] = (
    ("employeeNumber", {"en": "Employee number", "fr": "Matricule"},
     frozenset({"employeenumber", "matricule", "numerosalarie", "numeroemploye"})),
    ("lastName", {"en": "Last name", "fr": "Nom"},
     frozenset({"lastname", "nom", "nomdefamille"})),
    ("firstName", {"en": "First name", "fr": "Prénom"}, frozenset({"firstname", "prenom"})),
    ("email", {"en": "Email", "fr": "E-mail"},
     frozenset({"email", "mail", "courriel", "adresseemail"})),
    ("birthDate", {"en": "Birth date", "fr": "Date de naissance"},
     frozenset({"birthdate", "datedenaissance", "datenaissance"})),
    ("deliveryPointCode", {"en": "Delivery point code", "fr": "Code point de livraison"},
     frozenset({"deliverypointcode", "codepointdelivraison", "codepointlivraison",
                "pointdelivraison", "pointlivraison"})),
    ("newCard", {"en": "New card", "fr": "Nouvelle carte"},
     frozenset({"newcard", "nouvellecarte"})),
    ("loadAmount", {"en": "Load amount", "fr": "Montant"},
     frozenset({"loadamount", "montant", "montantchargement", "montantdechargement"})),
)  # fmt: skip
NAMES = tuple(name for name, _, _ in COLUMNS)
# Problems name a missing column by its English label, as they are written in English.
LABELS = {name: labels["en"] for name, labels, _ in COLUMNS}
EXAMPLE_ROWS = {
    "fr": ("E-0001", "Dupont", "Élodie", "elodie.dupont@example.com", "17/05/1990", "HQ", "oui",
           "50,00"),
    "en": ("E-0001", "Smith", "Emily", "emily.smith@example.com", "1990-05-17", "HQ", "yes",
           "50.00"),
}  # fmt: skip


def template_language(raw: str) -> str:
    """The language a caller asks for (`fr` or `en`, any case)."""
    language = raw.strip().lower()
    if language not in LANGUAGES:
        raise InvalidArgument.for_field("language", "must be fr or en", reason="INVALID_LANGUAGE")
    return language


def template(language: str = DEFAULT_LANGUAGE) -> bytes:
    """The blank import template: header + one example row, ``;``, UTF-8 with a
    BOM (Excel opens accents right), in `language` (French when unknown)."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([labels[language] for _, labels, _ in COLUMNS])
    writer.writerow(EXAMPLE_ROWS[language])
    return BOM + buffer.getvalue().encode()
