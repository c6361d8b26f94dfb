"""Operators' bulk imports through the gateway: a catalogue of models (imported,
then again with a part removed; a malformed file refused naming every bad line,
nothing written) and a new customer's parking contracts (listed by the
customer; a badge of another contract refused naming it; nobody else sees
them)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.api import Api, bearer, error_reason, field_violations

MODELS_HEADER = "Code modèle;Marque;Modèle;Code pièce;Libellé pièce"
CONTRACTS_HEADER = (
    "Number;Car park;Type;Start date;Plates;Badges;Monthly price;Included exits;"
    "Extra exit price;VAT rate"
)


def _file(header: str, lines: list[str]) -> bytes:
    return ("\ufeff" + "\r\n".join([header, *lines]) + "\r\n").encode()


def _post_file(api: Api, path: str, data: bytes, **params: str):
    return api.http.post(
        path,
        params=params,
        content=data,
        headers={**bearer(api.operator), "Content-Type": "text/csv"},
    )


def _customer(api: Api) -> dict[str, Any]:
    account = api.new_account()
    return {**account, "token": api.activate(account)["accessToken"]}


@pytest.fixture()
def customer(api: Api) -> dict[str, Any]:
    return _customer(api)


@pytest.fixture()
def stranger(api: Api) -> dict[str, Any]:
    return _customer(api)


def _model(api: Api, token: str, code: str):
    return api.get(f"/v1/equipment-models/{quote(code, safe='')}", token)


def test_a_catalogue_is_imported_then_replaced_model_by_model(
    api: Api, customer: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    pump, washer = f"POMP-{tag}", f"LAV-{tag}"
    catalogue = [
        f"{pump};Grundfos;CR 10;P-1;Garniture mécanique",
        f"{pump};Grundfos;CR 10;P-2;Roue",
        f"{pump};Grundfos;CR 10;P-3;Joint",
        f"{washer};Kärcher;HD 5/15;;",
    ]
    first = _post_file(api, "/v1/admin/equipment-models:import", _file(MODELS_HEADER, catalogue))
    assert first.status_code == 200, first.text
    assert first.json() == {"lines": 4, "created": 2, "updated": 0}
    token = customer["token"]
    read = _model(api, token, pump).json()
    assert (read["brand"], read["name"]) == ("Grundfos", "CR 10")
    assert [(p["code"], p["label"]) for p in read["parts"]] == [
        ("P-1", "Garniture mécanique"), ("P-2", "Roue"), ("P-3", "Joint"),
    ]  # fmt: skip
    assert _model(api, token, washer).json().get("parts", []) == []

    # Again without P-2: the pump's parts list is the file's, whole.
    again = _post_file(
        api,
        "/v1/admin/equipment-models:import",
        _file(MODELS_HEADER, [catalogue[0], catalogue[2], catalogue[3]]),
    )
    assert again.status_code == 200, again.text
    assert again.json() == {"lines": 3, "created": 0, "updated": 2}
    read = _model(api, token, pump).json()
    assert [p["code"] for p in read["parts"]] == ["P-1", "P-3"]


def test_a_malformed_catalogue_names_every_bad_line_and_writes_nothing(
    api: Api, customer: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    code = f"BAD-{tag}"
    data = _file(
        MODELS_HEADER,
        [
            f"{code};Grundfos;CR 10;P-1;Roue",
            f"{code};Grundfos;CR 15;P-2;Joint",  # line 3: another name
            f"{code};Grundfos;CR 10;p-1;Roue",  # line 4: P-1 again
            f"{code}-2;;Modèle;;",  # line 5: no brand
            f"{code}-3;Wilo;Stratos;X-1;",  # line 6: a part without label
        ],
    )
    refused = _post_file(api, "/v1/admin/equipment-models:import", data)
    assert refused.status_code == 400, refused.text
    assert error_reason(refused) == "MODELS_FILE_INVALID"
    assert field_violations(refused) == {
        "line 3: model": f"must be 'CR 10', the name of model {code} on line 2",
        "line 4: partCode": f"P-1 is already a part of model {code} on line 2",
        "line 5: brand": "is required",
        "line 6: partLabel": "is required",
    }
    for written in (code, f"{code}-2", f"{code}-3"):
        assert _model(api, customer["token"], written).status_code == 404


def test_a_customers_contracts_are_imported_and_seen_by_it_only(
    api: Api, customer: dict[str, Any], stranger: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex[:8].upper()
    low, resident = f"LU-{tag}", f"RES-{tag}"
    lines = [
        f"{low};Cardinet;LOW_USAGE_RESIDENT;2026-01-01;aa-111-aa;b-{tag}-1;59,90;10;2,50;20",
        f"{resident};Cardinet;RESIDENT;01/02/2026;BB-222-BB|CC 333 CC;B{tag}2;120;;;5,5",
    ]
    done = _post_file(
        api,
        "/v1/admin/parking/contracts:import",
        _file(CONTRACTS_HEADER, lines),
        entityId=customer["id"],
    )
    assert done.status_code == 200, done.text
    assert done.json() == {"lines": 2, "created": 2, "updated": 0}
    listed = api.get("/v1/parking/contracts", customer["token"]).json()["contracts"]
    mine = {c["number"]: c for c in listed}
    assert sorted(mine) == sorted([low, resident])
    assert mine[low]["type"] == "PARKING_CONTRACT_TYPE_LOW_USAGE_RESIDENT"
    assert (mine[low]["plates"], mine[low]["badges"]) == (["AA111AA"], [f"B{tag}1"])
    assert mine[low]["monthlyPrice"]["amountCents"] == "5990"
    assert mine[low]["extraExitPrice"]["amountCents"] == "250"
    assert (mine[low]["includedExits"], mine[low]["vatRateBp"]) == (10, 2000)
    assert (mine[resident]["startDate"], mine[resident]["vatRateBp"]) == ("2026-02-01", 550)
    assert mine[resident]["plates"] == ["BB222BB", "CC333CC"]

    # A badge of the customer's contract, in another customer's file: refused,
    # naming the contract holding it; nothing of that file written.
    taken = _post_file(
        api,
        "/v1/admin/parking/contracts:import",
        _file(
            CONTRACTS_HEADER,
            [
                f"OTHER-{tag};Opéra;BUSINESS;2026-03-01;DD444DD;B{tag}9;89;;;20",
                f"OTHER2-{tag};Opéra;BUSINESS;2026-03-01;EE555EE;B{tag}8|B-{tag}-2;89;;;20",
            ],
        ),
        entityId=stranger["id"],
    )
    assert taken.status_code == 400, taken.text
    assert error_reason(taken) == "CONTRACTS_FILE_INVALID"
    assert field_violations(taken) == {"line 3: badges[1]": f"B{tag}2 is on contract {resident}"}
    other = stranger["token"]
    assert api.get("/v1/parking/contracts", other).json().get("contracts", []) == []
    assert api.get(f"/v1/parking/contracts/{mine[low]['id']}", other).status_code == 404

    # The customer's file again: a known number replaces its contract.
    replaced = _post_file(
        api,
        "/v1/admin/parking/contracts:import",
        _file(CONTRACTS_HEADER, [lines[0].replace(";10;", ";12;")]),
        entityId=customer["id"],
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json() == {"lines": 1, "created": 0, "updated": 1}
    read = api.get(f"/v1/parking/contracts/{mine[low]['id']}", customer["token"]).json()
    assert read["includedExits"] == 12
