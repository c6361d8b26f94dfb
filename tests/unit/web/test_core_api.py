"""The core's calls every area uses: a whole list read page after page, and a
file passed from the API to the browser (streamed, renewed once on an expired
access token, saved under a name that cannot break its header)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from web.api import Api, ApiError, SignedOut
from web.pages.context import Ctx, attachment
from web.session import Session


def _ctx(handler, session: Session | None = None) -> Ctx:
    # Only what api/api_all/download read: the API client and the session.
    ctx = Ctx.__new__(Ctx)
    ctx.api_client = Api("http://api.test", transport=httpx.MockTransport(handler))
    ctx.session = session or Session(access_token="a", refresh_token="r")
    return ctx


async def _body(response) -> bytes:
    chunks = [chunk async for chunk in response.body_iterator]
    await response.background()
    return b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)


def test_an_ascii_name_is_kept_as_it_is() -> None:
    assert attachment("FAC-2026-000012.pdf") == 'attachment; filename="FAC-2026-000012.pdf"'


def test_a_name_with_accents_gets_a_fallback_and_the_exact_name() -> None:
    assert attachment("relevé mars.pdf") == (
        "attachment; filename=\"relev_mars.pdf\"; filename*=UTF-8''relev%C3%A9%20mars.pdf"
    )


def test_nothing_in_a_name_breaks_out_of_the_header() -> None:
    header = attachment('a"; x\r\nSet-Cookie: s=1.pdf')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="a_x_Set-Cookie_s_1.pdf"; filename*=')
    assert attachment("..") == "attachment; filename=\"download\"; filename*=UTF-8''.."


def test_api_all_reads_every_page_with_the_filters() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        seen.append(params)
        following = {"": "p2", "p2": "p3", "p3": ""}[params.get("pageToken", "")]
        item = {"id": params.get("pageToken") or "p1"}
        return httpx.Response(200, json={"items": [item], "nextPageToken": following})

    items = asyncio.run(_ctx(handler).api_all("/v1/things", "items", params={"type": "X"}))
    assert [i["id"] for i in items] == ["p1", "p2", "p3"]
    assert all(p["type"] == "X" and p["pageSize"] == "500" for p in seen)


def test_api_all_stops_after_max_pages() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [{"id": "x"}], "nextPageToken": "more"})

    items = asyncio.run(_ctx(handler).api_all("/v1/things", "items", max_pages=3))
    assert len(items) == 3


def test_a_download_streams_the_file_under_its_name() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer a"
        return httpx.Response(200, content=b"a;b\n", headers={"Content-Type": "text/csv"})

    response = asyncio.run(_ctx(handler).download("/v1/x.csv", "export.csv"))
    assert response.headers["content-disposition"] == 'attachment; filename="export.csv"'
    assert response.media_type == "text/csv"
    assert asyncio.run(_body(response)) == b"a;b\n"


def test_a_download_renews_an_expired_access_token_once() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.path} {request.headers.get('authorization', '')}")
        if request.url.path == "/v1/auth/token:refresh":
            assert json.loads(request.content) == {"refreshToken": "r"}
            return httpx.Response(200, json={"accessToken": "b", "refreshToken": "r2"})
        if request.headers["authorization"] == "Bearer a":
            return httpx.Response(401, json={"error": {"message": "expired"}})
        return httpx.Response(200, content=b"%PDF")

    ctx = _ctx(handler)
    response = asyncio.run(ctx.download("/v1/doc/pdf", "doc.pdf", media_type="application/pdf"))
    assert asyncio.run(_body(response)) == b"%PDF"
    assert response.media_type == "application/pdf"  # the API named none
    assert seen == ["/v1/doc/pdf Bearer a", "/v1/auth/token:refresh ", "/v1/doc/pdf Bearer b"]
    assert (ctx.session.access_token, ctx.session.refresh_token) == ("b", "r2")


def test_a_refused_download_is_the_apis_error_and_an_ended_session_signs_out() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": {"message": "no such document"}})

    with pytest.raises(ApiError) as error:
        asyncio.run(_ctx(refused).download("/v1/doc/pdf", "doc.pdf"))
    assert (error.value.status, error.value.message) == (404, "no such document")

    def ended(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": "expired"}})

    with pytest.raises(SignedOut):
        asyncio.run(_ctx(ended).download("/v1/doc/pdf", "doc.pdf"))
