"""The demo seeds' HTTP steps: logging in, creating and activating accounts as an
operator and a customer would, through the public API."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import httpx


class SeedError(Exception):
    """The demo data cannot be loaded (said plainly, without a traceback)."""


def can_log_in(base_url: str, login_name: str, password: str) -> bool:
    answer = httpx.post(
        f"{base_url}/v1/auth/login", json={"login": login_name, "password": password}, timeout=30
    )
    return answer.status_code == 200


def login(client: httpx.Client, login_name: str, password: str) -> str:
    answer = client.post("/v1/auth/login", json={"login": login_name, "password": password})
    answer.raise_for_status()
    return answer.json()["accessToken"]


def wait_for_link(
    client: httpx.Client, operator_token: str, recipient: str, template: str, timeout: float = 30
) -> str:
    """The token carried by the newest e-mail of that template to that recipient."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = client.get(
            "/v1/admin/messages",
            params={"recipient": recipient},
            headers={"Authorization": f"Bearer {operator_token}"},
        )
        answer.raise_for_status()
        for message in answer.json()["messages"]:
            if message["template"] == template and message["links"]:
                return parse_qs(urlparse(message["links"][0]).query)["token"][0]
        time.sleep(0.2)
    raise TimeoutError(f"no {template} e-mail to {recipient} after {timeout}s")


def create_account(client: httpx.Client, operator_token: str, account: dict) -> None:
    answer = client.post(
        "/v1/admin/accounts", json=account, headers={"Authorization": f"Bearer {operator_token}"}
    )
    if answer.status_code != 409:  # already there from an earlier run
        answer.raise_for_status()


def activate(client: httpx.Client, operator_token: str, account: dict, password: str) -> None:
    """Activates the account the way its manager would (the e-mailed link)."""
    numbers = {
        "clientNumber": account["clientNumber"],
        "contractNumber": account["contractNumber"],
    }
    client.post("/v1/auth/activation:request", json=numbers).raise_for_status()
    token = wait_for_link(client, operator_token, account["manager"]["email"], "activation")
    client.post(
        "/v1/auth/activation:confirm", json={**numbers, "token": token, "password": password}
    ).raise_for_status()
