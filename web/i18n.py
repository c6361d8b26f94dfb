"""Languages: French (default) and English, with Babel's gettext toolchain.

Source strings are English, in templates (`{% trans %}`, `_()`) and in page
code (`_()` from `web.i18n`); French lives in `web/locale/fr/LC_MESSAGES/*.po`
(one catalogue per area, extracted with `pybabel extract -F web/babel.cfg`),
compiled in memory at start-up. Dates, numbers and money are formatted per
locale by Babel (`1 234,50 €`)."""

from __future__ import annotations

import gettext
import io
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
LOCALE_DIR = Path(__file__).parent / "locale"

_current: ContextVar[str] = ContextVar("web_language", default=DEFAULT_LANGUAGE)


def load_translations(locale_dir: Path = LOCALE_DIR) -> dict[str, gettext.NullTranslations]:
    """Each language's catalogue, every area's `.po` merged (English: the source)."""
    found: dict[str, gettext.NullTranslations] = {"en": gettext.NullTranslations()}
    for language in LANGUAGES:
        if language == "en":
            continue
        merged: gettext.NullTranslations = gettext.NullTranslations()
        for po in sorted((locale_dir / language / "LC_MESSAGES").glob("*.po")):
            with po.open("rb") as source:
                catalog = read_po(source, locale=language)
            compiled = io.BytesIO()
            write_mo(compiled, catalog)
            compiled.seek(0)
            area = gettext.GNUTranslations(compiled)
            if isinstance(merged, gettext.GNUTranslations):
                merged._catalog.update(area._catalog)  # type: ignore[attr-defined]
            else:
                merged = area
        found[language] = merged
    return found


_TRANSLATIONS = load_translations()


def normalise_language(raw: str | None) -> str:
    value = (raw or "").strip().lower()[:2]
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def use_language(language: str) -> None:
    """The language of the request being served (page code's `_()` follows it)."""
    _current.set(normalise_language(language))


def current_language() -> str:
    return _current.get()


def translations(language: str) -> gettext.NullTranslations:
    return _TRANSLATIONS[normalise_language(language)]


def _(message: str) -> str:
    return translations(current_language()).gettext(message)


# `N_` is the name Babel's extractor knows for "translate later".
def N_(message: str) -> str:
    """Marks a string for the catalogue where it is declared; `_()` translates
    it where it is shown, in the request's language."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


def from_accept_language(header: str) -> str:
    """The first supported language of an Accept-Language header, else French."""
    for part in header.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


# ---- formatting (Jinja filters) ------------------------------------------------------


def money(amount: dict | int | str | None, currency: str = "EUR") -> str:
    """`{"amountCents": "123450", "currency": "EUR"}` (or cents) -> `1 234,50 €`."""
    if isinstance(amount, dict):
        currency = amount.get("currency") or currency
        cents = int(amount.get("amountCents") or 0)
    else:
        cents = int(amount or 0)
    return format_currency(Decimal(cents) / 100, currency, locale=LOCALES[current_language()])


def number(value: int | float | str | None) -> str:
    return format_decimal(value or 0, locale=LOCALES[current_language()])


def day(value: str | date | None) -> str:
    """A date (`YYYY-MM-DD` or an RFC 3339 timestamp) as the locale writes it."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return format_date(value, format="medium", locale=LOCALES[current_language()])


def moment(value: str | datetime | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return format_datetime(
        value, format="medium", tzinfo="Europe/Paris", locale=LOCALES[current_language()]
    )
