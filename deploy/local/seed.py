"""Demo data, loaded once by `make run` through the public API (so it also
proves the flows work): an activated demo customer, a second customer left to
activate by hand, and the bootstrap operator."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import httpx

OPERATOR_EMAIL = "operator@portail.localhost"
OPERATOR_PASSWORD = "Operator-Demo-2026!"  # noqa: S105 - documented demo value
MANAGER_EMAIL = "manager@acme.example"
MANAGER_PASSWORD = "Acme-Demo-2026!"  # noqa: S105 - documented demo value
DEMO_ACCOUNT = {
    "name": "Acme Restauration",
    "clientNumber": "C100001",
    "contractNumber": "CT-2026-0001",
    "contractLabel": "Titres-restaurant",
    "language": "fr",
    "manager": {"email": MANAGER_EMAIL, "firstName": "Alice", "lastName": "Martin"},
}
PENDING_ACCOUNT = {
    "name": "Bistro Durand",
    "clientNumber": "C100002",
    "contractNumber": "CT-2026-0002",
    "contractLabel": "Titres-restaurant",
    "language": "en",
    "manager": {"email": "owner@bistro-durand.example", "firstName": "Paul", "lastName": "Durand"},
}


DEMO_ORDER_FILE = (
    "\ufeffEmployee number;Last name;First name;Email;Birth date;Delivery point code;"
    "New card;Load amount\r\n"
    "E-0001;Dupont;Élodie;elodie.dupont@acme.example;1990-05-17;HQ;oui;50,00\r\n"
    "E-0002;Bernard;Hugo;hugo.bernard@acme.example;1987-11-02;HQ;oui;75,00\r\n"
    "E-0003;Nguyen;Linh;linh.nguyen@acme.example;1995-02-28;HQ;non;40,00\r\n"
).encode()


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


def seed(
    base_url: str, operator_email: str = OPERATOR_EMAIL, operator_password: str = OPERATOR_PASSWORD
) -> None:
    """Loads the demo data as the operator the suite was started with."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        answer = client.post(
            "/v1/auth/login", json={"login": operator_email, "password": operator_password}
        )
        if answer.status_code != 200:
            raise SeedError(
                f"cannot load the demo data: the operator {operator_email} cannot log in "
                f"({answer.status_code}); an operator created earlier in this var folder "
                "is kept: use its login, or `make clean` to start afresh"
            )
        operator = answer.json()["accessToken"]
        auth = {"Authorization": f"Bearer {operator}"}
        for account in (DEMO_ACCOUNT, PENDING_ACCOUNT):
            answer = client.post("/v1/admin/accounts", json=account, headers=auth)
            if answer.status_code != 409:  # already there from an earlier run
                answer.raise_for_status()
        # Activate the demo customer the way a customer would.
        client.post(
            "/v1/auth/activation:request",
            json={
                "clientNumber": DEMO_ACCOUNT["clientNumber"],
                "contractNumber": DEMO_ACCOUNT["contractNumber"],
            },
        ).raise_for_status()
        token = wait_for_link(client, operator, MANAGER_EMAIL, "activation")
        client.post(
            "/v1/auth/activation:confirm",
            json={
                "token": token,
                "clientNumber": DEMO_ACCOUNT["clientNumber"],
                "contractNumber": DEMO_ACCOUNT["contractNumber"],
                "password": MANAGER_PASSWORD,
            },
        ).raise_for_status()
        _seed_orders(client)
        _seed_billing(client, operator)


def _seed_orders(client: httpx.Client) -> None:
    """A delivery point, three beneficiaries and a draft order made from a file,
    as the demo manager would."""
    auth = {"Authorization": f"Bearer {login(client, MANAGER_EMAIL, MANAGER_PASSWORD)}"}
    client.post(
        "/v1/delivery-points",
        json={
            "name": "Siège - accueil",
            "code": "HQ",
            "address": {
                "line1": "12 rue de la Paix",
                "postalCode": "75002",
                "city": "Paris",
                "country": "FR",
            },
        },
        headers=auth,
    ).raise_for_status()
    client.post(
        "/v1/orders:import",
        content=DEMO_ORDER_FILE,
        headers={**auth, "Content-Type": "text/csv"},
    ).raise_for_status()


DEMO_IBAN = "FR76 3000 6000 0112 3456 7890 189"


def _seed_billing(client: httpx.Client, operator_token: str) -> None:
    """A SEPA mandate signed by the demo manager and an operator's invoice for the
    yearly service fee, so that a direct-debit batch can be collected from the
    demo data (POST /v1/admin/direct-debits:collect)."""
    auth = {"Authorization": f"Bearer {login(client, MANAGER_EMAIL, MANAGER_PASSWORD)}"}
    entity_id = client.get("/v1/me", headers=auth).json()["currentEntity"]["id"]
    client.post(
        "/v1/mandates", json={"iban": DEMO_IBAN, "holder": DEMO_ACCOUNT["name"]}, headers=auth
    ).raise_for_status()
    client.post(
        "/v1/admin/documents",
        json={
            "entityId": entity_id,
            "type": "DOCUMENT_TYPE_INVOICE",
            "contractNumber": DEMO_ACCOUNT["contractNumber"],
            "lines": [
                {
                    "label": "Frais de service annuels / yearly service fee",
                    "quantity": 1,
                    "unitPriceExclTax": {"amountCents": 12_000, "currency": "EUR"},
                    "vatRateBp": 2000,
                }
            ],
        },
        headers={"Authorization": f"Bearer {operator_token}"},
    ).raise_for_status()
