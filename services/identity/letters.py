"""Adapter: the welcome letter as a printable A4 PDF (fpdf2, as billing's
documents).

The core Helvetica and Courier fonts cover Latin-1 only; other characters are
written with their closest Latin-1 form (accents dropped), else "?". The
temporary password is printed in Courier: its alphabet has no look-alikes, and
a fixed-width font keeps every character apart on paper."""

from __future__ import annotations

import unicodedata

from fpdf import FPDF

from services.identity.domain.identifiers import WelcomeLetter

_WORDS = {
    "fr": {
        "title": "Bienvenue sur votre espace client",
        "hello": "Bonjour {name},",
        "intro": "Votre espace client{account} est ouvert. Pour vous connecter la première "
        "fois, rendez-vous à l'adresse ci-dessous et identifiez-vous avec :",
        "portal": "Adresse du portail",
        "identifier": "Votre identifiant",
        "client": " (n° de client)",
        "password": "Votre mot de passe temporaire",
        "next": "Vous choisirez alors votre propre mot de passe, renseignerez votre ou vos "
        "adresses e-mail et pourrez accepter de recevoir vos documents par e-mail.",
        "once": "Ce mot de passe temporaire ne sert qu'une fois. Conservez ce courrier en lieu "
        "sûr ou détruisez-le après votre première connexion.",
    },
    "en": {
        "title": "Welcome to your customer area",
        "hello": "Hello {name},",
        "intro": "Your customer area{account} is open. To log in for the first time, go to "
        "the address below and identify yourself with:",
        "portal": "Portal address",
        "identifier": "Your identifier",
        "client": " (client number)",
        "password": "Your temporary password",
        "next": "You will then choose your own password, give your e-mail address(es) and "
        "may accept to receive your documents by e-mail.",
        "once": "This temporary password works once. Keep this letter safe, or destroy it "
        "after your first login.",
    },
}


def _latin1(text: str) -> str:
    """What the core fonts can write."""
    if text.isascii():
        return text
    return "".join(
        char
        if char.encode("latin-1", "ignore")
        else unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode() or "?"
        for char in text.replace("\u2019", "'").replace("\u00a0", " ")
    )


def render_welcome_letter(letter: WelcomeLetter) -> bytes:
    words = _WORDS.get(letter.language, _WORDS["fr"])
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(_latin1(words["title"]))
    pdf.add_page()

    def line(text: str, *, style: str = "", size: int = 11, font: str = "Helvetica") -> None:
        pdf.set_font(font, style, size)
        pdf.multi_cell(0, 7, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    def field(label: str, value: str, *, font: str = "Helvetica") -> None:
        line(f"{label} :" if letter.language == "fr" else f"{label}:", style="B")
        line(value, size=14, font=font)
        pdf.ln(2)

    line(words["title"], style="B", size=18)
    pdf.ln(6)
    line(words["hello"].format(name=letter.recipient_name).replace(" ,", ","))
    account = f" ({letter.account_name})" if letter.account_name else ""
    line(words["intro"].format(account=account))
    pdf.ln(4)
    field(words["portal"], letter.portal_url)
    is_client_number = bool(letter.client_number) and letter.identifier == letter.client_number
    field(words["identifier"] + (words["client"] if is_client_number else ""), letter.identifier)
    field(words["password"], letter.temporary_password, font="Courier")
    pdf.ln(4)
    line(words["next"])
    pdf.ln(2)
    line(words["once"], size=9)
    return bytes(pdf.output())
