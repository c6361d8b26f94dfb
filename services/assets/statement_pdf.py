"""A low-usage statement ("décompte petit rouleur") as a readable A4 PDF
(fpdf2): the contract, car park and month, every exit of the month with its
date and time, the exits included, the extra ones and what they cost.

The core Helvetica font is used with the Windows-1252 encoding fpdf2 offers
(€, œ and typographic quotes print); a character outside it prints as "?"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from portal_runtime.money import format_euros, totals_by_rate
from services.assets.domain.parking import Exit, ParkingStatement

_ENCODING = "windows-1252"
_TEXT = {
    "fr": {
        "title": "Décompte petit rouleur",
        "client": "N° client",
        "contract": "Contrat",
        "car_park": "Parc",
        "month": "Mois",
        "exits": "Sorties du mois",
        "no_exits": "Aucune sortie ce mois-ci.",
        "when": "Date et heure de sortie",
        "badge": "Badge",
        "counted": "Sorties comptées",
        "included": "Sorties incluses",
        "extra": "Sorties supplémentaires",
        "price": "Prix d'une sortie supplémentaire HT",
        "excl": "Montant HT",
        "vat": "TVA {rate}",
        "incl": "Montant TTC",
        "time": "%d/%m/%Y %H:%M",
    },
    "en": {
        "title": "Low-usage statement",
        "client": "Client number",
        "contract": "Contract",
        "car_park": "Car park",
        "month": "Month",
        "exits": "Exits of the month",
        "no_exits": "No exit this month.",
        "when": "Exit date and time",
        "badge": "Badge",
        "counted": "Exits counted",
        "included": "Exits included",
        "extra": "Extra exits",
        "price": "Price of an extra exit excl. VAT",
        "excl": "Amount excl. VAT",
        "vat": "VAT {rate}",
        "incl": "Amount incl. VAT",
        "time": "%Y-%m-%d %H:%M",
    },
}


@dataclass(frozen=True)
class StatementParty:
    """What the PDF shows about the customer (blank when not known yet)."""

    name: str = ""
    client_number: str = ""
    address_lines: Sequence[str] = ()


def pdf_language(language: str) -> str:
    """ "en" for English accounts, French otherwise."""
    return "en" if language.strip().lower().replace("_", "-").startswith("en") else "fr"


def _printable(text: str) -> str:
    return text.encode(_ENCODING, errors="replace").decode(_ENCODING)


def _rate(rate_bp: int, language: str) -> str:
    whole, rest = divmod(rate_bp, 100)
    text = f"{whole}" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")
    return (text.replace(".", ",") if language == "fr" else text) + " %"


def _month(month: str, language: str) -> str:
    year, number = month.split("-")
    return f"{number}/{year}" if language == "fr" else month


def render_statement(
    statement: ParkingStatement,
    exits: Sequence[Exit],
    party: StatementParty,
    *,
    language: str = "fr",
) -> bytes:
    lang = pdf_language(language)
    words = _TEXT[lang]
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.core_fonts_encoding = _ENCODING
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(_printable(f"{words['title']} {statement.contract_number} {statement.month}"))
    pdf.add_page()

    def line(text: str, *, size: int = 10, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.cell(0, 7, _printable(text), new_x="LMARGIN", new_y="NEXT")

    line(words["title"], size=16, style="B")
    pdf.ln(2)
    if party.name:
        line(party.name, size=11, style="B")
    if party.client_number:
        line(f"{words['client']} : {party.client_number}")
    for address in party.address_lines:
        if address.strip():
            line(address)
    pdf.ln(4)
    line(f"{words['contract']} : {statement.contract_number}")
    line(f"{words['car_park']} : {statement.car_park}")
    line(f"{words['month']} : {_month(statement.month, lang)}")
    pdf.ln(4)

    line(words["exits"], size=11, style="B")
    widths = (70, 50)
    if exits:
        pdf.set_font("Helvetica", "B", 9)
        for width, title in zip(widths, (words["when"], words["badge"]), strict=True):
            pdf.cell(width, 7, _printable(title), border=1)
        pdf.ln()
        pdf.set_font("Helvetica", "", 9)
        for found in exits:
            pdf.cell(widths[0], 6, found.exited_at.strftime(words["time"]), border=1)
            pdf.cell(widths[1], 6, _printable(found.badge), border=1)
            pdf.ln()
    else:
        line(words["no_exits"])
    pdf.ln(4)

    totals = totals_by_rate([(statement.amount_excl_cents, statement.vat_rate_bp)])
    rows = (
        (words["counted"], str(statement.exits)),
        (words["included"], str(statement.included_exits)),
        (words["extra"], str(statement.extra_exits)),
        (words["price"], format_euros(statement.extra_exit_price_cents, lang)),
        (words["excl"], format_euros(totals.excl_cents, lang)),
        (words["vat"].format(rate=_rate(statement.vat_rate_bp, lang)),
         format_euros(totals.tax_cents, lang)),
        (words["incl"], format_euros(totals.incl_cents, lang)),
    )  # fmt: skip
    for index, (title, value) in enumerate(rows):
        pdf.set_font("Helvetica", "B" if index == len(rows) - 1 else "", 10)
        pdf.cell(90, 7, _printable(title))
        pdf.cell(40, 7, _printable(value), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
