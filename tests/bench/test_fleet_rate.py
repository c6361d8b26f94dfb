"""A 5,000-line option change end to end through the gateway (accepted, every
line sent to a zero-delay provisioning simulator, outcomes recorded, request
completed) next to applying the same 5,000 line changes in one plain SQLite
transaction, measured in the same run. Target: under 60 s on 2 cores."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, Text, bindparam, create_engine, insert
from sqlalchemy import update as sql_update

from deploy.local.suite import Suite
from tests.bench.conftest import record
from tests.support.api import Api
from tests.support.fleet import (
    Simulator,
    fleet_customer,
    import_lines,
    lines_by_number,
    load_catalogue,
    numbered_rows,
)

LINES = 5_000
ROUNDS = 2


def _plain_apply(tmp: Path) -> None:
    """The same work's database side, bare: the lines' options updated and a
    history row each, in one transaction."""
    metadata = MetaData()
    lines = Table(
        "lines", metadata, Column("id", String(32), primary_key=True), Column("options", Text)
    )
    history = Table(
        "line_history",
        metadata,
        Column("id", String(32), primary_key=True),
        Column("line_id", String(32)),
        Column("description", Text),
    )
    engine = create_engine(f"sqlite:///{tmp / uuid.uuid4().hex}.db")
    metadata.create_all(engine)
    ids = [uuid.uuid4().hex for _ in range(LINES)]
    with engine.begin() as conn:
        conn.execute(insert(lines), [{"id": i, "options": "DATA_5GB"} for i in ids])
    with engine.begin() as conn:
        conn.execute(
            sql_update(lines)
            .where(lines.c.id == bindparam("b_id"))
            .values(options="DATA_5GB|ROAM_EU"),
            [{"b_id": i} for i in ids],
        )
        conn.execute(
            insert(history),
            [{"id": uuid.uuid4().hex, "line_id": i, "description": "+ROAM_EU"} for i in ids],
        )
    engine.dispose()


def test_plain_apply_baseline(benchmark, tmp_path: Path) -> None:
    benchmark.pedantic(lambda: _plain_apply(tmp_path), rounds=ROUNDS, iterations=1)
    record(f"plain apply {LINES} lines", benchmark, items=LINES)


def _change_and_wait(api: Api, customer: dict) -> None:
    token = customer["token"]
    answer = api.post(
        "/v1/fleet/option-changes",
        {"lineIds": customer["lineIds"], "activate": ["ROAM_EU"]},
        token,
    )
    assert answer.status_code == 202, answer.text[:500]
    request_id = answer.json()["id"]
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        body = api.get(f"/v1/fleet/requests/{request_id}", token).json()
        if body["state"] == "REQUEST_STATE_COMPLETED":
            assert body["linesDone"] == LINES, body.get("linesFailed")
            return
        time.sleep(0.2)
    raise AssertionError("the option change did not complete in 10 minutes")


def test_option_change_rate(benchmark, bench_api: Api, bench_suite: Suite) -> None:
    load_catalogue(bench_api)
    simulator = Simulator(bench_suite.provisioning_url)
    simulator.control(delay_ms=0)
    simulator.close()
    customers = []
    for _ in range(ROUNDS):
        customer = fleet_customer(bench_api)
        import_lines(bench_api, customer["id"], numbered_rows(0, LINES, options="DATA 5GB"))
        ids = [line["id"] for line in lines_by_number(bench_api, customer["token"]).values()]
        customers.append({**customer, "lineIds": ids})
    chosen = iter(customers)
    benchmark.pedantic(
        lambda: _change_and_wait(bench_api, next(chosen)), rounds=ROUNDS, iterations=1
    )
    record(
        f"option change {LINES} lines via gateway",
        benchmark,
        f"plain apply {LINES} lines",
        items=LINES,
    )
