"""Order files through the gateway: valid CSV is read as RFC 4180 says (quoted
separators, trailing empty cells), control characters are line errors; the
template comes in the account's language and imports back; every problem of a
file is listed (`:check`, a failed import's errors.csv) while an error status
lists the first 1,000; an import's file is deleted once the import is over."""

from __future__ import annotations

import csv
import io
import time

from sqlalchemy import create_engine, make_url, select, text

from deploy.local.suite import Suite
from portal_runtime.config import load_settings
from tests.integration import test_ordering
from tests.integration.conftest import TEST_SYNC_IMPORT_MAX_LINES
from tests.support.api import Api, bearer, csv_file, field_violations

customer = test_ordering.customer  # the fixture: a fresh account, activated
_point = test_ordering._point


def _post(api: Api, path: str, token: str, data: bytes):
    headers = {**bearer(token), "Content-Type": "text/csv"}
    return api.http.post(path, content=data, headers=headers)


def _table(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))


def _error_info(answer) -> dict:
    for detail in answer.json()["error"]["details"]:
        if detail["@type"].endswith("google.rpc.ErrorInfo"):
            return detail
    raise AssertionError(answer.text[:500])


def _finished(api: Api, token: str, job: dict) -> dict:
    deadline = time.monotonic() + 120
    while job["state"] == "ORDER_IMPORT_STATE_RUNNING":
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = api.get(f"/v1/order-imports/{job['id']}", token).json()
    return job


def _bad_emails(count: int) -> bytes:
    rows = [[f"B-{i:05d}", "Nom", "Jean", "bad@", "", "HQ", "oui", "30"] for i in range(count)]
    return csv_file(rows)


# ---- A: valid CSV ------------------------------------------------------------------------
def test_quoted_separators_and_trailing_empty_cells_import(api: Api, customer: dict):
    token = customer["token"]
    _point(api, token)
    header = "Employee number,Last name,First name,Email,Birth date,Delivery point code,New card,"
    comma = (
        f"{header}Load amount,\r\n"
        'E-1,"Dupont, Jr",Léa,,1990-01-02,HQ,oui,"50,00",\r\n'
        'E-2,Martin,Paul,,,HQ,non,"1 000,50",,\r\n'
    ).encode()
    answer = _post(api, "/v1/orders:import", token, comma)
    assert answer.status_code == 201, answer.text
    assert [line["loadAmountCents"] for line in answer.json()["order"]["lines"]] == [
        "5000",
        "100050",
    ]
    semicolon = csv_file([["E-3", "Petit", "Luc", "", "", "HQ", "", "10", ""]]).replace(
        b"Load amount\r\n", b"Load amount;\r\n"
    )
    assert _post(api, "/v1/orders:import", token, semicolon).status_code == 201
    extra = csv_file([["E-4", "Petit", "Luc", "", "", "HQ", "", "10", "", "surplus"]])
    refused = _post(api, "/v1/orders:import", token, extra)
    assert refused.status_code == 400
    assert field_violations(refused) == {"line 2: columns": "has 10 columns; the header has 8"}


def test_a_control_character_is_a_line_error(api: Api, customer: dict):
    token = customer["token"]
    _point(api, token)
    data = csv_file(
        [
            ["E-1", "Du\x00pont", "Léa", "", "", "HQ", "oui", "50"],
            ["E-2", "Martin", '"Pa\x1bul"', "", "", "HQ", "oui", "50"],
            ["E-3", '"Mar\ntin"', "Paul", "", "", "HQ", "oui", "50"],
            ["E-4", "Martin", "Paul", "", "", "HQ", "oui", "abc"],
        ]
    )
    answer = _post(api, "/v1/orders:import", token, data)
    assert answer.status_code == 400, answer.text
    assert field_violations(answer) == {
        "line 2: lastName": "must not contain control characters",
        "line 3: firstName": "must not contain control characters",
        "line 4: lastName": "must not contain control characters",
        "line 6: loadAmount": "is not a number (e.g. 50 or 50,00)",
    }
    assert api.get("/v1/beneficiaries", token).json()["beneficiaries"] == []


# ---- B: the template in the account's language --------------------------------------
def test_the_template_comes_in_the_account_language_and_imports_back(api: Api, customer: dict):
    french = customer["token"]
    rows = _table(api.get("/v1/orders/template.csv", french))
    assert rows[0] == [
        "Matricule", "Nom", "Prénom", "E-mail", "Date de naissance", "Code point de livraison",
        "Nouvelle carte", "Montant",
    ]  # fmt: skip
    assert rows[1][-2:] == ["oui", "50,00"]
    english = api.activate(api.new_account(language="en"))["accessToken"]
    deadline = time.monotonic() + 20  # once ordering has heard of the account
    while _table(api.get("/v1/orders/template.csv", english))[0][0] != "Employee number":
        assert time.monotonic() < deadline, "the English account still gets French headers"
        time.sleep(0.2)
    assert _table(api.get("/v1/orders/template.csv", english))[1][-2:] == ["yes", "50.00"]
    asked = api.get("/v1/orders/template.csv", english, params={"language": "fr"})
    assert _table(asked)[0][0] == "Matricule"
    assert api.get("/v1/orders/template.csv", french, params={"language": "de"}).status_code == 400
    for token in (french, english):
        _point(api, token)
        template = api.get("/v1/orders/template.csv", token).content
        assert _table(_post(api, "/v1/orders:check", token, template)) == [
            ["line", "column", "problem"]
        ]
        imported = _post(api, "/v1/orders:import", token, template)
        assert imported.status_code == 201, imported.text
        assert imported.json()["order"]["lines"][0]["loadAmountCents"] == "5000"


# ---- C: every problem ----------------------------------------------------------------
def test_an_error_status_lists_the_first_1000_problems_and_the_total(api: Api, customer: dict):
    token = customer["token"]
    _point(api, token)
    count = TEST_SYNC_IMPORT_MAX_LINES  # imported at once; 7 problems a line
    rows = [["E 1", "", "", "bad@", "1990-13-45", "HQ", "peut-être", "x"] for _ in range(count)]
    answer = _post(api, "/v1/orders:import", token, csv_file(rows))
    assert answer.status_code == 400, answer.text[:500]
    assert len(field_violations(answer)) == 1_000
    assert _error_info(answer)["metadata"]["violationsTotal"] == str(7 * count)
    table = _table(_post(api, "/v1/orders:check", token, csv_file(rows)))
    assert len(table) == 1 + 7 * count


def test_every_problem_of_a_file_with_3000_bad_emails(api: Api, customer: dict):
    token = customer["token"]
    _point(api, token)
    data = _bad_emails(3_000)
    table = _table(_post(api, "/v1/orders:check", token, data))
    assert table[0] == ["line", "column", "problem"] and len(table) == 3_001
    assert table[1] == ["2", "email", "is not a valid e-mail address"]
    assert table[-1][:2] == ["3001", "email"]
    multipart = api.http.post(
        "/v1/orders:check",
        headers=bearer(token),
        files={"file": ("order.csv", data, "text/csv")},
    )
    assert _table(multipart) == table
    assert api.get("/v1/beneficiaries", token).json()["beneficiaries"] == []
    # Above the suite's sync limit: a background import, which fails.
    answer = _post(api, "/v1/orders:import", token, data)
    assert answer.status_code == 201, answer.text[:500]
    job = _finished(api, token, answer.json()["job"])
    assert job["state"] == "ORDER_IMPORT_STATE_FAILED"
    assert (len(job["errors"]), job["errorsTotal"]) == (1_000, 3_000)
    assert job["errors"][0] == {"field": "line 2: email", "description": table[1][2]}
    errors = _table(api.get(f"/v1/order-imports/{job['id']}/errors.csv", token))
    assert errors == table
    other = api.activate(api.new_account())["accessToken"]
    assert api.get(f"/v1/order-imports/{job['id']}/errors.csv", other).status_code == 404
    assert api.get("/v1/orders", token).json()["orders"] == []


# ---- D: the file goes once imported ----------------------------------------------------
def _ordering_engine(suite: Suite):
    url = make_url(load_settings("ordering", suite.env).database_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url)


def test_the_file_is_deleted_once_the_import_succeeded(api: Api, suite: Suite, customer: dict):
    token = customer["token"]
    _point(api, token)
    count = TEST_SYNC_IMPORT_MAX_LINES * 3
    rows = [[f"F-{i:05d}", "Nom", "Jean", "", "", "HQ", "oui", "30"] for i in range(count)]
    answer = _post(api, "/v1/orders:import", token, csv_file(rows))
    assert answer.status_code == 201, answer.text[:500]
    job = _finished(api, token, answer.json()["job"])
    assert job["state"] == "ORDER_IMPORT_STATE_SUCCEEDED", job
    engine = _ordering_engine(suite)
    try:
        with engine.connect() as conn:
            query = select(text("file IS NULL")).select_from(text("order_imports"))
            deleted = conn.execute(query.where(text("id = :id")), {"id": job["id"]}).scalar()
    finally:
        engine.dispose()
    assert deleted
