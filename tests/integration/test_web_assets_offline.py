"""What the running suite cannot show at will, against a stand-in API (an
httpx mock transport; no suite started): a quote refused because it expired
(quotes expire at midnight) is said in the user's words with its last day;
a download whose access token expires on the way is renewed and still
streamed, as an attachment."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from tests.support.web import Portal
from web.app import create_app
from web.settings import WebSettings

QUOTE = {
    "id": "q1",
    "number": "DEV-2026-000012",
    "status": "QUOTE_STATUS_PENDING",
    "title": "Révision",
    "lines": [],
    "totalExclTax": {"amountCents": "10000", "currency": "EUR"},
    "totalTax": {"amountCents": "2000", "currency": "EUR"},
    "totalInclTax": {"amountCents": "12000", "currency": "EUR"},
    "validUntil": "2026-03-31",
    "issuedAt": "2026-03-01T09:00:00Z",
}
PDF = b"%PDF-1.7 a quote"


class StandIn:
    """The few answers of the API these pages need; token `a` stops working
    when the PDF is first asked for, `b` is the renewed one."""

    def __init__(self) -> None:
        self.valid = {"a"}
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        self.seen.append(f"{method} {path} {token}")
        if path == "/v1/auth/login":
            return httpx.Response(200, json={"accessToken": "a", "refreshToken": "r"})
        if path == "/v1/auth/token:refresh":
            assert json.loads(request.content) == {"refreshToken": "r"}
            self.valid.add("b")
            return httpx.Response(200, json={"accessToken": "b", "refreshToken": "r2"})
        if path == "/v1/quotes/q1/pdf" and token == "a":
            self.valid.discard("a")
        if token not in self.valid:
            return _error(401, "UNAUTHENTICATED", "the access token expired")
        if path == "/v1/me":
            return httpx.Response(
                200,
                json={
                    "user": {"firstName": "Ada", "language": "fr"},
                    "currentEntity": {"name": "Boulangeries", "clientNumber": "C1"},
                    "permissions": ["assets.read", "assets.write", "quotes.accept"],
                },
            )
        if path == "/v1/quotes/q1" and method == "GET":
            return httpx.Response(200, json=QUOTE)
        if path == "/v1/quotes/q1:accept":
            message = "quote DEV-2026-000012 expired: it could be accepted until 2026-03-31"
            return _error(400, "QUOTE_EXPIRED", message)
        if path == "/v1/quotes/q1/pdf":
            return httpx.Response(200, content=PDF, headers={"Content-Type": "application/pdf"})
        return _error(404, "NOT_FOUND", "no such thing")


def _error(status: int, reason: str, message: str) -> httpx.Response:
    detail = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}
    return httpx.Response(status, json={"error": {"message": message, "details": [detail]}})


@pytest.fixture()
def stand_in() -> StandIn:
    return StandIn()


@pytest.fixture()
def offline_portal(stand_in: StandIn, tmp_path: Path):
    settings = WebSettings(gateway_url="http://api.test", session_key_file=tmp_path / "key")
    app = create_app(settings, transport=httpx.MockTransport(stand_in))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        portal = Portal(client)
        portal.sign_in("atelier@example.com", "secret")
        yield portal


def test_an_expired_quote_is_refused_with_its_last_day(offline_portal: Portal) -> None:
    page = offline_portal.get("/quotes/q1")
    assert "Valider ma commande" in page.text
    refused = offline_portal.post("/quotes/q1/accept", {"purchase_order_reference": "BC-2026-117"})
    assert refused.status_code == 400
    assert "Ce devis a expiré : il pouvait être accepté jusqu&#39;au 31 mars 2026." in (
        refused.text
    )
    assert 'value="BC-2026-117"' in refused.text  # what was typed is kept


def test_a_download_renews_an_expired_token_and_streams_the_file(
    offline_portal: Portal, stand_in: StandIn
) -> None:
    pdf = offline_portal.get("/quotes/q1/pdf")
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith(
        'attachment; filename="DEV-2026-000012.pdf"'
    )
    assert stand_in.seen[-4:] == [
        "GET /v1/quotes/q1 a",
        "GET /v1/quotes/q1/pdf a",
        "POST /v1/auth/token:refresh ",
        "GET /v1/quotes/q1/pdf b",
    ]
