"""Driving the web portal in tests: a browser-like client (cookies, the CSRF
token of the last page, forms posted as a browser posts them)."""

from __future__ import annotations

import re
from typing import Any

import httpx

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    return found.group(1) if found else ""


class Portal:
    """Wraps an httpx-compatible client (Starlette's TestClient or httpx.Client
    on a running portal)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.csrf = ""
        self.last: httpx.Response | None = None

    def _seen(self, response: httpx.Response) -> httpx.Response:
        self.last = response
        if "text/html" in response.headers.get("content-type", ""):
            token = csrf_of(response.text)
            if token:
                self.csrf = token
        return response

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self._seen(self.client.get(path, **kw))

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        files: dict[str, Any] | None = None,
        csrf: bool = True,
        **kw: Any,
    ) -> httpx.Response:
        """A form post with this session's CSRF token (a page is fetched first
        when none was seen yet)."""
        if csrf and not self.csrf:
            self.get("/login")
        body = dict(data or {})
        if csrf:
            body.setdefault("csrf", self.csrf)
        return self._seen(self.client.post(path, data=body, files=files, **kw))

    def sign_in(self, login: str, password: str) -> httpx.Response:
        self.get("/login")
        answer = self.post("/login", {"login": login, "password": password})
        assert answer.status_code == 200, answer.text[:500]
        assert "/login" not in str(answer.url), "still on the login page"
        return answer
