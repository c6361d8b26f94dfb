"""A 5,000-line option change, the fleet service killed (-9) in the middle and
started again: the request completes and the provisioning simulator applied
every line exactly once (the lines the dead process had sent are looked up,
not sent again)."""

from __future__ import annotations

import time

from deploy.local.suite import Suite
from tests.support.api import Api
from tests.support.fleet import (
    Simulator,
    completed,
    fleet_customer,
    import_lines,
    lines_by_number,
    load_catalogue,
    numbered_rows,
)
from tests.support.orders import wait_for

LINES = 5_000


def test_a_killed_fleet_service_resumes_without_applying_a_line_twice(
    api: Api, suite: Suite
) -> None:
    load_catalogue(api)
    customer = fleet_customer(api)
    token = customer["token"]
    import_lines(api, customer["id"], numbered_rows(10_000, LINES, options="DATA 5GB"))
    ids = [line["id"] for line in lines_by_number(api, token).values()]
    assert len(ids) == LINES
    simulator = Simulator(suite.provisioning_url)
    # A little latency per line, so that the kill lands mid-way.
    simulator.control(delay_ms=5)
    try:
        answer = api.post(
            "/v1/fleet/option-changes", {"lineIds": ids, "activate": ["ROAM_EU"]}, token
        )
        assert answer.status_code == 202, answer.text
        request_id = answer.json()["id"]

        def progressed() -> bool:
            body = api.get(f"/v1/fleet/requests/{request_id}", token).json()
            return body.get("linesDone", 0) >= 300

        wait_for(progressed, timeout=60, what="the first lines processed")
        suite.stop_process("fleet", kill=True)
        killed_at = time.monotonic()
        suite.start_service("fleet")
        suite.wait_ready(60)
        done = completed(api, token, request_id, timeout=240)
        assert (done["linesDone"], done.get("linesFailed", 0)) == (LINES, 0)
        received = [op for op in simulator.received() if op["key"].startswith(f"{request_id}:")]
        assert len(received) == LINES
        assert {op["status"] for op in received} == {"APPLIED"}
        # Received once each: lines the dead process had sent were looked up.
        assert {op["receipts"] for op in received} == {1}
        assert time.monotonic() - killed_at < 240
    finally:
        simulator.control(delay_ms=0)
        simulator.close()
    options = {tuple(line["options"]) for line in lines_by_number(api, token).values()}
    assert options == {("DATA_5GB", "ROAM_EU")}
