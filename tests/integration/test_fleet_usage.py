"""Operators import a month's consumption; the customer reads it per line and
month and finds the lines over a threshold; the fleet list exports as CSV and
XLSX (formula cells neutralised) with the screen's filters."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from tests.support.api import Api, bearer, error_reason, field_violations
from tests.support.fleet import fleet_customer, import_lines, load_catalogue
from tests.unit.fleet.helpers import line_row

ROWS = [
    line_row("0470 10 00 01", 1001, "Ada Lovelace"),
    line_row("0470 10 00 02", 1002, '=HYPERLINK("http://evil")', plan="Business L"),
    line_row("0470 10 00 03", 1003, "Carla Diaz", status="SUSPENDED"),
]
USAGE = (
    "Number;Month;Voice minutes;SMS;Data MB;Out of bundle\r\n"
    "0470 10 00 01;2026-10;120;30;2048;0\r\n"
    "+32470100002;2026-10;900;12;9000;42,50\r\n"
    "0470100003;2026-10;5;0;10;0\r\n"
    "0470 10 00 01;2026-11;200;40;4096;3,10\r\n"
)


@pytest.fixture()
def customer(api: Api) -> dict[str, Any]:
    load_catalogue(api)
    account = fleet_customer(api)
    import_lines(api, account["id"], ROWS)
    return account


def _import_usage(api: Api, entity_id: str, text: str):
    return api.http.post(
        "/v1/admin/fleet/usage:import",
        params={"entityId": entity_id},
        content=text.encode(),
        headers={**bearer(api.operator), "Content-Type": "text/csv"},
    )


def _usage(api: Api, token: str, **params: str) -> list[tuple[str, str, str]]:
    answer = api.get("/v1/fleet/usage", token, params=params)
    assert answer.status_code == 200, answer.text
    return [
        (u["nationalNumber"], u["month"], u.get("outOfBundleCents", "0"))
        for u in answer.json().get("usage", [])
    ]


def test_usage_imported_then_read_per_month_and_threshold(api: Api, customer: dict) -> None:
    malformed = USAGE + "0470 10 00 01;13-2026;x;1;1;-2\r\n"
    refused = _import_usage(api, customer["id"], malformed)
    assert refused.status_code == 400, refused.text
    assert error_reason(refused) == "USAGE_FILE_INVALID"
    assert set(field_violations(refused)) == {
        "line 6: month",
        "line 6: voiceMinutes",
        "line 6: outOfBundle",
    }
    unknown = _import_usage(api, customer["id"], USAGE + "0470 99 99 99;2026-10;1;1;1;0\r\n")
    assert unknown.status_code == 400, unknown.text
    assert set(field_violations(unknown)) == {"line 6: number"}
    assert _usage(api, customer["token"]) == []

    imported = _import_usage(api, customer["id"], USAGE)
    assert imported.status_code == 200, imported.text
    assert imported.json()["lines"] == 4 and imported.json().get("replaced", 0) == 0
    token = customer["token"]
    assert _usage(api, token, month="2026-10") == [
        ("0470 10 00 01", "2026-10", "0"),
        ("0470 10 00 02", "2026-10", "4250"),
        ("0470 10 00 03", "2026-10", "0"),
    ]
    assert _usage(api, token, minOutOfBundleCents="300") == [
        ("0470 10 00 01", "2026-11", "310"),
        ("0470 10 00 02", "2026-10", "4250"),
    ]
    line_id = api.get("/v1/fleet/lines", token, params={"q": "Ada"}).json()["lines"][0]["id"]
    assert [m for _, m, _ in _usage(api, token, lineId=line_id)] == ["2026-11", "2026-10"]
    # Imported again: replaced, not doubled.
    again = _import_usage(api, customer["id"], USAGE)
    assert again.json()["replaced"] == 4
    assert len(_usage(api, token)) == 4
    assert field_violations(api.get("/v1/fleet/usage", token, params={"month": "2026-13"}))
    other = fleet_customer(api)["token"]
    assert _usage(api, other) == []
    assert _usage(api, other, lineId=line_id) == []


def test_the_filtered_list_exports_as_csv_and_xlsx(api: Api, customer: dict) -> None:
    token = customer["token"]
    csv_answer = api.get("/v1/fleet/lines:export", token, params={"plan": "BUS_M"})
    assert csv_answer.status_code == 200, csv_answer.text
    assert csv_answer.headers["content-type"].startswith("text/csv")
    text = csv_answer.content.decode("utf-8-sig")
    header, *rows = [line.split(";") for line in text.strip().split("\r\n")]
    assert header[:3] == ["Number", "International number", "SIM"]
    assert [row[0] for row in rows] == ["0470 10 00 01", "0470 10 00 03"]

    xlsx = api.get("/v1/fleet/lines:export", token, params={"format": "xlsx"})
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    cells = list(sheet.iter_rows(values_only=True))
    assert len(cells) == 4
    users = [row[3] for row in cells[1:]]
    # The formula-like user name is text, never a formula.
    assert '\'=HYPERLINK("http://evil")' in users
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row if cell.value)
    bad = api.get("/v1/fleet/lines:export", token, params={"format": "pdf"})
    assert bad.status_code == 400 and set(field_violations(bad)) == {"format"}


def test_plans_of_a_product(api: Api, customer: dict) -> None:
    plans = api.get("/v1/fleet/plans", customer["token"], params={"product": "Mobile"}).json()
    assert [p["code"] for p in plans["plans"]] == ["BUS_L", "BUS_M"]
