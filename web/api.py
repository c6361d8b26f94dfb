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
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        response = await self._send(
            session, method, path, json, clean, content, headers, files, token
        )
        if (
            response.status_code == 401
            and token is None
            and session is not None
            and session.refresh_token
        ):
            if await self._refresh(session):
                response = await self._send(
                    session, method, path, json, clean, content, headers, files, None
                )
            else:
                raise SignedOut()
        if response.status_code == 401 and session is not None and session.signed_in:
            raise SignedOut()
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        return response

    async def json(self, session: Session | None, method: str, path: str, **kw: Any) -> dict:
        response = await self.call(session, method, path, **kw)
        return response.json() if response.content else {}

    async def _send(self, session, method, path, json, params, content, headers, files, token):
        all_headers = dict(headers or {})
        bearer = token if token is not None else (session.access_token if session else "")
        if bearer:
            all_headers["Authorization"] = f"Bearer {bearer}"
        if session is not None and session.language:
            all_headers.setdefault("Accept-Language", session.language)
        return await self.http.request(
            method,
            path,
            json=json,
            params=params,
            content=content,
            headers=all_headers,
            files=files,
        )

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
