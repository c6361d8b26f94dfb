"""A thin client of the public REST API for tests: what a web client would do."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx


def error_reason(answer: httpx.Response) -> str:
    for detail in answer.json()["error"].get("details", []):
        if detail.get("@type", "").endswith("google.rpc.ErrorInfo"):
            return detail["reason"]
    return ""


def field_violations(answer: httpx.Response) -> dict[str, str]:
    for detail in answer.json()["error"].get("details", []):
        if detail.get("@type", "").endswith("google.rpc.BadRequest"):
            return {v["field"]: v["description"] for v in detail["fieldViolations"]}
    return {}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Api:
    def __init__(self, base_url: str, operator_email: str, operator_password: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.operator_email = operator_email
        self.operator_password = operator_password
        self._operator_token = ""
        self._operator_since = 0.0

    def close(self) -> None:
        self.http.close()

    # -- plumbing ------------------------------------------------------------
    def post(self, path: str, body: Any = None, token: str = "", **kw: Any) -> httpx.Response:
        headers = {**(bearer(token) if token else {}), **kw.pop("headers", {})}
        return self.http.post(path, json=body if body is not None else {}, headers=headers, **kw)

    def get(self, path: str, token: str = "", **kw: Any) -> httpx.Response:
        return self.http.get(path, headers=bearer(token) if token else {}, **kw)

    def patch(self, path: str, body: Any, token: str = "") -> httpx.Response:
        return self.http.patch(path, json=body, headers=bearer(token) if token else {})

    def delete(self, path: str, token: str = "") -> httpx.Response:
        return self.http.delete(path, headers=bearer(token) if token else {})

    # -- operators -----------------------------------------------------------
    @property
    def operator(self) -> str:
        """An operator's access token, renewed well before it expires (a long
        run on a loaded machine outlasts one token)."""
        if not self._operator_token or time.monotonic() - self._operator_since > 240:
            answer = self.post(
                "/v1/auth/login", {"login": self.operator_email, "password": self.operator_password}
            )
            assert answer.status_code == 200, answer.text
            self._operator_token = answer.json()["accessToken"]
            self._operator_since = time.monotonic()
        return self._operator_token

    def new_account(self, *, email: str = "", language: str = "fr") -> dict[str, Any]:
        """A fresh customer account, its first manager not yet activated."""
        suffix = uuid.uuid4().hex[:8]
        body = {
            "name": f"Company {suffix}",
            "clientNumber": f"T{suffix.upper()}",
            "contractNumber": f"CT-{suffix}",
            "contractLabel": "Meal cards",
            "language": language,
            "manager": {
                "email": email or f"manager-{suffix}@example.com",
                "firstName": "Ada",
                "lastName": "Lovelace",
            },
        }
        answer = self.post("/v1/admin/accounts", body, self.operator)
        assert answer.status_code == 201, answer.text
        return {
            **answer.json(),
            "contractNumber": body["contractNumber"],
            "managerEmail": body["manager"]["email"],
        }

    def messages(self, recipient: str) -> list[dict[str, Any]]:
        answer = self.get("/v1/admin/messages", self.operator, params={"recipient": recipient})
        assert answer.status_code == 200, answer.text
        return answer.json()["messages"]

    def wait_for_token(
        self, recipient: str, template: str, *, count: int = 1, timeout: float = 20.0
    ) -> str:
        """The token of the newest `template` e-mail, once `count` of them exist."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.messages(recipient) if m["template"] == template]
            if len(found) >= count and found[0]["links"]:
                return parse_qs(urlparse(found[0]["links"][0]).query)["token"][0]
            time.sleep(0.1)
        raise AssertionError(f"no {template} e-mail #{count} to {recipient} in {timeout}s")

    # -- customers -----------------------------------------------------------
    def activate(self, account: dict[str, Any], password: str = "Correct-Horse-42!") -> dict:
        """Activates the account as its manager would. The suite's activation
        links live a few seconds (expiry tests): on a loaded machine one may
        lapse before it is used, and the manager then asks for a new one."""
        numbers = {
            "clientNumber": account["clientNumber"],
            "contractNumber": account["contractNumber"],
        }
        for attempt in range(1, 4):
            assert self.post("/v1/auth/activation:request", numbers).status_code == 202
            token = self.wait_for_token(account["managerEmail"], "activation", count=attempt)
            answer = self.post(
                "/v1/auth/activation:confirm", {**numbers, "token": token, "password": password}
            )
            if answer.status_code == 200 or "TOKEN_INVALID_OR_EXPIRED" not in answer.text:
                break
        assert answer.status_code == 200, answer.text
        return answer.json()

    def login(self, login: str, password: str) -> httpx.Response:
        return self.post("/v1/auth/login", {"login": login, "password": password})


def csv_file(
    rows: list[list[str]], *, separator: str = ";", bom: bool = True, encoding: str = "utf-8"
) -> bytes:
    """An order file with the template's header."""
    header = [
        "Employee number",
        "Last name",
        "First name",
        "Email",
        "Birth date",
        "Delivery point code",
        "New card",
        "Load amount",
    ]
    text = "\r\n".join(separator.join(row) for row in [header, *rows]) + "\r\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom and encoding == "utf-8" else data
