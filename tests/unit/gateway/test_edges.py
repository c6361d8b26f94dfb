"""Errors, edge auth, limits, health and the OpenAPI document."""

from __future__ import annotations

import httpx
import pytest
from grpc_health.v1 import health_pb2

from tests.unit.gateway.conftest import Backend, Keys
from tests.unit.gateway.test_transcoding import bearer


async def test_rich_status_details(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/auth/login", json={"login": "a", "password": "bad"})
    assert answer.status_code == 400
    assert answer.json() == {
        "error": {
            "code": 400,
            "status": "INVALID_ARGUMENT",
            "message": "the password is too short",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": [{"field": "password", "description": "too short"}],
                }
            ],
        }
    }


async def test_plain_status_maps_to_http(client: httpx.AsyncClient, keys: Keys) -> None:
    answer = await client.get("/v1/account", headers=bearer(keys.customer()))
    assert answer.status_code == 404
    assert answer.json()["error"]["status"] == "NOT_FOUND"
    assert answer.json()["error"]["message"] == "no such account"


async def test_unimplemented_method(client: httpx.AsyncClient, keys: Keys) -> None:
    answer = await client.get("/v1/profiles", headers=bearer(keys.customer()))
    assert answer.status_code == 501
    assert answer.json()["error"]["status"] == "UNIMPLEMENTED"


async def test_backend_down_is_503(make_client, keys: Keys) -> None:
    async with make_client(backends={"identity": "127.0.0.1:1"}) as http:
        answer = await http.get("/v1/me", headers=bearer(keys.customer()))
    assert answer.status_code == 503
    assert answer.json()["error"]["status"] == "UNAVAILABLE"


async def test_unknown_route_and_wrong_method(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/nowhere")
    assert answer.status_code == 404
    assert answer.json()["error"]["status"] == "NOT_FOUND"
    answer = await client.get("/v1/auth/login")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.json()["error"]["code"] == 405
    answer = await client.post("/healthz")
    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == 405


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}],
)
async def test_missing_or_bad_token_is_401(
    client: httpx.AsyncClient, backend: Backend, headers: dict[str, str]
) -> None:
    backend.calls.requests.pop("GetMe", None)
    answer = await client.get("/v1/me", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"]["status"] == "UNAUTHENTICATED"
    assert "GetMe" not in backend.calls.requests  # refused before any gRPC call


async def test_expired_token_is_401(client: httpx.AsyncClient, keys: Keys) -> None:
    token = keys.customer(ttl_seconds=60, now=1_000_000)
    answer = await client.get("/v1/me", headers=bearer(token))
    assert answer.status_code == 401
    assert answer.json()["error"]["details"][0]["reason"] == "TOKEN_EXPIRED"


async def test_operator_route_with_customer_token_is_403(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    answer = await client.get("/v1/admin/messages", headers=bearer(keys.customer()))
    assert answer.status_code == 403
    assert answer.json()["error"]["status"] == "PERMISSION_DENIED"


async def test_request_id_generated_or_replaced(client: httpx.AsyncClient) -> None:
    answer = await client.get("/healthz")
    assert len(answer.headers["x-request-id"]) == 32
    answer = await client.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"})
    assert answer.headers["x-request-id"] != "bad id\twith spaces"
    answer = await client.get("/v1/nowhere")
    assert answer.headers["x-request-id"]


async def test_body_too_large(client: httpx.AsyncClient) -> None:
    big = b'{"login": "' + b"x" * (100 * 1024) + b'"}'
    answer = await client.post(
        "/v1/auth/login", content=big, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == 413


async def test_body_too_large_without_length(client: httpx.AsyncClient) -> None:
    async def chunks():
        for _ in range(10):
            yield b" " * (16 * 1024)

    answer = await client.post(
        "/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413


async def test_rate_limit(make_client) -> None:
    async with make_client(auth_rate_limit="2/minute") as http:
        body = {"clientNumber": "C", "contractNumber": "K"}
        for _ in range(2):
            assert (await http.post("/v1/auth/activation:request", json=body)).status_code == 202
        answer = await http.post("/v1/auth/activation:request", json=body)
        assert answer.status_code == 429
        assert int(answer.headers["retry-after"]) >= 1
        assert answer.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
        # Another route has its own budget.
        login = await http.post("/v1/auth/login", json={"login": "a", "password": "p"})
        assert login.status_code == 200


async def test_healthz(client: httpx.AsyncClient) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


async def test_readyz(client: httpx.AsyncClient, backend: Backend) -> None:
    answer = await client.get("/readyz")
    assert answer.status_code == 200, answer.text
    await backend.health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    try:
        answer = await client.get("/readyz")
        assert answer.status_code == 503
        assert sorted(answer.json()["notReady"]) == ["identity", "notifications"]
    finally:
        await backend.health.set("", health_pb2.HealthCheckResponse.SERVING)


async def test_openapi_document(client: httpx.AsyncClient) -> None:
    answer = await client.get("/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.1")
    login = document["paths"]["/v1/auth/login"]["post"]
    ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(schema["properties"]) == {"login", "password"}
    assert schema["required"] == ["login", "password"]
    assert login["security"] == []
    me = document["paths"]["/v1/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    invite = document["paths"]["/v1/users"]["post"]
    assert "201" in invite["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in invite["parameters"])
    unlock = document["paths"]["/v1/admin/accounts/{id}:unlockDelegation"]["post"]
    assert unlock["parameters"][0] == {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    messages = document["paths"]["/v1/admin/messages"]["get"]
    assert {p["name"] for p in messages["parameters"]} == {"recipient", "pageSize", "pageToken"}
    message = document["components"]["schemas"]["notifications.v1.Message"]
    assert message["properties"]["createdAt"] == {"type": "string", "format": "date-time"}
    assert "DELIVERY_STATUS_SENT" in message["properties"]["status"]["enum"]
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)


async def test_docs_page_served_locally(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "/openapi.json" in page.text
    script = await client.get("/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert len(script.content) > 100_000


@pytest.mark.parametrize("count", [300, 3_000, 100_000])
async def test_many_field_violations_are_a_400_listing_them(
    client: httpx.AsyncClient, count: int
) -> None:
    answer = await client.post("/v1/auth/login", json={"login": "a", "password": f"many:{count}"})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    [info] = [d for d in error["details"] if d["@type"].endswith("ErrorInfo")]
    [bad] = [d for d in error["details"] if d["@type"].endswith("BadRequest")]
    listed = bad["fieldViolations"]
    assert listed[0] == {"field": "line 2: email", "description": "is not a valid e-mail address"}
    assert len(listed) == min(count, 1_000)
    assert [v["field"] for v in listed] == [f"line {n}: email" for n in range(2, len(listed) + 2)]
    if count > 1_000:
        assert info["metadata"] == {"violationsTotal": str(count), "violationsListed": "1000"}
        assert error["message"].startswith(f"{count} problems, the first 1000 listed")
    else:
        assert "violationsTotal" not in info.get("metadata", {})
