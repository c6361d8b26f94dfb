from __future__ import annotations

import html

import jinja2
import pytest

from services.notifications.domain.messages import Template
from services.notifications.rendering import Renderer

LINK = "https://portail.example/activate?token=tok&x=1"

CONTEXTS: dict[str, dict] = {
    "activation": {
        "client_number": "C-100234",
        "contract_number": "CT-2026-7",
        "entity_name": "Transports Dupont",
        "validity": "48 heures",
    },
    "account_opened": {
        "client_number": "C-100234",
        "contract_number": "CT-2026-7",
        "entity_name": "Transports Dupont",
        "validity": "48 heures",
    },
    "first_connection": {"entity_name": "Transports Dupont", "validity": "30 jours"},
    "identifier_reminder": {
        "email": "zoe@dupont.example",
        "accounts": [{"client_number": "C-100234", "name": "Transports Dupont"}],
    },
    "magic_link": {"validity": "30 jours"},
    "password_reset": {"validity": "1 heure"},
    "invitation": {
        "entity_name": "Transports Dupont",
        "invited_by": "Claire Dupont",
        "has_token": True,
        "validity": "48 heures",
    },
    "password_changed": {"changed_at": "01/03/2026 à 10:05 (CET)"},
    "order_submitted": {
        "order_number": "CMD-2026-000042",
        "entity_name": "Transports Dupont",
        "client_number": "C-100234",
        "amount": "12,34 €",
        "transfer": True,
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP",
        "holder": "Portail SAS",
        "reference": "RF18CMD2026000042",
    },
    "order_shipped": {
        "order_number": "CMD-2026-000042",
        "entity_name": "Transports Dupont",
        "carrier": "Colissimo",
        "tracking_url": LINK,
    },
    "document_available": {
        "document_number": "FAC-2026-000042",
        "document_type": "facture",
        "invoice": True,
        "entity_name": "Transports Dupont",
        "client_number": "C-100234",
        "amount": "12,34 €",
        "due_date": "31/03/2026",
    },
    "claim_opened": {
        "document_number": "FAC-2026-000042",
        "reason": "montant erroné",
        "message": "Les frais\nsont faux",
        "entity_name": "Transports Dupont",
        "client_number": "C-100234",
    },
    "claim_opened_support": {
        "document_number": "FAC-2026-000042",
        "reason": "montant erroné",
        "message": "Les frais\nsont faux",
        "entity_name": "Transports Dupont",
        "client_number": "C-100234",
    },
    "claim_answered": {
        "document_number": "FAC-2026-000042",
        "status": "refusée",
        "answer": "Les frais sont justes.",
        "entity_name": "Transports Dupont",
    },
    "direct_debit_scheduled": {
        "document_number": "FAC-2026-000042",
        "amount": "12,34 €",
        "mandate_reference": "PTL-ENT1-000001",
        "entity_name": "Transports Dupont",
        "client_number": "C-100234",
        "collection_date": "24/03/2026",
        "iban_masked": "FR76 **** **** **** **** ***0 189",
        "creditor_id": "FR72ZZZ123456",
    },
    "direct_debit_returned": {
        "document_number": "FAC-2026-000042",
        "amount": "12,34 €",
        "mandate_reference": "PTL-ENT1-000001",
        "entity_name": "Transports Dupont",
        "client_number": "C-100234",
        "reason": "provision insuffisante",
        "reason_code": "AM04",
        "returned_on": "27/03/2026",
        "reopened": True,
    },
    "fleet_change_completed": {
        "kind": "SUSPEND",
        "request": "suspension des lignes",
        "options_added": [],
        "options_removed": [],
        "suspension_reason": "vol",
        "plan": "",
        "iccid": "",
        "lines_total": 3,
        "lines_done": 1,
        "lines_failed": 1,
        "failed": [{"label": "06 12 34 56 78 (Jean Martin)", "reason": "ligne résiliée"}],
        "done": [{"label": "06 98 76 54 32", "reason": ""}],
        "more": 1,
        "entity_name": "Transports Dupont",
        "client_number": "C-100234",
    },
    "sim_ordered": {
        "reference": "SIM-2026-000007",
        "quantity": 2,
        "esim": False,
        "recipient": "Jean Dupont",
        "address_lines": ["12 rue des Lilas", "69003 Lyon"],
        "entity_name": "Transports Dupont",
        "client_number": "C-100234",
    },
    "service_request_department": {
        "kind": "demande d'intervention",
        "reference": "SR-2026-000042",
        "entity_name": "Transports Dupont",
        "client_number": "C-100234",
        "equipment": ["Atlas Copco GA30 CMP-0042"],
        "message": "La machine\nne démarre plus",
        "intervention_type": "panne",
        "urgency": "haute",
        "wished_dates": ["15/04/2026"],
        "parts": ["2 x Filtre à huile (F-100)"],
        "attachments": 2,
    },
    "service_request_received": {
        "kind": "demande d'intervention",
        "reference": "SR-2026-000042",
        "entity_name": "Transports Dupont",
        "client_number": "C-100234",
    },
    "service_request_status_changed": {
        "kind": "demande d'intervention",
        "reference": "SR-2026-000042",
        "status": "planifiée",
        "comment": "Le technicien passera le matin.",
        "planned_for": "15/04/2026",
        "entity_name": "Transports Dupont",
    },
    "quote_issued": {
        "number": "DEV-2026-000012",
        "title": "Remplacement de la pompe",
        "amount": "1 234,56 €",
        "valid_until": "30/04/2026",
        "entity_name": "Transports Dupont",
        "client_number": "C-100234",
    },
    "quote_accepted": {
        "number": "DEV-2026-000012",
        "title": "Remplacement de la pompe",
        "order_number": "CMD-2026-000034",
        "purchase_order_reference": "PO-7781",
        "amount": "1 234,56 €",
        "entity_name": "Transports Dupont",
        "client_number": "C-100234",
    },
    "change_request_department": {
        "reference": "DM-2026-000003",
        "topic": "adresse postale",
        "details": ["Nouvelle adresse / new address: 3 rue Neuve, 75011 Paris, FR"],
        "message": "Nouvelle adresse :\n3 rue Neuve",
        "entity_name": "Transports Dupont",
        "client_number": "C-100234",
    },
    "change_request_answered": {
        "reference": "DM-2026-000003",
        "topic": "adresse postale",
        "status": "acceptée",
        "answer": "Adresse mise à jour.",
        "entity_name": "Transports Dupont",
    },
}

# What each message must say, per language (beyond the link).
FACTS = {
    ("activation", "fr"): ["C-100234", "48 heures", "Activez"],
    ("activation", "en"): ["C-100234", "48 heures", "Activate"],
    ("account_opened", "fr"): ["C-100234", "CT-2026-7", "48 heures", "est ouvert"],
    ("account_opened", "en"): ["C-100234", "CT-2026-7", "48 heures", "is open"],
    ("first_connection", "fr"): ["Transports Dupont", "30 jours", "mot de passe"],
    ("first_connection", "en"): ["Transports Dupont", "30 jours", "password"],
    ("identifier_reminder", "fr"): ["zoe@dupont.example", "C-100234 (Transports Dupont)"],
    ("identifier_reminder", "en"): ["zoe@dupont.example", "C-100234 (Transports Dupont)"],
    ("magic_link", "fr"): ["30 jours", "connexion"],
    ("magic_link", "en"): ["30 jours", "sign"],
    ("password_reset", "fr"): ["1 heure", "Réinitialisation"],
    ("password_reset", "en"): ["1 heure", "Reset"],
    ("invitation", "fr"): ["Transports Dupont", "Claire Dupont", "invite"],
    ("invitation", "en"): ["Transports Dupont", "Claire Dupont", "invites"],
    ("password_changed", "fr"): ["modifié", "Si ce n'était pas vous", "réinitialisez"],
    ("password_changed", "en"): ["changed", "If it wasn't you", "reset your password"],
    ("order_submitted", "fr"): [
        "CMD-2026-000042",
        "FR7630006000011234567890189",
        "RF18CMD2026000042",
    ],
    ("order_submitted", "en"): ["CMD-2026-000042", "AGRIFRPP", "Reference to quote"],
    ("order_shipped", "fr"): ["CMD-2026-000042", "expédiée", "Colissimo"],
    ("order_shipped", "en"): ["CMD-2026-000042", "shipped", "Colissimo"],
    ("document_available", "fr"): ["FAC-2026-000042", "12,34 €", "Échéance : 31/03/2026"],
    ("document_available", "en"): ["FAC-2026-000042", "12,34 €", "Due date: 31/03/2026"],
    ("claim_opened", "fr"): ["FAC-2026-000042", "montant erroné", "> Les frais\n> sont faux"],
    ("claim_opened", "en"): ["FAC-2026-000042", "Reason", "> Les frais\n> sont faux"],
    ("claim_opened_support", "fr"): ["FAC-2026-000042", "Transports Dupont", "C-100234"],
    ("claim_opened_support", "en"): ["FAC-2026-000042", "Transports Dupont", "C-100234"],
    ("claim_answered", "fr"): ["FAC-2026-000042", "refusée", "Les frais sont justes."],
    ("claim_answered", "en"): ["FAC-2026-000042", "Status", "Les frais sont justes."],
    ("direct_debit_scheduled", "fr"): ["FAC-2026-000042", "24/03/2026", "RUM", "FR72ZZZ123456"],
    ("direct_debit_scheduled", "en"): ["FAC-2026-000042", "24/03/2026", "UMR", "***0 189"],
    ("direct_debit_returned", "fr"): ["FAC-2026-000042", "provision insuffisante", "reste due"],
    ("direct_debit_returned", "en"): ["FAC-2026-000042", "AM04", "due again"],
    ("fleet_change_completed", "fr"): [
        "Votre demande sur 3 lignes est traitée (1 en échec)",
        "06 12 34 56 78 (Jean Martin) : ligne résiliée",
        "et 1 autre ligne,",
    ],
    ("fleet_change_completed", "en"): [
        "Your request on 3 lines is done (1 failed)",
        "06 12 34 56 78 (Jean Martin): ligne résiliée",
        "and 1 more line,",
    ],
    ("sim_ordered", "fr"): ["SIM-2026-000007", "2 cartes SIM", "69003 Lyon"],
    ("sim_ordered", "en"): ["SIM-2026-000007", "2 SIM cards", "69003 Lyon"],
    ("service_request_department", "fr"): [
        "Nouvelle demande d'intervention SR-2026-000042 (urgence haute)",
        "- Atlas Copco GA30 CMP-0042",
        "- 2 x Filtre à huile (F-100)",
        "Pièces jointes : 2",
        "> La machine\n> ne démarre plus",
    ],
    ("service_request_department", "en"): ["SR-2026-000042", "Attachments: 2", "C-100234"],
    ("service_request_received", "fr"): ["SR-2026-000042", "nous vous tiendrons informé"],
    ("service_request_received", "en"): ["SR-2026-000042", "we will keep you informed"],
    ("service_request_status_changed", "fr"): [
        "SR-2026-000042 est planifiée (prévue le 15/04/2026)",
        "> Le technicien passera le matin.",
    ],
    ("service_request_status_changed", "en"): ["SR-2026-000042", "Planned for: 15/04/2026"],
    ("quote_issued", "fr"): ["DEV-2026-000012", "1 234,56 €", "Valable jusqu'au : 30/04/2026"],
    ("quote_issued", "en"): ["DEV-2026-000012", "1 234,56 €", "Valid until: 30/04/2026"],
    ("quote_accepted", "fr"): ["DEV-2026-000012", "CMD-2026-000034", "PO-7781", "1 234,56 €"],
    ("quote_accepted", "en"): ["DEV-2026-000012", "CMD-2026-000034", "PO-7781", "1 234,56 €"],
    ("change_request_department", "fr"): ["DM-2026-000003", "adresse postale", "> 3 rue Neuve"],
    ("change_request_department", "en"): ["DM-2026-000003", "C-100234", "> 3 rue Neuve"],
    ("change_request_answered", "fr"): ["DM-2026-000003", "acceptée", "Adresse mise à jour."],
    ("change_request_answered", "en"): ["DM-2026-000003", "Status", "Adresse mise à jour."],
}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("template", [t.value for t in Template])
def test_every_template_renders_in_both_languages(
    renderer: Renderer, template: str, language: str
) -> None:
    content = renderer.render(
        template, language, {"name": "Zoé", "link": LINK, **CONTEXTS[template]}
    )
    assert content.subject and "\n" not in content.subject
    everything = content.subject + content.body_text
    for fact in FACTS[(template, language)]:
        assert fact in everything, (fact, everything)
    assert LINK in content.body_text
    assert html.escape(LINK) in content.body_html  # href and visible link, escaped
    assert "Zoé" in content.body_text and "Zoé" in content.body_html
    assert f'<html lang="{language}">' in content.body_html
    assert "{{" not in content.body_text + content.body_html


def test_languages_differ(renderer: Renderer) -> None:
    ctx = {"name": "", "link": LINK, **CONTEXTS["magic_link"]}
    fr = renderer.render("magic_link", "fr", ctx)
    en = renderer.render("magic_link", "en", ctx)
    assert fr.subject != en.subject
    assert fr.body_text.startswith("Bonjour,")
    assert en.body_text.startswith("Hello,")


def test_unknown_language_falls_back_to_french(renderer: Renderer) -> None:
    ctx = {"name": "", "link": LINK, **CONTEXTS["password_reset"]}
    assert renderer.language_for("password_reset", "de") == "fr"
    assert renderer.render("password_reset", "de", ctx) == renderer.render(
        "password_reset", "fr", ctx
    )


def test_html_is_escaped_text_is_not(renderer: Renderer) -> None:
    ctx = {
        **CONTEXTS["invitation"],
        "name": "<script>alert(1)</script>",
        "entity_name": "Dupont & Fils",
        "link": LINK,
    }
    content = renderer.render("invitation", "fr", ctx)
    assert "<script>" not in content.body_html
    assert "&lt;script&gt;" in content.body_html
    assert "Dupont &amp; Fils" in content.body_html
    assert "Dupont & Fils" in content.body_text
    assert "<script>alert(1)</script>" in content.body_text


def test_invitation_without_token_points_to_login(renderer: Renderer) -> None:
    ctx = {**CONTEXTS["invitation"], "has_token": False, "name": "", "invited_by": ""}
    content = renderer.render("invitation", "en", {**ctx, "link": "https://p/login"})
    assert "already have a Portail account" in content.body_text
    assert "https://p/login" in content.body_text
    assert content.subject.startswith("A manager invites you")


def test_missing_variables_are_errors(renderer: Renderer) -> None:
    with pytest.raises(jinja2.UndefinedError):
        renderer.render("activation", "fr", {"name": "", "link": LINK})
