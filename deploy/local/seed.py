"""Demo data, loaded once by `make run` through the public API (so it also
proves the flows work): an activated demo customer, a second customer left to
activate by hand, and the bootstrap operator."""

from __future__ import annotations

import time

import httpx

from deploy.local.seed_assets import seed_assets
from deploy.local.seed_client import (  # noqa: F401 - run.py and tests use them from here
    SeedError,
    activate,
    can_log_in,
    create_account,
    login,
    wait_for_link,
)

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
        for account in (DEMO_ACCOUNT, PENDING_ACCOUNT):
            create_account(client, operator, account)
        activate(client, operator, DEMO_ACCOUNT, MANAGER_PASSWORD)
        _seed_orders(client)
        _seed_billing(client, operator)
        _seed_fleet(client, operator)
        seed_assets(client, operator)


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


# ---- mobile fleet ----------------------------------------------------------------

DEMO_FLEET_LINES = 300
DEMO_PLANS = [
    {"code": "PRO_S", "name": "Pro S", "product": "Mobile", "monthlyCents": 1500, "vatBp": 2000},
    {"code": "PRO_M", "name": "Pro M", "product": "Mobile", "monthlyCents": 2500, "vatBp": 2000},
    {"code": "PRO_L", "name": "Pro L", "product": "Mobile", "monthlyCents": 4000, "vatBp": 2000},
    {
        "code": "DATA_SIM",
        "name": "Data SIM",
        "product": "Data SIM",
        "monthlyCents": 1200,
        "vatBp": 2000,
    },
]
DEMO_OPTIONS = [
    {
        "code": "DATA_5GB",
        "type": "OPTION_TYPE_DATA",
        "name": "Data 5 Go",
        "description": "5 Go de données par mois",
        "priceCents": 1000,
        "priceKind": "PRICE_KIND_MONTHLY",
        "vatBp": 2000,
    },
    {
        "code": "DATA_20GB",
        "type": "OPTION_TYPE_DATA",
        "name": "Data 20 Go",
        "description": "20 Go de données par mois",
        "priceCents": 2000,
        "priceKind": "PRICE_KIND_MONTHLY",
        "vatBp": 2000,
        "plans": ["PRO_M", "PRO_L"],
        "excludes": ["DATA_5GB"],
    },
    {
        "code": "ROAM_WORLD",
        "type": "OPTION_TYPE_ROAMING",
        "name": "Roaming Monde",
        "description": "Appels et données hors Europe",
        "priceCents": 1000,
        "priceKind": "PRICE_KIND_MONTHLY",
        "vatBp": 2000,
        "requiresOneOf": ["DATA_5GB", "DATA_20GB"],
    },
    {
        "code": "ROAM_EU_PASS",
        "type": "OPTION_TYPE_ROAMING",
        "name": "Pass Europe 7 jours",
        "description": "Une semaine d'appels et de données en Europe",
        "priceCents": 1500,
        "priceKind": "PRICE_KIND_ONE_OFF",
        "vatBp": 2000,
        "requiresOneOf": ["DATA_5GB", "DATA_20GB"],
    },
    {
        "code": "SMS_UNL",
        "type": "OPTION_TYPE_SMS",
        "name": "SMS illimités",
        "priceCents": 500,
        "priceKind": "PRICE_KIND_MONTHLY",
        "vatBp": 2000,
    },
    {
        "code": "VOICEMAIL_PRO",
        "type": "OPTION_TYPE_OTHER",
        "name": "Messagerie vocale pro",
        "priceCents": 200,
        "priceKind": "PRICE_KIND_MONTHLY",
        "vatBp": 2000,
    },
]
_FIRST = [
    "Alice",
    "Hugo",
    "Linh",
    "Sofia",
    "Karim",
    "Emma",
    "Lucas",
    "Nora",
    "Jules",
    "Inès",
    "Tom",
    "Chloé",
    "Yanis",
    "Léa",
    "Mehdi",
]
_LAST = [
    "Martin",
    "Bernard",
    "Nguyen",
    "Dubois",
    "Lambert",
    "Peeters",
    "Janssens",
    "Moreau",
    "Fontaine",
    "Leroy",
    "Claes",
    "Girard",
    "Mertens",
    "Roux",
    "Wouters",
    "Simon",
    "Maes",
    "Lefebvre",
    "Dupont",
    "Willems",
]


def _with_check_digit(body: str) -> str:
    """An ICCID: `body` and its Luhn check digit."""
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str((10 - total % 10) % 10)


def demo_fleet_file(count: int = DEMO_FLEET_LINES) -> bytes:
    """The demo customer's lines: plans, statuses and options spread the way a
    company's fleet is (most lines active on Pro M, a few suspended or prepaid)."""
    rows = ["Number;ICCID;User name;Customer number;Product;Plan;Status;Options"]
    for n in range(count):
        plan = ("PRO_M", "PRO_M", "PRO_S", "PRO_L", "DATA_SIM")[n % 5]
        product = "Data SIM" if plan == "DATA_SIM" else "Mobile"
        status = "SUSPENDED" if n % 37 == 5 else "PREPAID" if n % 23 == 7 else "ACTIVE"
        options = {
            "PRO_M": "DATA_5GB|VOICEMAIL_PRO",
            "PRO_S": "SMS_UNL",
            "PRO_L": "DATA_20GB|ROAM_WORLD",
            "DATA_SIM": "DATA_5GB",
        }[plan]
        user = f"{_FIRST[n % len(_FIRST)]} {_LAST[(n * 7) % len(_LAST)]}"
        customer = "C100001-M" if n % 4 else "C100001-D"
        number = f"+32 47{n // 100 % 10} {n % 100:02d} {(n * 37) % 100:02d} {(n * 53) % 100:02d}"
        iccid = _with_check_digit(f"893210{n:012d}")
        rows.append(f"{number};{iccid};{user};{customer};{product};{plan};{status};{options}")
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode()


def demo_usage_file(numbers: list[str], months: list[str]) -> bytes:
    rows = ["Number;Month;Voice minutes;SMS;Data MB;Out of bundle"]
    for m, month in enumerate(months):
        for n, number in enumerate(numbers):
            extra = (n * 7 + m * 3) % 41
            out_of_bundle = f"{extra * 1.75:.2f}".replace(".", ",") if extra > 30 else "0"
            rows.append(
                f"{number};{month};{(n * 13 + m) % 900};{(n * 5) % 300};"
                f"{(n * 97 + m * 11) % 9000};{out_of_bundle}"
            )
    return ("\r\n".join(rows) + "\r\n").encode()


def _seed_fleet(client: httpx.Client, operator_token: str) -> None:
    """The operator's catalogue, a fleet of a few hundred lines for the demo
    customer and two months of their consumption."""
    operator = {"Authorization": f"Bearer {operator_token}"}
    for plan in DEMO_PLANS:
        client.put(
            f"/v1/admin/fleet/plans/{plan['code']}", json=plan, headers=operator
        ).raise_for_status()
    for option in DEMO_OPTIONS:
        client.put(
            f"/v1/admin/fleet/options/{option['code']}", json=option, headers=operator
        ).raise_for_status()
    auth = {"Authorization": f"Bearer {login(client, MANAGER_EMAIL, MANAGER_PASSWORD)}"}
    entity_id = client.get("/v1/me", headers=auth).json()["currentEntity"]["id"]
    client.post(
        "/v1/admin/fleet/lines:import",
        params={"entityId": entity_id},
        content=demo_fleet_file(),
        headers={**operator, "Content-Type": "text/csv"},
    ).raise_for_status()
    numbers: list[str] = []
    page_token = ""
    while True:
        answer = client.get(
            "/v1/fleet/lines", params={"pageSize": 500, "pageToken": page_token}, headers=auth
        )
        answer.raise_for_status()
        numbers += [line["number"] for line in answer.json().get("lines", [])]
        page_token = answer.json().get("nextPageToken", "")
        if not page_token:
            break
    today = time.gmtime()
    months = []
    for back in (2, 1):
        year, month = today.tm_year, today.tm_mon - back
        if month < 1:
            year, month = year - 1, month + 12
        months.append(f"{year:04d}-{month:02d}")
    client.post(
        "/v1/admin/fleet/usage:import",
        params={"entityId": entity_id},
        content=demo_usage_file(numbers, months),
        headers={**operator, "Content-Type": "text/csv"},
    ).raise_for_status()
