"""Equipment maintenance through the gateway, as the customer guide tells it:
the operator loads the catalogue and a customer's park; the customer finds its
machines, adds one, asks for an intervention with a photo, for parts, for a
removal, and follows each request to its end; nobody else sees any of it."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from tests.support.api import Api, bearer, error_reason, field_violations
from tests.support.orders import wait_for

KARCHER = "KAR-HDS-8/18"
NILFISK = "NIL-SC450"
MODELS = {
    KARCHER: {
        "brand": "Kärcher",
        "name": "HDS 8/18",
        "parts": [
            {"code": "6.414-770.0", "label": "Filtre à carburant"},
            {"code": "4.767-017.0", "label": "Buse haute pression"},
        ],
    },
    NILFISK: {
        "brand": "Nilfisk",
        "name": "SC450",
        "parts": [{"code": "9100002", "label": "Brosse"}],
    },
}
HEADER = "Modèle;Référence;Nom;Site;Adresse;Code postal;Ville;Mise en service;Contrat;Statut"
PARK = [
    f"{KARCHER};HDS-0001;Nettoyeur atelier;Atelier;1 rue des Forges;69001;Lyon;2024-05-02;CT-77;",
    f"{KARCHER};HDS-0002;;Atelier;;;;;CT-77;EN PANNE",
    f"{NILFISK};SC-9001;Autolaveuse hall;Entrepôt;ZI Nord;69100;Villeurbanne;;;",
]
# A 1x1 PNG: the photo of the breakdown.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _park_file(lines: list[str]) -> bytes:
    return ("\ufeff" + "\r\n".join([HEADER, *lines]) + "\r\n").encode()


def _put_models(api: Api) -> None:
    for code, body in MODELS.items():
        answer = api.http.put(
            f"/v1/admin/equipment-models/{quote(code, safe='')}",
            json=body,
            headers=bearer(api.operator),
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["id"] == code


def _import(api: Api, data: bytes, entity_id: str):
    return api.http.post(
        "/v1/admin/equipment:import",
        params={"entityId": entity_id},
        content=data,
        headers={**bearer(api.operator), "Content-Type": "text/csv"},
    )


def _customer(api: Api) -> dict:
    account = api.new_account()
    return {**account, "token": api.activate(account)["accessToken"]}


@pytest.fixture()
def customer(api: Api) -> dict:
    _put_models(api)
    return _customer(api)


@pytest.fixture()
def park(api: Api, customer: dict) -> dict[str, str]:
    """The customer's imported park: reference -> machine id."""
    answer = _import(api, _park_file(PARK), customer["id"])
    assert answer.status_code == 200, answer.text
    listed = api.get("/v1/equipment", customer["token"]).json()["equipment"]
    return {machine["reference"]: machine["id"] for machine in listed}


def _references(api: Api, token: str, **params: str) -> list[str]:
    answer = api.get("/v1/equipment", token, params=params)
    assert answer.status_code == 200, answer.text
    return [machine["reference"] for machine in answer.json()["equipment"]]


def _move(api: Api, request_id: str, status: str, comment: str = "", planned_for: str = ""):
    body = {"status": f"SERVICE_REQUEST_STATUS_{status}", "comment": comment}
    if planned_for:
        body["plannedFor"] = planned_for
    return api.post(f"/v1/admin/service-requests/{request_id}:status", body, api.operator)


def _breakdown(api: Api, token: str, machine_id: str):
    return api.post(
        "/v1/service-requests",
        {
            "equipmentIds": [machine_id],
            "kind": "SERVICE_REQUEST_KIND_INTERVENTION",
            "interventionType": "INTERVENTION_TYPE_BREAKDOWN",
            "urgency": "URGENCY_HIGH",
            "message": "Fuite d'huile sous la pompe",
        },
        token,
    )


def test_the_operator_loads_a_park_and_the_customer_finds_and_adds_machines(
    api: Api, customer: dict
) -> None:
    answer = _import(api, _park_file(PARK), customer["id"])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"lines": 3, "created": 3, "updated": 0}
    token = customer["token"]
    assert _references(api, token) == ["SC-9001", "HDS-0002", "HDS-0001"]
    # Filtered by brand and model, found by a part of the reference.
    assert _references(api, token, brand="Kärcher", model="HDS 8/18") == ["HDS-0002", "HDS-0001"]
    assert _references(api, token, model=NILFISK) == ["SC-9001"]
    assert _references(api, token, q="0001") == ["HDS-0001"]
    machine = api.get("/v1/equipment", token, params={"q": "hds-0002"}).json()["equipment"][0]
    assert machine["name"] == "Kärcher HDS 8/18" and machine["modelId"] == KARCHER
    assert machine["status"] == "EQUIPMENT_STATUS_OUT_OF_ORDER"
    assert machine["site"]["name"] == "Atelier" and machine["site"]["address"]["city"] == "Lyon"

    models = api.get("/v1/equipment-models", token, params={"brand": "nilfisk"}).json()["models"]
    assert [m["id"] for m in models] == [NILFISK]
    model = api.get(f"/v1/equipment-models/{quote(KARCHER, safe='')}", token).json()
    assert [p["code"] for p in model["parts"]] == ["6.414-770.0", "4.767-017.0"]
    sites = api.get("/v1/sites", token).json()["sites"]
    assert [s["name"] for s in sites] == ["Atelier", "Entrepôt"]

    added = api.post(
        "/v1/equipment",
        {"modelId": NILFISK, "reference": "SC-9100", "siteId": sites[1]["id"]},
        token,
    )
    assert added.status_code == 201, added.text
    assert added.json()["name"] == "Nilfisk SC450" and added.json()["site"]["name"] == "Entrepôt"
    existing = api.get("/v1/equipment", token, params={"q": "HDS-0001"}).json()["equipment"][0]
    duplicate = api.post("/v1/equipment", {"modelId": NILFISK, "reference": "hds-0001"}, token)
    assert duplicate.status_code == 409, duplicate.text
    assert error_reason(duplicate) == "REFERENCE_IN_PARK"
    message = duplicate.json()["error"]["message"]
    assert "Nettoyeur atelier" in message and existing["id"] in message

    export = api.get("/v1/equipment:export", token, params={"site_id": sites[1]["id"]})
    assert export.status_code == 200, export.text
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Name", "Reference", "Brand", "Model"]
    assert [r[1] for r in rows[1:]] == ["SC-9001", "SC-9100"]

    # The same file again updates the machines it names.
    again = _import(api, _park_file(PARK[:1]), customer["id"])
    assert again.json() == {"lines": 1, "created": 0, "updated": 1}


def test_a_malformed_park_file_names_every_bad_line_and_writes_nothing(
    api: Api, customer: dict
) -> None:
    data = _park_file(
        [
            PARK[0],
            "TELEX-9;T-1;;;;;;;;",
            f"{KARCHER};;;;;;;2999-01-01;;",
            f"{NILFISK};SC-1;;;;;;;;DÉTRUITE",
            f"{KARCHER};hds-0001;;;;;;;;",
        ]
    )
    answer = _import(api, data, customer["id"])
    assert answer.status_code == 400, answer.text
    assert error_reason(answer) == "EQUIPMENT_FILE_INVALID"
    assert field_violations(answer) == {
        "line 4: reference": "is required",
        "line 4: commissionedOn": "must not be in the future",
        "line 5: status": "must be IN_SERVICE, OUT_OF_ORDER or UNDER_MAINTENANCE",
        "line 6: reference": "is already on line 2",
    }
    # Once the lines read well, the catalogue is checked: the unknown model named.
    unknown = _import(api, _park_file([PARK[0], "TELEX-9;T-1;;;;;;;;"]), customer["id"])
    assert unknown.status_code == 400, unknown.text
    assert field_violations(unknown) == {"line 3: model": "no model 'TELEX-9' in the catalogue"}
    assert _references(api, customer["token"]) == []
    assert api.get("/v1/sites", customer["token"]).json()["sites"] == []


def test_a_breakdown_with_a_photo_is_followed_to_done(
    api: Api, customer: dict, park: dict[str, str]
) -> None:
    token = customer["token"]
    machine_id = park["HDS-0001"]
    created = _breakdown(api, token, machine_id)
    assert created.status_code == 201, created.text
    request = created.json()
    assert request["reference"].startswith(f"SR-{datetime.now(UTC).year}-")
    assert request["status"] == "SERVICE_REQUEST_STATUS_RECEIVED"
    assert request["urgency"] == "URGENCY_HIGH" and request["equipmentIds"] == [machine_id]
    request_id = request["id"]

    photo = api.http.post(
        f"/v1/service-requests/{request_id}/attachments",
        params={"filename": "fuite pompe.png"},
        content=PNG,
        headers={**bearer(token), "Content-Type": "image/png"},
    )
    assert photo.status_code == 201, photo.text
    assert (
        photo.json()["contentType"] == "image/png" and photo.json()["filename"] == "fuite pompe.png"
    )
    download = api.get(f"/v1/service-requests/{request_id}/attachments/{photo.json()['id']}", token)
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "image/png" and download.content == PNG

    queue = api.get(
        "/v1/admin/service-requests", api.operator, params={"entityId": customer["id"]}
    ).json()["serviceRequests"]
    assert [(r["id"], r["entityId"]) for r in queue] == [(request_id, customer["id"])]

    visit = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    steps = [
        ("PLANNED", "Technicien prévu", visit),
        ("IN_PROGRESS", "Technicien sur place", ""),
        ("DONE", "Joint de pompe remplacé", ""),
    ]
    machine_statuses = []
    for status, comment, planned_for in steps:
        moved = _move(api, request_id, status, comment, planned_for)
        assert moved.status_code == 200, moved.text
        seen = api.get(f"/v1/service-requests/{request_id}", token).json()
        assert seen["status"] == f"SERVICE_REQUEST_STATUS_{status}" and seen["comment"] == comment
        assert seen["plannedFor"] == visit
        machine = api.get(f"/v1/equipment/{machine_id}", token).json()
        machine_statuses.append(machine["status"])
    assert machine_statuses == [
        "EQUIPMENT_STATUS_IN_SERVICE",
        "EQUIPMENT_STATUS_UNDER_MAINTENANCE",
        "EQUIPMENT_STATUS_IN_SERVICE",
    ]
    seen = api.get(f"/v1/service-requests/{request_id}", token).json()
    assert [(h["status"], h["comment"], h["plannedFor"]) for h in seen["history"]] == [
        ("SERVICE_REQUEST_STATUS_RECEIVED", "", ""),
        ("SERVICE_REQUEST_STATUS_PLANNED", "Technicien prévu", visit),
        ("SERVICE_REQUEST_STATUS_IN_PROGRESS", "Technicien sur place", ""),
        ("SERVICE_REQUEST_STATUS_DONE", "Joint de pompe remplacé", ""),
    ]
    assert [a["id"] for a in seen["attachments"]] == [photo.json()["id"]]

    # The interventions department got the request; the customer an e-mail at each step.
    def department() -> list[dict] | None:
        mails = api.messages("interventions@portail.localhost")
        return [m for m in mails if request["reference"] in m["subject"]] or None

    assert [m["template"] for m in wait_for(department, what="the department's e-mail")] == [
        "service_request_department"
    ]

    def customer_mails() -> list[dict] | None:
        mails = [
            m
            for m in api.messages(customer["managerEmail"])
            if m["template"] == "service_request_status_changed"
        ]
        return mails if len(mails) >= 3 else None

    assert len(wait_for(customer_mails, what="an e-mail per status")) == 3
    history = api.get(f"/v1/equipment/{machine_id}", token).json()["history"]
    assert [(h["kind"], h["id"]) for h in history] == [("SERVICE_REQUEST", request_id)]
    assert history[0]["description"].endswith(": done")

    # A done request moves no more, and takes no more photos.
    refused = _move(api, request_id, "PLANNED", "", visit)
    assert refused.status_code == 400 and error_reason(refused) == "STATUS_MOVE_REFUSED"
    assert "DONE" in refused.json()["error"]["message"]
    late = api.http.post(
        f"/v1/service-requests/{request_id}/attachments",
        content=PNG,
        headers={**bearer(token), "Content-Type": "image/png"},
    )
    assert late.status_code == 400 and error_reason(late) == "SERVICE_REQUEST_CLOSED"


def test_the_customer_asks_for_parts_of_its_machine(
    api: Api, customer: dict, park: dict[str, str]
) -> None:
    token = customer["token"]
    body = {
        "equipmentIds": [park["HDS-0001"], park["SC-9001"]],
        "kind": "SERVICE_REQUEST_KIND_PARTS",
        "parts": [
            {"partCode": "6.414-770.0", "quantity": 2, "equipmentId": park["HDS-0001"]},
            {"partCode": "9100002", "quantity": 1, "equipmentId": park["SC-9001"]},
        ],
    }
    created = api.post("/v1/service-requests", body, token)
    assert created.status_code == 201, created.text
    assert [(p["partCode"], p["label"], p["quantity"]) for p in created.json()["parts"]] == [
        ("6.414-770.0", "Filtre à carburant", 2),
        ("9100002", "Brosse", 1),
    ]
    bad = {
        **body,
        "parts": [
            {"partCode": "6.414-770.0", "quantity": 0},
            {"partCode": "NOPE", "quantity": 1, "equipmentId": park["SC-9001"]},
        ],
    }
    refused = api.post("/v1/service-requests", bad, token)
    assert refused.status_code == 400, refused.text
    assert set(field_violations(refused)) == {"parts[0].quantity"}
    bad["parts"][0]["quantity"] = 1
    refused = api.post("/v1/service-requests", bad, token)
    assert refused.status_code == 400, refused.text
    assert set(field_violations(refused)) == {"parts[0].equipmentId", "parts[1].partCode"}
    listed = api.get("/v1/service-requests", token, params={"kind": "SERVICE_REQUEST_KIND_PARTS"})
    assert [r["id"] for r in listed.json()["serviceRequests"]] == [created.json()["id"]]


def test_a_removed_machine_leaves_the_park_but_keeps_its_history(
    api: Api, customer: dict, park: dict[str, str]
) -> None:
    token = customer["token"]
    machine_id = park["SC-9001"]
    asked = api.delete(f"/v1/equipment/{machine_id}", token)
    assert asked.status_code == 202, asked.text
    removal = asked.json()
    assert removal["kind"] == "SERVICE_REQUEST_KIND_REMOVAL"
    assert removal["equipmentIds"] == [machine_id]
    again = api.delete(f"/v1/equipment/{machine_id}", token)
    assert again.status_code == 400 and error_reason(again) == "REMOVAL_ALREADY_OPEN"

    for status in ("IN_PROGRESS", "DONE"):
        assert _move(api, removal["id"], status, "Machine reprise").status_code == 200
    assert "SC-9001" not in _references(api, token)
    removed = api.get("/v1/equipment", token, params={"includeRemoved": "true", "q": "SC-9001"})
    [machine] = removed.json()["equipment"]
    assert machine["status"] == "EQUIPMENT_STATUS_REMOVED"
    detail = api.get(f"/v1/equipment/{machine_id}", token).json()
    assert [h["id"] for h in detail["history"]] == [removal["id"]]
    gone = api.delete(f"/v1/equipment/{machine_id}", token)
    assert gone.status_code == 400 and error_reason(gone) == "EQUIPMENT_REMOVED"


def test_another_entity_gets_404_on_machines_requests_and_attachments(
    api: Api, customer: dict, park: dict[str, str]
) -> None:
    token = customer["token"]
    machine_id = park["HDS-0001"]
    request_id = _breakdown(api, token, machine_id).json()["id"]
    photo = api.http.post(
        f"/v1/service-requests/{request_id}/attachments",
        content=PNG,
        headers={**bearer(token), "Content-Type": "image/png"},
    ).json()
    other = _customer(api)["token"]
    for answer in (
        api.get(f"/v1/equipment/{machine_id}", other),
        api.delete(f"/v1/equipment/{machine_id}", other),
        _breakdown(api, other, machine_id),
        api.get(f"/v1/service-requests/{request_id}", other),
        api.post(f"/v1/service-requests/{request_id}:cancel", {}, other),
        api.get(f"/v1/service-requests/{request_id}/attachments/{photo['id']}", other),
        api.http.post(
            f"/v1/service-requests/{request_id}/attachments",
            content=PNG,
            headers={**bearer(other), "Content-Type": "image/png"},
        ),
    ):
        assert answer.status_code == 404, answer.text
    assert _references(api, other) == []
    assert api.get("/v1/service-requests", other).json()["serviceRequests"] == []
    # The owner still withdraws its request.
    cancelled = api.post(f"/v1/service-requests/{request_id}:cancel", {"reason": "Réparé"}, token)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "SERVICE_REQUEST_STATUS_CANCELLED"
