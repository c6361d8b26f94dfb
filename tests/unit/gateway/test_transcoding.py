from __future__ import annotations

import httpx

from tests.unit.gateway.conftest import Backend, Keys


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_body_star_maps_json_to_request(client: httpx.AsyncClient, backend: Backend) -> None:
    answer = await client.post("/v1/auth/login", json={"login": "a@example.com", "password": "pw"})
    assert answer.status_code == 200
    assert answer.json() == {
        "accessToken": "tok-a@example.com",
        "refreshToken": "",
        "expiresIn": 900,
        "tokenType": "Bearer",
        "passwordChangeRequired": False,
    }
    assert backend.calls.requests["Login"].login == "a@example.com"


async def test_success_status_and_empty_body(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/auth/activation:request", json={"clientNumber": "C1", "contractNumber": "K1"}
    )
    assert answer.status_code == 202
    assert answer.content == b""


async def test_created_status(client: httpx.AsyncClient, keys: Keys) -> None:
    answer = await client.post(
        "/v1/users",
        json={"email": "b@example.com"},
        headers={**bearer(keys.customer()), "Idempotency-Key": "k-1"},
    )
    assert answer.status_code == 201
    assert answer.json()["email"] == "b@example.com"


async def test_path_variable_and_body(
    client: httpx.AsyncClient, keys: Keys, backend: Backend
) -> None:
    answer = await client.patch(
        "/v1/users/u%2042", json={"profileId": "p9"}, headers=bearer(keys.customer())
    )
    assert answer.status_code == 200
    assert answer.json()["id"] == "u 42"
    assert backend.calls.requests["UpdateUser"].profile_id == "p9"


async def test_path_variable_wins_over_body(client: httpx.AsyncClient, keys: Keys) -> None:
    answer = await client.patch(
        "/v1/users/u1", json={"id": "other", "profileId": "p"}, headers=bearer(keys.customer())
    )
    assert answer.json()["id"] == "u1"


async def test_delete_answers_empty(client: httpx.AsyncClient, keys: Keys) -> None:
    answer = await client.delete("/v1/users/u1", headers=bearer(keys.customer()))
    assert answer.status_code == 200
    assert answer.content == b""


async def test_verb_route_with_path_id(
    client: httpx.AsyncClient, keys: Keys, backend: Backend
) -> None:
    answer = await client.post(
        "/v1/admin/accounts/acc-7:unlockDelegation", json={}, headers=bearer(keys.operator())
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == "acc-7"
    assert backend.calls.requests["UnlockDelegation"].id == "acc-7"


async def test_query_parameters_camel_and_snake(
    client: httpx.AsyncClient, keys: Keys, backend: Backend
) -> None:
    answer = await client.get("/v1/users?pageSize=7", headers=bearer(keys.customer()))
    assert answer.json()["nextPageToken"] == "size-7"
    answer = await client.get(
        "/v1/users", params={"page_size": "3", "pageToken": "t"}, headers=bearer(keys.customer())
    )
    assert answer.json()["nextPageToken"] == "size-3"
    assert backend.calls.requests["ListUsers"].page_token == "t"


async def test_enum_and_repeated_rendering(client: httpx.AsyncClient, keys: Keys) -> None:
    answer = await client.get(
        "/v1/admin/messages?recipient=a@example.com", headers=bearer(keys.operator())
    )
    assert answer.status_code == 200
    message = answer.json()["messages"][0]
    assert message["status"] == "DELIVERY_STATUS_SENT"
    assert message["links"] == ["https://x/1"]
    assert message["recipient"] == "a@example.com"
    assert message["attempts"] == 0  # fields without presence are always printed


async def test_timestamp_rendering(client: httpx.AsyncClient, keys: Keys) -> None:
    answer = await client.get("/v1/me", headers=bearer(keys.customer()))
    assert answer.json()["user"]["createdAt"] == "2023-11-14T22:13:20Z"


async def test_unknown_query_parameter(client: httpx.AsyncClient, keys: Keys) -> None:
    answer = await client.get("/v1/users?color=red", headers=bearer(keys.customer()))
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert "color" in error["message"]


async def test_badly_typed_query_parameter(client: httpx.AsyncClient, keys: Keys) -> None:
    answer = await client.get("/v1/users?pageSize=many", headers=bearer(keys.customer()))
    assert answer.status_code == 400
    assert "pageSize" in answer.json()["error"]["message"]


async def test_invalid_json(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/auth/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json()["error"]["message"]


async def test_unknown_body_field(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/auth/login", json={"login": "x", "pasword": "typo"})
    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "INVALID_ARGUMENT"


async def test_metadata_forwarded(client: httpx.AsyncClient, keys: Keys, backend: Backend) -> None:
    token = keys.customer()
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    answer = await client.get(
        "/v1/me",
        headers={
            **bearer(token),
            "X-Request-Id": "req-123",
            "traceparent": traceparent,
            "Accept-Language": "fr",
            "X-Forwarded-For": "198.51.100.1",  # not trusted by default
        },
    )
    assert answer.headers["x-request-id"] == "req-123"
    seen = backend.calls.metadata["GetMe"]
    assert seen["authorization"] == f"Bearer {token}"
    assert seen["x-request-id"] == "req-123"
    assert seen["traceparent"].split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
    assert seen["accept-language"] == "fr"
    assert seen["x-client-ip"] == "203.0.113.7"


async def test_forwarded_for_when_trusted(make_client, keys: Keys, backend: Backend) -> None:
    async with make_client(trust_forwarded=True) as http:
        await http.get(
            "/v1/me",
            headers={**bearer(keys.customer()), "X-Forwarded-For": "198.51.100.1, 10.0.0.1"},
        )
    assert backend.calls.metadata["GetMe"]["x-client-ip"] == "198.51.100.1"
