"""Token misuse: tampered, foreign-signed, unsigned, expired, and a customer
token promoted to operator by hand."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deploy.local.suite import Suite
from portal_runtime.tokens import TokenIssuer
from tests.support.api import Api, error_reason


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _customer_token(api: Api) -> str:
    return api.activate(api.new_account())["accessToken"]


def test_a_tampered_token_is_refused(api: Api):
    token = _customer_token(api)
    header, _, signature = token.split(".")
    claims = _claims(token)
    claims["op"] = True  # promote myself to operator
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    forged = f"{header}.{forged_payload}.{signature}"
    assert api.get("/v1/admin/accounts", forged).status_code == 401
    assert api.get("/v1/me", forged).status_code == 401


def test_a_token_signed_by_another_key_or_unsigned_is_refused(api: Api):
    claims = _claims(_customer_token(api))
    other_key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    foreign = jwt.encode({**claims, "op": True}, other_key, algorithm="EdDSA")
    assert api.get("/v1/me", foreign).status_code == 401
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert api.get("/v1/me", unsigned).status_code == 401
    assert api.get("/v1/me", "not-a-jwt-at-all").status_code == 401


def test_an_expired_token_is_refused(api: Api, suite: Suite):
    claims = _claims(_customer_token(api))
    issuer = TokenIssuer.from_file(Path(suite.env["PORTAL_JWT_PRIVATE_KEY_FILE"]))
    expired = issuer.issue(
        user_id=claims["sub"],
        entity_id=claims["ent"],
        permissions=claims["perms"],
        session_id=claims["sid"],
        ttl_seconds=-120,
    )
    answer = api.get("/v1/me", expired)
    assert answer.status_code == 401


def test_every_answer_and_error_carries_a_request_id(api: Api):
    for answer in (
        api.get("/healthz"),
        api.get("/v1/me"),
        api.get("/v1/does-not-exist"),
        api.post("/v1/auth/login", {"login": "x", "password": "y"}),
    ):
        assert answer.headers.get("X-Request-Id"), answer.request.url
    echoed = api.http.get("/healthz", headers={"X-Request-Id": "trace-me-123"})
    assert echoed.headers["X-Request-Id"] == "trace-me-123"
    unknown = api.get("/v1/does-not-exist")
    assert unknown.status_code == 404 and unknown.json()["error"]["status"] == "NOT_FOUND"
    assert error_reason(api.get("/v1/me")) in {"TOKEN_MISSING", ""}
