"""The assets area's routes, in one list because their order matters: the
fixed paths under `/equipment/` come before `/equipment/{id}`. The pages are in
`assets_park.py` (the park), `assets_requests.py` (service requests),
`assets_quotes.py`, `assets_parking.py` and `assets_contact.py` (the contact
form of every vertical)."""

from __future__ import annotations

from starlette.routing import Route

from web.pages import assets_contact as contact
from web.pages import assets_park as park
from web.pages import assets_parking as parking
from web.pages import assets_quotes as quotes
from web.pages import assets_requests as requests

routes = [
    Route("/equipment", park.park, methods=["GET"]),
    Route("/equipment/export", park.export_park, methods=["GET"]),
    Route("/equipment/new", park.new_machine_form, methods=["GET"]),
    Route("/equipment/new", park.add_machine, methods=["POST"]),
    Route("/equipment/requests", requests.requests_list, methods=["GET"]),
    Route("/equipment/requests/new", requests.new_request_form, methods=["GET"]),
    Route("/equipment/requests/new", requests.create_request, methods=["POST"]),
    Route("/equipment/requests/{id}", requests.request_detail, methods=["GET"]),
    Route("/equipment/requests/{id}/cancel", requests.cancel_request, methods=["POST"]),
    Route("/equipment/requests/{id}/attachments", requests.add_request_files, methods=["POST"]),
    Route(
        "/equipment/requests/{id}/attachments/{attachment_id}",
        requests.request_file,
        methods=["GET"],
    ),
    Route("/equipment/{id}", park.machine, methods=["GET"]),
    Route("/quotes", quotes.quotes_list, methods=["GET"]),
    Route("/quotes/{id}", quotes.quote_detail, methods=["GET"]),
    Route("/quotes/{id}/pdf", quotes.quote_pdf, methods=["GET"]),
    Route("/quotes/{id}/accept", quotes.accept_quote, methods=["POST"]),
    Route("/quotes/{id}/decline", quotes.decline_quote, methods=["POST"]),
    Route("/parking", parking.contracts, methods=["GET"]),
    Route("/parking/contracts/{id}", parking.contract, methods=["GET"]),
    Route("/parking/statements", parking.statements, methods=["GET"]),
    Route("/parking/statements/{id}/pdf", parking.statement_pdf, methods=["GET"]),
    Route("/contact", contact.contact_form, methods=["GET"]),
    Route("/contact", contact.send_contact, methods=["POST"]),
    Route("/contact/requests", contact.contact_requests, methods=["GET"]),
    Route("/contact/requests/{id}", contact.contact_request, methods=["GET"]),
    Route("/contact/requests/{id}/attachments", contact.add_contact_files, methods=["POST"]),
    Route(
        "/contact/requests/{id}/attachments/{attachment_id}",
        contact.contact_file,
        methods=["GET"],
    ),
]
