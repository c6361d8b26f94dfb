"""JSON routes take UTF-8 `application/json`, nested within bounds; anything else
is refused before it reaches a service."""

from __future__ import annotations

import httpx
import pytest

from gateway.json_body import MAX_DEPTH, too_deep
from tests.unit.gateway.conftest import Backend

LOGIN = b'{"login": "someone@example.com", "password": "a long enough one"}'


def nested(levels: int) -> bytes:
    return b'{"login": ' + b"[" * levels + b"]" * levels + b"}"


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 1_000, 5_000])
async def test_deeply_nested_json_is_a_400_before_decoding(
    client: httpx.AsyncClient, backend: Backend, levels: int
) -> None:
    backend.calls.requests.pop("Login", None)
    answer = await client.post(
        "/v1/auth/login", content=nested(levels), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["details"][0]["reason"] == "JSON_TOO_DEEP"
    assert "Login" not in backend.calls.requests


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert not too_deep('{"a": "' + "[" * 100 + '"}')
    assert not too_deep('{"a": "\\"' + "{" * 100 + '"}')
    assert too_deep("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert not too_deep("[" * MAX_DEPTH + "]" * MAX_DEPTH)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", "text/csv"],
)
async def test_another_media_type_is_415(
    client: httpx.AsyncClient, backend: Backend, content_type: str
) -> None:
    backend.calls.requests.pop("Login", None)
    answer = await client.post(
        "/v1/auth/login", content=LOGIN, headers={"Content-Type": content_type}
    )
    assert answer.status_code == 415
    assert answer.json()["error"]["details"][0]["reason"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "Login" not in backend.calls.requests


async def test_a_utf16_body_is_415(client: httpx.AsyncClient, backend: Backend) -> None:
    backend.calls.requests.pop("Login", None)
    for headers, body in [
        ({"Content-Type": "application/json; charset=utf-16"}, LOGIN.decode().encode("utf-16")),
        ({"Content-Type": "application/json"}, LOGIN.decode().encode("utf-16")),
        ({"Content-Type": "application/json"}, LOGIN.decode().encode("utf-16-le")),
    ]:
        answer = await client.post("/v1/auth/login", content=body, headers=headers)
        assert answer.status_code == 415, headers
        assert answer.json()["error"]["details"][0]["reason"] == "UNSUPPORTED_CHARSET"
    assert "Login" not in backend.calls.requests


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        {"Content-Type": "application/json; charset=UTF-8"},
        {"Content-Type": "Application/JSON;charset=utf-8"},
        {},
    ],
)
async def test_json_in_utf8_reaches_the_service(
    client: httpx.AsyncClient, backend: Backend, headers: dict[str, str]
) -> None:
    backend.calls.requests.pop("Login", None)
    answer = await client.post("/v1/auth/login", content=LOGIN, headers=headers)
    assert answer.status_code == 200
    assert backend.calls.requests["Login"].login == "someone@example.com"
