"""A document as a readable A4 PDF (fpdf2).

fpdf2 ships no Unicode TTF font, so the PDF uses the core Helvetica font, which
covers Latin-1 (é, à, ç...). Anything outside Latin-1 is transliterated: "€" is
written "EUR", typographic quotes and dashes become plain ones, anything else
unknown becomes "?"."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from services.billing.domain.documents import Document, DocumentType

_TEXT = {
    "fr": {
        DocumentType.INVOICE: "Facture",
        DocumentType.CREDIT_NOTE: "Avoir",
        DocumentType.STATEMENT: "Relevé",
        "issued": "Date d'émission",
        "due": "Échéance",
        "contract": "Contrat",
        "purchase_order": "Votre bon de commande",
        "period": "Période",
        "client": "N° client",
        "web_id": "Votre identifiant web :",
        "portal": "Votre espace client :",
        "label": "Désignation",
        "qty": "Qté",
        "unit": "PU HT",
        "vat": "TVA",
        "total": "Total HT",
        "excl": "Total HT",
        "vat_at": "TVA {rate}",
        "incl": "Total TTC",
        "remaining": "Reste à payer",
        "credits": "Annule la facture",
        "status": "Statut",
    },
    "en": {
        DocumentType.INVOICE: "Invoice",
        DocumentType.CREDIT_NOTE: "Credit note",
        DocumentType.STATEMENT: "Statement",
        "issued": "Issue date",
        "due": "Due date",
        "contract": "Contract",
        "purchase_order": "Your purchase order",
        "period": "Period",
        "client": "Client number",
        "web_id": "Your web identifier:",
        "portal": "Your customer portal:",
        "label": "Description",
        "qty": "Qty",
        "unit": "Unit price excl. tax",
        "vat": "VAT",
        "total": "Total excl. tax",
        "excl": "Total excl. tax",
        "vat_at": "VAT {rate}",
        "incl": "Total incl. tax",
        "remaining": "Remaining to pay",
        "credits": "Cancels invoice",
        "status": "Status",
    },
}
_REPLACEMENTS = {"\u20ac": "EUR", "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                 "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " ", "\u202f": " ",
                 "\u0153": "oe", "\u0152": "OE"}  # fmt: skip


@dataclass(frozen=True)
class PdfParty:
    """What the PDF shows about the customer, as plain strings."""

    entity_name: str
    client_number: str
    address_lines: Sequence[str] = ()
    payment_status: str = ""  # e.g. "PAID", "UNPAID", "PARTIALLY_PAID", "CREDITED"


def latin1(text: str) -> str:
    """`text` written with Latin-1 characters only."""
    out: list[str] = []
    for char in text:
        char = _REPLACEMENTS.get(char, char)
        try:
            char.encode("latin-1")
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            char = plain or "?"
        out.append(char)
    return "".join(out)


def money(cents: int, language: str) -> str:
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    grouped = f"{units:,}".replace(",", " " if language == "fr" else ",")
    decimal = "," if language == "fr" else "."
    return f"{sign}{grouped}{decimal}{rest:02d} EUR"


def rate(rate_bp: int, language: str) -> str:
    whole, rest = divmod(rate_bp, 100)
    text = f"{whole}" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")
    return (text.replace(".", ",") if language == "fr" else text) + " %"


def _status(document: Document, party: PdfParty) -> str:
    if document.type is not DocumentType.INVOICE:
        return ""
    if document.credited:
        return "AVOIR ÉMIS / CREDITED"
    if document.paid or party.payment_status.upper() == "PAID":
        return "PAYÉ / PAID"
    return "À PAYER / UNPAID"


def render_document(
    document: Document,
    party: PdfParty,
    *,
    operator_name: str,
    language: str = "fr",
    portal_url: str = "",
) -> bytes:
    """The document as PDF bytes, in French ("fr") or English ("en"). Top left,
    under the operator's name, where to log in: the portal's address and the
    customer's web identifier, their client number (as the parking guide's
    invoice shows them)."""
    words = _TEXT.get(language, _TEXT["fr"])
    lang = language if language in _TEXT else "fr"
    totals = document.totals
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(latin1(f"{words[document.type]} {document.number}"))
    pdf.set_author(latin1(operator_name))
    pdf.add_page()

    def cell(width: float, text: str, *, align: str = "L", new_line: bool = False) -> None:
        new_x, new_y = ("LMARGIN", "NEXT") if new_line else ("RIGHT", "TOP")
        pdf.cell(width, 7, latin1(text), align=align, new_x=new_x, new_y=new_y)

    pdf.set_font("Helvetica", "B", 18)
    cell(0, operator_name, new_line=True)
    pdf.set_font("Helvetica", "", 10)
    if portal_url:
        cell(0, f"{words['portal']} {portal_url}", new_line=True)
    if party.client_number:
        cell(0, f"{words['web_id']} {party.client_number}", new_line=True)
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 14)
    cell(0, f"{words[document.type]} {document.number}", new_line=True)
    pdf.set_font("Helvetica", "", 10)
    cell(0, f"{words['issued']}: {document.issue_date.isoformat()}", new_line=True)
    if document.type is DocumentType.INVOICE:
        cell(0, f"{words['due']}: {document.due_date.isoformat()}", new_line=True)
    if document.contract_number:
        cell(0, f"{words['contract']}: {document.contract_number}", new_line=True)
    if document.purchase_order_reference:
        po = document.purchase_order_reference
        cell(0, f"{words['purchase_order']}: {po}", new_line=True)
    if document.period_start and document.period_end:
        period = f"{document.period_start.isoformat()} - {document.period_end.isoformat()}"
        cell(0, f"{words['period']}: {period}", new_line=True)
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    cell(0, party.entity_name, new_line=True)
    pdf.set_font("Helvetica", "", 10)
    cell(0, f"{words['client']}: {party.client_number}", new_line=True)
    for line in party.address_lines:
        if line.strip():
            cell(0, line, new_line=True)
    pdf.ln(6)

    widths = (80, 16, 32, 20, 32)
    pdf.set_font("Helvetica", "B", 9)
    for width, title, align in zip(
        widths, (words["label"], words["qty"], words["unit"], words["vat"], words["total"]),
        "LRRRR", strict=True,
    ):  # fmt: skip
        pdf.cell(width, 7, latin1(title), border=1, align=align)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for line in document.lines:
        # A long label wraps within its row (a quote's and order's numbers, a
        # statement's count and price are read in full); a row never splits
        # across pages.
        label = latin1(line.label)
        wrapped = len(pdf.multi_cell(widths[0], 5, label, dry_run=True, output="LINES"))
        line_height = 7 if wrapped <= 1 else 5
        row_height = line_height * max(wrapped, 1)
        if pdf.will_page_break(row_height):
            pdf.add_page()
        pdf.multi_cell(
            widths[0], line_height, label, border=1, align="L", new_x="RIGHT", new_y="TOP"
        )
        values = (str(line.quantity), money(line.unit_price_cents, lang),
                  rate(line.vat_rate_bp, lang), money(line.total_excl_cents, lang))  # fmt: skip
        for width, value in zip(widths[1:], values, strict=True):
            pdf.cell(width, row_height, latin1(value), border=1, align="R")
        pdf.ln(row_height)
    pdf.ln(4)

    def total_row(title: str, cents: int, *, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", 10)
        pdf.cell(sum(widths[:3]), 7, "")
        cell(widths[3] + widths[4] - 30, title)
        cell(30, money(cents, lang), align="R", new_line=True)

    total_row(words["excl"], totals.excl_cents)
    for rate_bp, tax in totals.tax_by_rate:
        total_row(words["vat_at"].format(rate=rate(rate_bp, lang)), tax)
    total_row(words["incl"], totals.incl_cents, bold=True)
    if document.type is DocumentType.INVOICE:
        total_row(words["remaining"], document.remaining_cents, bold=True)
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    if document.credits_document_id:
        cell(0, f"{words['credits']} {document.credits_document_id}", new_line=True)
    status = _status(document, party)
    if status:
        cell(0, f"{words['status']}: {status}", new_line=True)
    return bytes(pdf.output())
