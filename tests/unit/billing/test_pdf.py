from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from services.billing.domain.documents import Line, credit_note_for, record_payment
from services.billing.pdf import PdfParty, latin1, money, rate, render_document

from .helpers import invoice

LINES = (
    Line("Cartes repas — lot 1", 3, 1_003, 2000),
    Line("Frais de livraison", 1, 1_010, 550),
)
PARTY = PdfParty("Boulangerie Élise", "CL-000042", ("12 rue de la Paix", "75002 Paris"))


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_invoice_pdf_in_french() -> None:
    doc = invoice("FAC-2026-000123", lines=LINES)
    data = render_document(doc, PARTY, operator_name="Portail Services", language="fr")
    assert data.startswith(b"%PDF-")
    text = _text(data)
    for expected in (
        "Portail Services",
        "Facture FAC-2026-000123",
        "Boulangerie Élise",
        "CL-000042",
        "75002 Paris",
        "Cartes repas - lot 1",
        "Frais de livraison",
        "40,19 EUR",  # 30.09 + 10.10 excl.
        "6,02 EUR",  # VAT 20 % grouped
        "0,56 EUR",  # VAT 5.5 %
        "46,77 EUR",  # incl.
        "Reste à payer",
        "CTR-42",
        "2026-02-14",
        "À PAYER / UNPAID",
    ):
        assert expected in text, expected


def test_paid_invoice_pdf_in_english() -> None:
    doc = record_payment(invoice("FAC-2026-000124", lines=LINES), 4_677)
    text = _text(render_document(doc, PARTY, operator_name="Portail", language="en"))
    assert "Invoice FAC-2026-000124" in text
    assert "Total incl. tax" in text and "46.77 EUR" in text
    assert "Remaining to pay" in text and "0.00 EUR" in text
    assert "PAYÉ / PAID" in text


def test_credit_note_pdf() -> None:
    note, _, _ = credit_note_for(
        invoice(lines=LINES), credit_note_id="cn", number="AV-2026-000001",
        issue_date=date(2026, 2, 1),
    )  # fmt: skip
    text = _text(render_document(note, PARTY, operator_name="Portail", language="fr"))
    assert "Avoir AV-2026-000001" in text and "46,77 EUR" in text


def test_helpers() -> None:
    assert latin1("5 € “ok” ☃") == '5 EUR "ok" ?'
    assert money(123_456_78, "fr") == "123 456,78 EUR"
    assert money(-5, "en") == "-0.05 EUR"
    assert rate(550, "fr") == "5,5 %" and rate(2000, "en") == "20 %" and rate(210, "en") == "2.1 %"


def test_where_to_log_in_top_left() -> None:
    doc = invoice("FAC-2026-000125", lines=LINES)
    text = _text(render_document(doc, PARTY, operator_name="Portail", language="en",
                                 portal_url="https://portail.example"))  # fmt: skip
    assert text.splitlines()[1:3] == [
        "Your customer portal: https://portail.example",
        "Your web identifier: CL-000042",
    ]
    unknown = PdfParty("", "")  # billing has not heard of the account yet
    text = _text(render_document(doc, unknown, operator_name="Portail"))
    assert "identifiant web" not in text and "espace client" not in text
