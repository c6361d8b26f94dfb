"""A quote as a readable A4 PDF (fpdf2), in French or English.

fpdf2 ships no Unicode TTF font: the core Helvetica font is written in
Windows-1252 (what its WinAnsiEncoding declares), which covers French text and
"€". Characters beyond it are transliterated (accents dropped) or become "?"."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from fpdf import FPDF
from fpdf.fonts import FontFace

from portal_runtime.money import format_euros
from services.assets.domain.quotes import Quote, QuoteStatus

ENCODING = "cp1252"
DEFAULT_OPERATOR_NAME = "Portail"

_TEXT = {
    "fr": {
        "quote": "Devis",
        "issued": "Date d'émission",
        "valid_until": "Valable jusqu'au",
        "client": "N° client",
        "label": "Désignation",
        "qty": "Qté",
        "unit": "PU HT",
        "vat": "TVA",
        "total": "Total HT",
        "excl": "Total HT",
        "vat_at": "TVA {rate} sur {base}",
        "incl": "Total TTC",
        "status": "Statut",
        QuoteStatus.PENDING: "En attente de votre réponse",
        QuoteStatus.ACCEPTED: "Accepté le {day}",
        QuoteStatus.DECLINED: "Refusé le {day}",
        QuoteStatus.EXPIRED: "Expiré",
        "po": "Votre bon de commande",
        "order": "Commande",
        "reason": "Motif du refus",
        "validity": "Ce devis peut être accepté jusqu'au {day} inclus.",
    },
    "en": {
        "quote": "Quote",
        "issued": "Issue date",
        "valid_until": "Valid until",
        "client": "Client number",
        "label": "Description",
        "qty": "Qty",
        "unit": "Unit price excl. VAT",
        "vat": "VAT",
        "total": "Total excl. VAT",
        "excl": "Total excl. VAT",
        "vat_at": "VAT {rate} on {base}",
        "incl": "Total incl. VAT",
        "status": "Status",
        QuoteStatus.PENDING: "Awaiting your answer",
        QuoteStatus.ACCEPTED: "Accepted on {day}",
        QuoteStatus.DECLINED: "Declined on {day}",
        QuoteStatus.EXPIRED: "Expired",
        "po": "Your purchase order",
        "order": "Order",
        "reason": "Reason for declining",
        "validity": "This quote may be accepted until {day} inclusive.",
    },
}


@dataclass(frozen=True)
class Customer:
    """What the PDF shows about the customer (blank while assets has not heard
    of the account)."""

    name: str = ""
    client_number: str = ""
    address_lines: Sequence[str] = ()


def printable(text: str) -> str:
    """`text` with the characters Helvetica can show (Windows-1252)."""
    out: list[str] = []
    for char in text:
        try:
            char.encode(ENCODING)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            char = plain or "?"
        out.append(char)
    return "".join(out)


def _rate(rate_bp: int, language: str) -> str:
    whole, rest = divmod(rate_bp, 100)
    text = f"{whole}" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")
    return (text.replace(".", ",") if language == "fr" else text) + " %"


def _day(value: date | datetime, language: str) -> str:
    day = value.date() if isinstance(value, datetime) else value
    return day.strftime("%d/%m/%Y") if language == "fr" else day.isoformat()


def render_quote(
    quote: Quote,
    status: QuoteStatus,
    customer: Customer,
    *,
    operator_name: str = DEFAULT_OPERATOR_NAME,
    language: str = "fr",
) -> bytes:
    """The quote as PDF bytes: the operator as issuer, the customer, the lines,
    the totals per VAT rate, the validity and the status (and the order once
    accepted)."""
    lang = language if language in _TEXT else "fr"
    words = _TEXT[lang]

    def money(cents: int) -> str:
        return format_euros(cents, lang)

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.core_fonts_encoding = ENCODING
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(printable(f"{words['quote']} {quote.number}"))
    pdf.set_author(printable(operator_name))
    pdf.add_page()

    def line(text: str, *, size: int = 10, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, 6, printable(text), new_x="LMARGIN", new_y="NEXT")

    line(operator_name, size=18, style="B")
    pdf.ln(2)
    line(f"{words['quote']} {quote.number}", size=14, style="B")
    line(quote.title, style="B")
    line(f"{words['issued']}: {_day(quote.issued_at, lang)}")
    line(f"{words['valid_until']}: {_day(quote.valid_until, lang)}")
    pdf.ln(4)
    if customer.name:
        line(customer.name, size=11, style="B")
    if customer.client_number:
        line(f"{words['client']}: {customer.client_number}")
    for address in customer.address_lines:
        if address.strip():
            line(address)
    pdf.ln(6)

    pdf.set_font("Helvetica", "", 9)
    with pdf.table(
        col_widths=(80, 16, 32, 20, 32),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=FontFace(emphasis="BOLD"),
        line_height=6,
    ) as table:
        table.row([words["label"], words["qty"], words["unit"], words["vat"], words["total"]])
        for item in quote.lines:
            table.row(
                [
                    printable(item.label),
                    str(item.quantity),
                    money(item.unit_price_cents),
                    _rate(item.vat_rate_bp, lang),
                    money(item.total_excl_cents),
                ]
            )
    pdf.ln(4)

    def total_row(title: str, cents: int, *, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", 10)
        pdf.cell(100, 7, "")
        pdf.cell(50, 7, printable(title))
        pdf.cell(30, 7, printable(money(cents)), align="R", new_x="LMARGIN", new_y="NEXT")

    totals = quote.totals
    bases = dict(totals.base_by_rate)
    total_row(words["excl"], totals.excl_cents)
    for rate_bp, tax in totals.tax_by_rate:
        title = words["vat_at"].format(rate=_rate(rate_bp, lang), base=money(bases[rate_bp]))
        total_row(title, tax)
    total_row(words["incl"], totals.incl_cents, bold=True)
    pdf.ln(6)

    answered = _day(quote.answered_at, lang) if quote.answered_at else ""
    line(f"{words['status']}: {words[status].format(day=answered)}", size=12, style="B")
    if status is QuoteStatus.ACCEPTED:
        line(f"{words['po']}: {quote.purchase_order_reference}")
        line(f"{words['order']}: {quote.order_number}")
    elif status is QuoteStatus.DECLINED and quote.decline_reason:
        line(f"{words['reason']}: {quote.decline_reason}")
    elif status is QuoteStatus.PENDING:
        line(words["validity"].format(day=_day(quote.valid_until, lang)))
    return bytes(pdf.output())
