"""The HTTP provisioning adapter against the real simulator app, served in
process; transient failures the simulator cannot produce through a mock transport."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from deploy.local.provisioning_simulator import (
    REFUSED_REASON,
    ProvisioningSimulator,
    create_app,
    simulator_from_env,
)
from services.fleet.provisioning.base import Operation, Outcome, ProvisioningUnavailable
from services.fleet.provisioning.http import HttpProvisioning

URL = "http://provisioning.test"
NUMBER = "+32470123456"
FAILING = "+32470999999"


class Recording(httpx.AsyncBaseTransport):
    """Passes requests on, keeping each one."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


class World:
    def __init__(self, **behaviour: object) -> None:
        self.simulator = ProvisioningSimulator(**{"delay_ms": 0, **behaviour})  # type: ignore[arg-type]
        app_transport = httpx.ASGITransport(app=create_app(self.simulator))
        self.wire = Recording(app_transport)
        self.adapter = HttpProvisioning(URL, transport=self.wire, first_wait=0, max_wait=0)
        # The test's own view of the simulator, beside the adapter's.
        self.http = httpx.AsyncClient(transport=app_transport, base_url=URL)

    async def received(self) -> dict:
        answer = await self.http.get("/v1/received")
        assert answer.status_code == 200
        return answer.json()

    async def control(self, **behaviour: object) -> None:
        answer = await self.http.post("/v1/control", json=behaviour)
        assert answer.status_code == 200, answer.text

    async def close(self) -> None:
        await self.adapter.aclose()
        await self.http.aclose()


@pytest.fixture
async def world():
    w = World()
    yield w
    await w.close()


def options(key: str = "req-1:line-1", number: str = NUMBER) -> Operation:
    return Operation(
        key=key,
        kind="OPTIONS",
        number=number,
        iccid="8932000000000000001",
        activate=("ROAMING", "DATA_5GB"),
        deactivate=("PREMIUM_SMS",),
    )


async def test_an_operation_is_applied_and_sent_whole_under_its_key(world: World) -> None:
    op = options()
    assert await world.adapter.apply(op) == Outcome(applied=True, reason="")

    (sent,) = world.wire.requests
    assert sent.method == "POST" and sent.url.path == "/v1/operations"
    assert sent.headers["Idempotency-Key"] == op.key
    assert json.loads(sent.content) == {
        "key": op.key,
        "kind": "OPTIONS",
        "number": NUMBER,
        "iccid": "8932000000000000001",
        "activate": ["ROAMING", "DATA_5GB"],
        "deactivate": ["PREMIUM_SMS"],
        "plan": "",
        "reason": "",
        "new_iccid": "",
    }
    received = await world.received()
    assert received["applied"] == 1
    assert received["applied_keys"] == [op.key]
    (line,) = received["operations"]
    assert (line["key"], line["status"], line["receipts"]) == (op.key, "APPLIED", 1)
    assert line["operation"]["activate"] == ["ROAMING", "DATA_5GB"]


async def test_a_failing_number_is_rejected_for_good_and_not_applied(world: World) -> None:
    await world.control(fail_numbers=[FAILING])

    refused = await world.adapter.apply(options(number=FAILING))
    applied = await world.adapter.apply(options(key="req-1:line-2"))

    assert refused == Outcome(applied=False, reason=REFUSED_REASON)
    assert applied.applied
    received = await world.received()
    assert received["applied_keys"] == ["req-1:line-2"]
    assert {o["key"]: o["status"] for o in received["operations"]} == {
        "req-1:line-1": "REJECTED",
        "req-1:line-2": "APPLIED",
    }


async def test_the_same_key_twice_is_applied_once_and_answered_alike(world: World) -> None:
    op = options()
    first = await world.adapter.apply(op)
    # The network refusing the number now does not change an outcome already recorded.
    await world.control(fail_numbers=[NUMBER])
    second = await world.adapter.apply(op)

    assert first == second == Outcome(applied=True)
    received = await world.received()
    assert received["applied"] == 1
    assert [o["receipts"] for o in received["operations"]] == [2]


async def test_concurrent_copies_of_one_key_apply_it_once() -> None:
    # A delay keeps the first copy in progress while the others arrive.
    w = World(delay_ms=50)
    try:
        outcomes = await asyncio.gather(*(w.adapter.apply(options()) for _ in range(3)))
        assert outcomes == [Outcome(applied=True)] * 3
        received = await w.received()
        assert received["applied"] == 1
        assert [o["receipts"] for o in received["operations"]] == [3]
    finally:
        await w.close()


async def test_lookup_answers_the_recorded_outcome_or_none(world: World) -> None:
    await world.control(fail_numbers=[FAILING])
    # A key with characters a URL path would otherwise misread.
    key = "req 1/line#2:x"
    await world.adapter.apply(options(key=key, number=FAILING))

    assert await world.adapter.lookup(key) == Outcome(applied=False, reason=REFUSED_REASON)
    assert await world.adapter.lookup("req-1:never-sent") is None
    # A lookup is not a receipt.
    assert [o["receipts"] for o in (await world.received())["operations"]] == [1]


async def test_unavailable_provisioning_is_retried_then_reported_and_nothing_recorded(
    world: World,
) -> None:
    await world.control(unavailable=True)

    with pytest.raises(ProvisioningUnavailable, match="503"):
        await world.adapter.apply(options())
    with pytest.raises(ProvisioningUnavailable, match="503"):
        await world.adapter.lookup("req-1:line-1")

    assert len(world.wire.requests) == 6  # three attempts each
    assert (await world.received())["operations"] == []
    await world.control(unavailable=False)
    assert await world.adapter.apply(options()) == Outcome(applied=True)


async def test_a_request_the_system_refuses_is_a_refusal_with_the_answer(world: World) -> None:
    wrong = Operation(key="req-1:line-1", kind="SUSPEND", number=NUMBER, iccid="893200001")

    outcome = await world.adapter.apply(wrong)

    assert outcome.applied is False
    assert outcome.reason.startswith("provisioning refused the request: HTTP 400 ")
    assert "SUSPEND needs a reason" in outcome.reason
    assert len(world.wire.requests) == 1  # sending it again would not help
    assert (await world.received())["operations"] == []


def scripted(*answers: httpx.Response | Exception) -> tuple[HttpProvisioning, list[httpx.Request]]:
    """An adapter whose calls get the given answers, in order."""
    pending = list(answers)
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = pending.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    adapter = HttpProvisioning(URL, transport=httpx.MockTransport(handle), first_wait=0, max_wait=0)
    return adapter, seen


APPLIED = {"key": "req-1:line-1", "status": "APPLIED", "reason": ""}


@pytest.mark.parametrize(
    "blip",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.Response(429, text="slow down"),
        httpx.Response(502, text="bad gateway"),
    ],
    ids=["connect", "timeout", "429", "502"],
)
async def test_a_transient_failure_is_retried_within_the_call(blip: object) -> None:
    adapter, seen = scripted(blip, blip, httpx.Response(200, json=APPLIED))  # type: ignore[arg-type]
    assert await adapter.apply(options()) == Outcome(applied=True)
    assert len(seen) == 3
    assert {r.headers["Idempotency-Key"] for r in seen} == {"req-1:line-1"}
    await adapter.aclose()


async def test_three_transport_failures_make_it_unavailable() -> None:
    adapter, seen = scripted(*[httpx.ConnectError("connection refused")] * 3)
    with pytest.raises(ProvisioningUnavailable, match="unreachable"):
        await adapter.apply(options())
    assert len(seen) == 3
    await adapter.aclose()


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, text="<html>maintenance</html>"),
        httpx.Response(200, json={"key": "req-1:line-1", "status": "DONE"}),
        httpx.Response(200, json={"key": "another", "status": "APPLIED", "reason": ""}),
    ],
    ids=["not-json", "unknown-status", "another-key"],
)
async def test_an_answer_that_cannot_be_read_leaves_the_outcome_unknown(
    answer: httpx.Response,
) -> None:
    adapter, _ = scripted(answer)
    with pytest.raises(ProvisioningUnavailable):
        await adapter.apply(options())
    await adapter.aclose()


async def test_a_long_refusal_body_is_cut_to_one_short_line() -> None:
    adapter, _ = scripted(httpx.Response(422, text="bad\n" + "x" * 1000))
    outcome = await adapter.apply(options())
    assert outcome.applied is False
    assert outcome.reason.startswith("provisioning refused the request: HTTP 422 bad x")
    assert "\n" not in outcome.reason and len(outcome.reason) < 300
    await adapter.aclose()


async def test_lookup_of_an_error_other_than_404_is_unavailable() -> None:
    adapter, _ = scripted(httpx.Response(403, text="forbidden"))
    with pytest.raises(ProvisioningUnavailable, match="403"):
        await adapter.lookup("req-1:line-1")
    await adapter.aclose()


# --- the simulator's own rules ------------------------------------------------------


async def test_the_header_and_body_keys_must_agree_and_one_is_required(world: World) -> None:
    body = {"kind": "REACTIVATE", "number": NUMBER, "iccid": "893200001"}
    missing = await world.http.post("/v1/operations", json=body)
    differ = await world.http.post(
        "/v1/operations", json={**body, "key": "a"}, headers={"Idempotency-Key": "b"}
    )
    from_body = await world.http.post("/v1/operations", json={**body, "key": "a"})

    assert missing.status_code == 400 and "key is required" in missing.json()["error"]
    assert differ.status_code == 400 and "differ" in differ.json()["error"]
    assert from_body.json() == {"key": "a", "status": "APPLIED", "reason": ""}


async def test_control_refuses_a_wrong_body_whole_and_reset_forgets(world: World) -> None:
    await world.adapter.apply(options())
    wrong = await world.http.post(
        "/v1/control", json={"delay_ms": 10, "fail_numbers": ["0470 12 34 56"]}
    )
    assert wrong.status_code == 400 and "0470 12 34 56" in wrong.json()["error"]
    assert world.simulator.delay_ms == 0  # nothing of the wrong body was applied

    assert (await world.http.post("/v1/reset")).status_code == 200
    assert await world.received() == {"operations": [], "applied": 0, "applied_keys": []}
    assert await world.adapter.lookup("req-1:line-1") is None


def test_the_variables_configure_the_simulator_and_a_wrong_one_is_named() -> None:
    simulator, addr = simulator_from_env(
        {
            "PORTAL_PROVISIONING_DELAY_MS": "0",
            "PORTAL_PROVISIONING_FAIL_NUMBERS": f" {FAILING}, +32470888888 ",
        }
    )
    assert addr == "127.0.0.1:8091"
    assert simulator.behaviour() == {
        "delay_ms": 0,
        "fail_numbers": ["+32470888888", FAILING],
        "unavailable": False,
    }
    assert simulator_from_env({})[0].delay_ms == 300
    with pytest.raises(ValueError, match="PORTAL_PROVISIONING_DELAY_MS"):
        simulator_from_env({"PORTAL_PROVISIONING_DELAY_MS": "fast"})
    with pytest.raises(ValueError, match="PORTAL_PROVISIONING_FAIL_NUMBERS"):
        simulator_from_env({"PORTAL_PROVISIONING_FAIL_NUMBERS": "0470123456"})
