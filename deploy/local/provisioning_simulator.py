"""The provisioning simulator: a stand-in for the operator's provisioning system
(the network side that really changes a mobile line), which fleet calls through
`services.fleet.provisioning.http.HttpProvisioning`.

A test double: all state lives in memory and is lost on restart. It applies each
operation key once, as the real system does, and records what it received so
tests can check every line was applied exactly once:

- ``POST /v1/operations`` {key, kind, number, iccid, activate, deactivate, plan,
  reason, new_iccid} (key from ``Idempotency-Key`` or the body; 400 when missing,
  when they differ, or when a field is wrong): waits the configured delay, then
  answers 200 {key, status: APPLIED | REJECTED, reason}; REJECTED when the number
  is in the failing set. The same key again answers the recorded outcome at
  once, without applying again (two at the same time: one applies, the other
  waits for its outcome).
- ``GET /v1/operations/{key}``: 200 {key, status, reason, receipts} or 404.
- ``GET /v1/received``: {operations: [{key, kind, number, status, reason,
  receipts, operation: {the fields received}}] in the order decided,
  applied: how many were applied, applied_keys: in the order applied}.
- ``POST /v1/control`` {delay_ms?, fail_numbers?: [E.164...], unavailable?: bool}:
  changes the behaviour at run time, answers the current one; while
  ``unavailable``, the two operation routes answer 503 and record nothing.
- ``POST /v1/reset``: forgets every operation (the behaviour stays).
- ``GET /healthz``.

Run: ``python -m deploy.local.provisioning_simulator``. Variables:
``PORTAL_PROVISIONING_SIMULATOR_ADDR`` (127.0.0.1:8091), ``PORTAL_PROVISIONING_DELAY_MS``
(300: roughly a real system's pace; the test suites set 0),
``PORTAL_PROVISIONING_FAIL_NUMBERS`` (comma-separated E.164 numbers the network refuses).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

log = logging.getLogger("provisioning_simulator")

DEFAULT_ADDR = "127.0.0.1:8091"
DEFAULT_DELAY_MS = 300
MAX_DELAY_MS = 60_000
REFUSED_REASON = "the network refused the change for this number"
KINDS = frozenset(
    {"OPTIONS", "SUSPEND", "REACTIVATE", "SWITCH_TO_PREPAID", "CHANGE_PLAN", "ACTIVATE_SIM"}
)
SUSPEND_REASONS = frozenset({"LOSS", "THEFT", "TEMPORARY"})
# The wire format only: fleet has already checked the number is a real one.
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
TEXT_FIELDS = ("iccid", "plan", "reason", "new_iccid")
LIST_FIELDS = ("activate", "deactivate")


@dataclass
class Record:
    """One operation key: what was asked, what was decided, how often it came."""

    operation: dict[str, Any]
    status: str
    reason: str
    receipts: int = 1

    def answer(self) -> dict[str, Any]:
        return {"key": self.operation["key"], "status": self.status, "reason": self.reason}

    def as_json(self) -> dict[str, Any]:
        # The operation whole apart: its own `reason` (a suspension's) is not the outcome's.
        return {
            **self.answer(),
            "kind": self.operation["kind"],
            "number": self.operation["number"],
            "receipts": self.receipts,
            "operation": self.operation,
        }


class ProvisioningSimulator:
    """The simulator's in-memory state and behaviour."""

    def __init__(
        self,
        *,
        delay_ms: int = DEFAULT_DELAY_MS,
        fail_numbers: Iterable[str] = (),
        unavailable: bool = False,
    ) -> None:
        self.delay_ms = delay_ms
        self.fail_numbers = set(fail_numbers)
        self.unavailable = unavailable
        self.records: dict[str, Record] = {}  # in the order decided
        self.applied_keys: list[str] = []
        self._locks: dict[str, asyncio.Lock] = {}

    async def receive(self, operation: dict[str, Any]) -> Record:
        """The outcome of `operation`, applied only the first time its key comes."""
        key = operation["key"]
        # Held across the delay, so a second copy of an operation still in
        # progress waits for its outcome instead of applying it again.
        async with self._locks.setdefault(key, asyncio.Lock()):
            record = self.records.get(key)
            if record is not None:
                record.receipts += 1
                log.info(
                    "operation received again", extra={"key": key, "receipts": record.receipts}
                )
                return record
            await asyncio.sleep(self.delay_ms / 1000)
            if operation["number"] in self.fail_numbers:
                record = Record(operation, "REJECTED", REFUSED_REASON)
            else:
                record = Record(operation, "APPLIED", "")
                self.applied_keys.append(key)
            self.records[key] = record
            log.info(
                "operation %s",
                record.status.lower(),
                extra={"key": key, "kind": operation["kind"], "number": operation["number"]},
            )
            return record

    def behaviour(self) -> dict[str, Any]:
        return {
            "delay_ms": self.delay_ms,
            "fail_numbers": sorted(self.fail_numbers),
            "unavailable": self.unavailable,
        }

    def reset(self) -> None:
        self.records.clear()
        self.applied_keys.clear()
        self._locks.clear()


# --- HTTP ---------------------------------------------------------------------------


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _simulator(request: Request) -> ProvisioningSimulator:
    return request.app.state.simulator


def _unavailable() -> JSONResponse:
    return _error(503, "provisioning is unavailable (simulated outage)")


def _is_text_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def parse_operation(doc: object, header_key: str | None) -> dict[str, Any] | str:
    """The operation a client sent, every field present, or what is wrong with it."""
    if not isinstance(doc, dict):
        return "body must be a JSON object"
    body_key = doc.get("key")
    if body_key is not None and not isinstance(body_key, str):
        return "key must be a string"
    if header_key and body_key and header_key != body_key:
        return "the Idempotency-Key header and the body's key differ"
    key = header_key or body_key
    if not key:
        return "key is required (Idempotency-Key header or the body's key)"
    kind, number = doc.get("kind"), doc.get("number")
    if kind not in KINDS:
        return f"kind must be one of {', '.join(sorted(KINDS))}"
    if not isinstance(number, str) or not E164.fullmatch(number):
        return "number must be an E.164 number (+ and up to 15 digits)"
    operation: dict[str, Any] = {"key": key, "kind": kind, "number": number}
    for name in TEXT_FIELDS:
        value = doc.get(name, "")
        if not isinstance(value, str):
            return f"{name} must be a string"
        operation[name] = value
    for name in LIST_FIELDS:
        value = doc.get(name, [])
        if not _is_text_list(value):
            return f"{name} must be a list of option codes"
        operation[name] = list(value)
    return _kind_problem(operation) or operation


def _kind_problem(operation: dict[str, Any]) -> str | None:
    """What the operation's kind needs and it lacks."""
    kind = operation["kind"]
    if kind == "OPTIONS" and not (operation["activate"] or operation["deactivate"]):
        return "OPTIONS needs options to activate or deactivate"
    if kind == "SUSPEND" and operation["reason"] not in SUSPEND_REASONS:
        return f"SUSPEND needs a reason among {', '.join(sorted(SUSPEND_REASONS))}"
    if kind == "CHANGE_PLAN" and not operation["plan"]:
        return "CHANGE_PLAN needs a plan"
    if kind == "ACTIVATE_SIM" and not operation["new_iccid"]:
        return "ACTIVATE_SIM needs new_iccid"
    return None


async def post_operation(request: Request) -> Response:
    simulator = _simulator(request)
    if simulator.unavailable:
        return _unavailable()
    try:
        doc = await request.json()
    except ValueError:
        return _error(400, "body must be JSON")
    operation = parse_operation(doc, request.headers.get("idempotency-key"))
    if isinstance(operation, str):
        return _error(400, operation)
    record = await simulator.receive(operation)
    return JSONResponse(record.answer())


async def get_operation(request: Request) -> Response:
    simulator = _simulator(request)
    if simulator.unavailable:
        return _unavailable()
    record = simulator.records.get(request.path_params["key"])
    if record is None:
        return _error(404, "no operation with this key was received")
    return JSONResponse({**record.answer(), "receipts": record.receipts})


async def received(request: Request) -> Response:
    simulator = _simulator(request)
    return JSONResponse(
        {
            "operations": [record.as_json() for record in simulator.records.values()],
            "applied": len(simulator.applied_keys),
            "applied_keys": list(simulator.applied_keys),
        }
    )


def parse_fail_numbers(value: object) -> list[str] | str:
    """The E.164 numbers to refuse, or what is wrong with them."""
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        return "fail_numbers must be a list of E.164 numbers"
    wrong = [n for n in value if not E164.fullmatch(n)]
    if wrong:
        return f"fail_numbers: not E.164: {', '.join(wrong)}"
    return value


async def control(request: Request) -> Response:
    simulator = _simulator(request)
    try:
        doc = await request.json()
    except ValueError:
        return _error(400, "body must be JSON")
    if not isinstance(doc, dict):
        return _error(400, "body must be a JSON object")
    unknown = set(doc) - {"delay_ms", "fail_numbers", "unavailable"}
    if unknown:
        return _error(400, f"unknown fields: {', '.join(sorted(unknown))}")
    delay_ms = doc.get("delay_ms", simulator.delay_ms)
    if (
        not isinstance(delay_ms, int)
        or isinstance(delay_ms, bool)
        or not (0 <= delay_ms <= MAX_DELAY_MS)
    ):
        return _error(400, f"delay_ms must be an integer from 0 to {MAX_DELAY_MS}")
    fail_numbers = parse_fail_numbers(doc.get("fail_numbers", sorted(simulator.fail_numbers)))
    if isinstance(fail_numbers, str):
        return _error(400, fail_numbers)
    unavailable = doc.get("unavailable", simulator.unavailable)
    if not isinstance(unavailable, bool):
        return _error(400, "unavailable must be true or false")
    # Checked whole before any change: a wrong body changes nothing.
    simulator.delay_ms = delay_ms
    simulator.fail_numbers = set(fail_numbers)
    simulator.unavailable = unavailable
    log.info("behaviour changed", extra=simulator.behaviour())
    return JSONResponse(simulator.behaviour())


async def reset(request: Request) -> Response:
    _simulator(request).reset()
    log.info("operations forgotten")
    return JSONResponse({"reset": True})


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


ROUTES = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/v1/operations", post_operation, methods=["POST"]),
    # `path`: a key holding an encoded "/" still reaches its operation.
    Route("/v1/operations/{key:path}", get_operation, methods=["GET"]),
    Route("/v1/received", received, methods=["GET"]),
    Route("/v1/control", control, methods=["POST"]),
    Route("/v1/reset", reset, methods=["POST"]),
]


def create_app(simulator: ProvisioningSimulator) -> Starlette:
    app = Starlette(routes=ROUTES)
    app.state.simulator = simulator
    return app


def simulator_from_env(env: dict[str, str] | None = None) -> tuple[ProvisioningSimulator, str]:
    """The simulator the variables describe, and its address; a ValueError
    naming the variable when one is wrong."""
    env = dict(os.environ if env is None else env)
    addr = env.get("PORTAL_PROVISIONING_SIMULATOR_ADDR", "") or DEFAULT_ADDR
    raw_delay = env.get("PORTAL_PROVISIONING_DELAY_MS", "").strip()
    try:
        delay_ms = int(raw_delay) if raw_delay else DEFAULT_DELAY_MS
    except ValueError:
        delay_ms = -1
    if not 0 <= delay_ms <= MAX_DELAY_MS:
        raise ValueError(
            f"PORTAL_PROVISIONING_DELAY_MS must be an integer from 0 to {MAX_DELAY_MS}, "
            f"not {raw_delay!r}"
        )
    raw_numbers = env.get("PORTAL_PROVISIONING_FAIL_NUMBERS", "")
    numbers = [n.strip() for n in raw_numbers.split(",") if n.strip()]
    fail_numbers = parse_fail_numbers(numbers)
    if isinstance(fail_numbers, str):
        raise ValueError(f"PORTAL_PROVISIONING_FAIL_NUMBERS: {fail_numbers}")
    return ProvisioningSimulator(delay_ms=delay_ms, fail_numbers=fail_numbers), addr


def main() -> None:
    import uvicorn

    from portal_runtime.logs import configure_logging

    configure_logging("provisioning-simulator", os.environ.get("PORTAL_LOG_LEVEL", "INFO"))
    try:
        simulator, addr = simulator_from_env()
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    host, _, port = addr.rpartition(":")
    print(  # the one start banner
        f"provisioning simulator on http://{addr} (delay {simulator.delay_ms} ms, "
        f"failing numbers: {len(simulator.fail_numbers)})"
    )
    uvicorn.run(create_app(simulator), host=host or "127.0.0.1", port=int(port), log_config=None)


if __name__ == "__main__":
    main()
