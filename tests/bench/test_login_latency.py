"""A login's latency through the gateway, against a plain HTTP round trip to
the gateway (`/healthz`) and an authenticated read (`/v1/me`) in the same run."""

from __future__ import annotations

from tests.bench.conftest import record
from tests.support.api import Api

PASSWORD = "Bench-Manager-Pass-1"


def _manager(api: Api) -> tuple[str, str]:
    account = api.new_account()
    session = api.activate(account, PASSWORD)
    return account["managerEmail"], session["accessToken"]


def test_gateway_round_trip(benchmark, bench_api: Api):
    benchmark(lambda: bench_api.get("/healthz"))
    record("GET /healthz (gateway only)", benchmark)


def test_authenticated_read(benchmark, bench_api: Api):
    _, token = _manager(bench_api)
    answer = benchmark(lambda: bench_api.get("/v1/me", token))
    assert answer.status_code == 200
    record("GET /v1/me (gateway + identity)", benchmark, "GET /healthz (gateway only)")


def test_login(benchmark, bench_api: Api):
    email, _ = _manager(bench_api)
    answer = benchmark.pedantic(lambda: bench_api.login(email, PASSWORD), rounds=30, iterations=1)
    assert answer.status_code == 200
    record("POST /v1/auth/login (argon2id)", benchmark, "GET /healthz (gateway only)")
