"""A restarted service gets traffic from the gateway again within seconds, even
after being down long enough for gRPC's default backoff to grow past that."""

from __future__ import annotations

import time

import httpx

from deploy.local.natsserver import wait_for_port
from deploy.local.suite import Suite
from tests.support.api import Api

DOWN_SECONDS = 17  # the default backoff's attempts by then: 1, 2.6, 5.2, 9.3, 15.8 s
BACK_WITHIN_SECONDS = 3.0


def test_gateway_sends_traffic_to_a_restarted_service_within_seconds(
    suite: Suite, api: Api
) -> None:
    token = api.operator
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/v1/me", token).status_code == 200
    suite.stop_process("identity")
    try:
        deadline = time.monotonic() + DOWN_SECONDS
        while time.monotonic() < deadline:
            # Calls while it is down fail fast and keep the channel reconnecting.
            assert api.get("/v1/me", token).status_code == 503
            time.sleep(1)
    finally:
        suite.start_service("identity")
    port = int(suite.env["PORTAL_IDENTITY_ADDR"].rsplit(":", 1)[1])
    wait_for_port(port, timeout=30)
    # Listening is not serving yet (migrations, NATS): wait for its own health.
    up = time.monotonic()
    while True:
        ready = httpx.get(f"{suite.gateway_url}/readyz", timeout=5)
        answer = httpx.get(f"{suite.gateway_url}/v1/me", headers=headers, timeout=5)
        if answer.status_code == 200:
            break
        assert time.monotonic() - up < 30, (answer.status_code, ready.text)
        time.sleep(0.05)
    waited = time.monotonic() - up
    assert waited < BACK_WITHIN_SECONDS, f"the gateway needed {waited:.1f} s"
