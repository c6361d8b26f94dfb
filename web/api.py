"""The portal's client of the public REST API (the gateway), with the user's
tokens: an expired access token is refreshed once, transparently, and the
session keeps the rotated pair."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from web.session import Session


@dataclass
class ApiError(Exception):
    """A refused call: the HTTP status, the API's reason, its message and the
    field violations (field -> descriptions, in order)."""

    status: int
    reason: str = ""
    message: str = ""
    violations: dict[str, list[str]] = field(default_factory=dict)
    total_violations: int = 0

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        reason = ""
        violations: dict[str, list[str]] = {}
        total = 0
        for detail in error.get("details", []) or []:
            kind = detail.get("@type", "")
            if kind.endswith("google.rpc.ErrorInfo"):
                reason = detail.get("reason", "")
                total = int((detail.get("metadata") or {}).get("violationsTotal", 0) or 0)
            elif kind.endswith("google.rpc.BadRequest"):
                for v in detail.get("fieldViolations", []):
                    violations.setdefault(v.get("field", ""), []).append(v.get("description", ""))
        return cls(
            status=response.status_code,
            reason=reason,
            message=error.get("message", response.reason_phrase),
            violations=violations,
            total_violations=total or sum(len(v) for v in violations.values()),
        )

    def __str__(self) -> str:
        return f"{self.status} {self.reason}: {self.message}"


@dataclass(frozen=True)
class _Request:
    """One call, kept to be sent again after a refreshed access token."""

    method: str
    path: str
    json: Any
    params: dict[str, Any] | None
    content: bytes | None
    headers: dict[str, str] | None
    files: dict[str, Any] | None
    token: str | None


class SignedOut(Exception):
    """The session is gone (expired refresh token, revoked): sign in again."""


class Api:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url, timeout=httpx.Timeout(timeout), transport=transport
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        session: Session | None,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        files: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        """The raw answer of a successful call (2xx); ApiError otherwise.
        `token` overrides the session's (a first-login token)."""
        request = _Request(method, path, json, params, content, headers, files, token)
        return await self._answer(session, request, stream=False)

    async def stream(
        self,
        session: Session | None,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A successful answer whose body is still to be read (a file passed
        on as it arrives, never held whole); the caller closes it. Refused
        calls are read and raised as `call` does."""
        request = _Request(method, path, json, params, None, headers, None, None)
        return await self._answer(session, request, stream=True)

    async def json(self, session: Session | None, method: str, path: str, **kw: Any) -> dict:
        response = await self.call(session, method, path, **kw)
        return response.json() if response.content else {}

    async def _answer(
        self, session: Session | None, request: _Request, *, stream: bool
    ) -> httpx.Response:
        response = await self._send(session, request, stream)
        if (
            response.status_code == 401
            and request.token is None
            and session is not None
            and session.refresh_token
        ):
            await response.aclose()
            if not await self._refresh(session):
                raise SignedOut()
            response = await self._send(session, request, stream)
        if response.status_code >= 400:
            # A streamed refusal is small: read it for its error, then let go.
            await response.aread()
            await response.aclose()
        if response.status_code == 401 and session is not None and session.signed_in:
            raise SignedOut()
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        return response

    async def _send(
        self, session: Session | None, request: _Request, stream: bool
    ) -> httpx.Response:
        all_headers = dict(request.headers or {})
        bearer = (
            request.token
            if request.token is not None
            else (session.access_token if session else "")
        )
        if bearer:
            all_headers["Authorization"] = f"Bearer {bearer}"
        if session is not None and session.language:
            all_headers.setdefault("Accept-Language", session.language)
        built = self.http.build_request(
            request.method,
            request.path,
            json=request.json,
            params={k: v for k, v in (request.params or {}).items() if v not in (None, "")},
            content=request.content,
            headers=all_headers,
            files=request.files,
        )
        return await self.http.send(built, stream=stream)

    async def _refresh(self, session: Session) -> bool:
        answer = await self.http.post(
            "/v1/auth/token:refresh", json={"refreshToken": session.refresh_token}
        )
        if answer.status_code != 200:
            session.access_token = session.refresh_token = ""
            return False
        # The CSRF token stays: forms already open in the browser carry it.
        tokens = answer.json()
        session.access_token = tokens.get("accessToken", "")
        session.refresh_token = tokens.get("refreshToken", session.refresh_token)
        return True
