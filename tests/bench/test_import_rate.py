"""Order-file import rate through the gateway (10k lines at once, 100k as a
background job) next to a plain bulk insert of the same rows into a SQLite
table, measured in the same run."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert

from tests.bench.conftest import record
from tests.support.api import Api, bearer, csv_file


def _rows(count: int) -> list[list[str]]:
    return [
        [f"B-{i:06d}", "Nom", "Prénom", f"b{i}@example.com", "1990-01-02", "HQ", "oui", "30"]
        for i in range(count)
    ]


def _customer(api: Api) -> str:
    token = api.activate(api.new_account(), "Bench-Manager-Pass-1")["accessToken"]
    answer = api.post(
        "/v1/delivery-points",
        {
            "name": "HQ",
            "code": "HQ",
            "address": {
                "line1": "1 rue A",
                "postalCode": "75001",
                "city": "Paris",
                "country": "FR",
            },
        },
        token,
    )
    assert answer.status_code == 201, answer.text
    return token


def _import_and_wait(api: Api, token: str, data: bytes) -> None:
    answer = api.http.post(
        "/v1/orders:import",
        content=data,
        headers={**bearer(token), "Content-Type": "text/csv"},
        timeout=300,
    )
    assert answer.status_code == 201, answer.text[:500]
    job = answer.json().get("job")
    while job and job["state"] == "ORDER_IMPORT_STATE_RUNNING":
        time.sleep(0.2)
        job = api.get(f"/v1/order-imports/{job['id']}", token).json()
    assert job is None or job["state"] == "ORDER_IMPORT_STATE_SUCCEEDED", job


def _plain_insert(tmp: Path, rows: list[list[str]]) -> None:
    metadata = MetaData()
    beneficiaries = Table(
        "beneficiaries",
        metadata,
        Column("id", String(32), primary_key=True),
        Column("employee_number", String(32)),
        Column("last_name", String(100)),
        Column("first_name", String(100)),
        Column("email", String(200)),
        Column("birth_date", String(10)),
    )
    lines = Table(
        "order_lines",
        metadata,
        Column("id", String(32), primary_key=True),
        Column("beneficiary_id", String(32)),
        Column("load_amount_cents", Integer),
    )
    engine = create_engine(f"sqlite:///{tmp / uuid.uuid4().hex}.db")
    metadata.create_all(engine)
    with engine.begin() as conn:
        ids = [uuid.uuid4().hex for _ in rows]
        conn.execute(
            insert(beneficiaries),
            [
                {
                    "id": i,
                    "employee_number": r[0],
                    "last_name": r[1],
                    "first_name": r[2],
                    "email": r[3],
                    "birth_date": r[4],
                }
                for i, r in zip(ids, rows, strict=True)
            ],
        )
        conn.execute(
            insert(lines),
            [{"id": uuid.uuid4().hex, "beneficiary_id": i, "load_amount_cents": 3000} for i in ids],
        )
    engine.dispose()


COUNTS = [10_000, 100_000]


@pytest.mark.parametrize("count", COUNTS)
def test_plain_insert_baseline(benchmark, tmp_path: Path, count: int):
    rows = _rows(count)
    benchmark.pedantic(lambda: _plain_insert(tmp_path, rows), rounds=2, iterations=1)
    record(f"plain insert {count} rows", benchmark)


@pytest.mark.parametrize("count", COUNTS)
def test_import_rate(benchmark, bench_api: Api, count: int):
    data = csv_file(_rows(count))
    tokens = iter([_customer(bench_api) for _ in range(2)])
    benchmark.pedantic(
        lambda: _import_and_wait(bench_api, next(tokens), data), rounds=2, iterations=1
    )
    record(f"import {count} lines via gateway", benchmark, f"plain insert {count} rows")
