"""Demo data of the assets service, loaded by `make run` through the public API:
a maintenance customer with a park of about fifty machines, open service
requests and quotes, and a parking customer with low-usage contracts and two
closed months of exits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx

from deploy.local.seed_client import activate, create_account, login

MAINTENANCE_EMAIL = "atelier@boulangeries-martin.example"
MAINTENANCE_PASSWORD = "Martin-Demo-2026!"  # noqa: S105 - documented demo value
MAINTENANCE_ACCOUNT = {
    "name": "Boulangeries Martin",
    "clientNumber": "C200001",
    "contractNumber": "MAINT-2026-0001",
    "contractLabel": "Contrat de maintenance",
    "language": "fr",
    "unlockRule": "UNLOCK_RULE_UNLOCKED",
    "manager": {"email": MAINTENANCE_EMAIL, "firstName": "Claire", "lastName": "Martin"},
}
PARKING_EMAIL = "francois.durand@example.com"
PARKING_PASSWORD = "Durand-Demo-2026!"  # noqa: S105 - documented demo value
PARKING_ACCOUNT = {
    "name": "François Durand",
    "clientNumber": "CLT013261",
    "contractNumber": "15CTCARD125",
    "contractLabel": "Stationnement résident",
    "language": "fr",
    "unlockRule": "UNLOCK_RULE_UNLOCKED",
    "manager": {"email": PARKING_EMAIL, "firstName": "François", "lastName": "Durand"},
}

DEMO_MODELS = [
    (
        "KAR-HDS-8",
        "Kärcher",
        "HDS 8/18-4 C",
        [
            ("PMP-01", "Pompe haute pression"),
            ("BUS-02", "Buse rotative"),
            ("FLX-03", "Flexible 10 m"),
        ],
    ),
    (
        "BOS-GSB-18",
        "Bosch",
        "GSB 18V-55",
        [("BAT-18", "Batterie 18 V"), ("MND-13", "Mandrin 13 mm")],
    ),
    ("NIL-SC-351", "Nilfisk", "SC351", [("BRS-35", "Brosse"), ("RCL-35", "Raclette")]),
    (
        "MAK-DHR-243",
        "Makita",
        "DHR243",
        [("BAL-24", "Balais carbone"), ("MND-SDS", "Mandrin SDS+")],
    ),
    (
        "HUS-K770",
        "Husqvarna",
        "K 770",
        [("DSQ-350", "Disque diamant 350 mm"), ("FLT-77", "Filtre à air")],
    ),
]
DEMO_SITES = [
    ("Fournil central", "12 rue des Moulins", "69003", "Lyon"),
    ("Boutique Bellecour", "4 place Bellecour", "69002", "Lyon"),
    ("Entrepôt Vénissieux", "88 avenue de la République", "69200", "Vénissieux"),
]
DEMO_MACHINES = 50


def demo_park_file(count: int = DEMO_MACHINES) -> bytes:
    rows = ["Model;Reference;Name;Site;Address;Postal code;City;Commissioned on;Contract;Status"]
    for n in range(count):
        code, brand, model, _ = DEMO_MODELS[n % len(DEMO_MODELS)]
        site, street, postal, city = DEMO_SITES[n % len(DEMO_SITES)]
        status = "OUT_OF_ORDER" if n % 17 == 3 else "IN_SERVICE"
        commissioned = date(2019 + n % 6, 1 + n % 12, 1 + n % 27).isoformat()
        rows.append(
            f"{code};SN-{n + 1:05d};{brand} {model} n°{n + 1};{site};{street};{postal};{city};"
            f"{commissioned};{MAINTENANCE_ACCOUNT['contractNumber']};{status}"
        )
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _entity_id(client: httpx.Client, token: str) -> str:
    return client.get("/v1/me", headers=_bearer(token)).json()["currentEntity"]["id"]


def seed_assets(client: httpx.Client, operator_token: str) -> None:
    for account, password in (
        (MAINTENANCE_ACCOUNT, MAINTENANCE_PASSWORD),
        (PARKING_ACCOUNT, PARKING_PASSWORD),
    ):
        create_account(client, operator_token, account)
        activate(client, operator_token, account, password)
    _seed_maintenance(client, operator_token)
    _seed_parking(client, operator_token)


def _seed_maintenance(client: httpx.Client, operator_token: str) -> None:
    operator = _bearer(operator_token)
    for code, brand, name, parts in DEMO_MODELS:
        client.put(
            f"/v1/admin/equipment-models/{code}",
            json={
                "brand": brand,
                "name": name,
                "parts": [{"code": c, "label": label} for c, label in parts],
            },
            headers=operator,
        ).raise_for_status()
    token = login(client, MAINTENANCE_EMAIL, MAINTENANCE_PASSWORD)
    entity_id = _entity_id(client, token)
    client.post(
        "/v1/admin/equipment:import",
        params={"entityId": entity_id},
        content=demo_park_file(),
        headers={**operator, "Content-Type": "text/csv"},
    ).raise_for_status()
    machines = client.get("/v1/equipment", params={"pageSize": 100}, headers=_bearer(token)).json()[
        "equipment"
    ]
    if client.get("/v1/service-requests", headers=_bearer(token)).json().get("serviceRequests"):
        return  # an earlier run made them
    breakdown = client.post(
        "/v1/service-requests",
        json={
            "equipmentIds": [machines[0]["id"]],
            "kind": "SERVICE_REQUEST_KIND_INTERVENTION",
            "interventionType": "INTERVENTION_TYPE_BREAKDOWN",
            "urgency": "URGENCY_HIGH",
            "message": "Le nettoyeur ne monte plus en pression depuis ce matin.",
        },
        headers=_bearer(token),
    )
    breakdown.raise_for_status()
    client.post(
        f"/v1/admin/service-requests/{breakdown.json()['id']}:status",
        json={
            "status": "SERVICE_REQUEST_STATUS_PLANNED",
            "plannedFor": (date.today() + timedelta(days=3)).isoformat(),
            "comment": "Technicien prévu en matinée.",
        },
        headers=operator,
    ).raise_for_status()
    client.post(
        "/v1/service-requests",
        json={
            "equipmentIds": [machines[1]["id"]],
            "kind": "SERVICE_REQUEST_KIND_PARTS",
            "parts": [{"partCode": "BAT-18", "quantity": 2}],
            "message": "Deux batteries de rechange, merci.",
        },
        headers=_bearer(token),
    ).raise_for_status()
    valid_until = (date.today() + timedelta(days=30)).isoformat()
    for title, lines in (
        (
            "Remplacement pompe haute pression",
            [("Pompe haute pression PMP-01", 1, 48_900), ("Main d'œuvre (heure)", 2, 6_500)],
        ),
        ("Contrat d'entretien préventif 2027", [("Visite préventive", 4, 12_000)]),
    ):
        client.post(
            "/v1/admin/quotes",
            json={
                "entityId": entity_id,
                "title": title,
                "validUntil": valid_until,
                "equipmentId": machines[0]["id"],
                "lines": [
                    {
                        "label": label,
                        "quantity": quantity,
                        "unitPriceExclTax": {"amountCents": cents, "currency": "EUR"},
                        "vatRateBp": 2000,
                    }
                    for label, quantity, cents in lines
                ],
            },
            headers=operator,
        ).raise_for_status()


def _months_back(count: int) -> list[str]:
    today = datetime.now(UTC).date()
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(f"{year:04d}-{month:02d}")
    return sorted(months)


def _exits_file(month: str, badges: list[tuple[str, int]]) -> bytes:
    """`count` exits for each badge, spread over the month's first days."""
    rows = ["Badge;Exit;Car park"]
    for badge, count in badges:
        for n in range(count):
            rows.append(
                f"{badge};{month}-{1 + n % 27:02d} {7 + n % 12:02d}:{(n * 7) % 60:02d};Cardinet"
            )
    return ("\r\n".join(rows) + "\r\n").encode()


def _seed_parking(client: httpx.Client, operator_token: str) -> None:
    operator = _bearer(operator_token)
    token = login(client, PARKING_EMAIL, PARKING_PASSWORD)
    entity_id = _entity_id(client, token)
    start = (datetime.now(UTC).date().replace(day=1) - timedelta(days=120)).isoformat()
    contracts = [
        (
            "15CTCARD125",
            "PARKING_CONTRACT_TYPE_LOW_USAGE_RESIDENT",
            ["AB123CD"],
            ["B-100125"],
            9_000,
            10,
            250,
        ),
        (
            "15CTCARD126",
            "PARKING_CONTRACT_TYPE_LOW_USAGE_RESIDENT",
            ["EF456GH"],
            ["B-100126"],
            9_000,
            10,
            250,
        ),
        ("15CTCARD127", "PARKING_CONTRACT_TYPE_MOTORCYCLE", ["GA789MO"], ["B-100127"], 4_500, 0, 0),
    ]
    for number, kind, plates, badges, monthly, included, extra in contracts:
        body = {
            "entityId": entity_id,
            "carPark": "Cardinet",
            "type": kind,
            "startDate": start,
            "plates": plates,
            "badges": badges,
            "monthlyPrice": {"amountCents": monthly, "currency": "EUR"},
            "includedExits": included,
            "vatRateBp": 2000,
        }
        if extra:
            body["extraExitPrice"] = {"amountCents": extra, "currency": "EUR"}
        client.put(
            f"/v1/admin/parking/contracts/{number}", json=body, headers=operator
        ).raise_for_status()
    for index, month in enumerate(_months_back(2)):
        exits = [("B-100125", 14 + index * 3), ("B-100126", 8), ("B-100127", 20)]
        client.post(
            "/v1/admin/parking/exits:import",
            params={"month": month},
            content=_exits_file(month, exits),
            headers={**operator, "Content-Type": "text/csv"},
        ).raise_for_status()
