"""Benchmarks run against a real suite; each group reports its figures as
ratios to a baseline measured in the same run (see `ratios` below)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.suite import Suite
from tests.support.api import Api

OPERATOR_EMAIL = "bench-ops@portail.test"
OPERATOR_PASSWORD = "Bench-Operator-Pass-1"

# name -> mean seconds, filled by the benchmarks, printed at the end.
MEANS: dict[str, float] = {}
BASELINES: dict[str, str] = {}
# name -> items handled per round (lines, rows), to print a rate too.
ITEMS: dict[str, int] = {}


@pytest.fixture(scope="session")
def bench_suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    var_dir: Path = tmp_path_factory.mktemp("bench")
    env = {
        "PORTAL_BOOTSTRAP_OPERATOR_EMAIL": OPERATOR_EMAIL,
        "PORTAL_BOOTSTRAP_OPERATOR_PASSWORD": OPERATOR_PASSWORD,
        "PORTAL_GATEWAY_AUTH_RATE_LIMIT": "1000000/minute",
        "PORTAL_LOG_LEVEL": "WARNING",
    }
    suite = Suite(var_dir, env=env, random_ports=True).start()
    yield suite
    suite.stop()


@pytest.fixture(scope="session")
def bench_api(bench_suite: Suite) -> Iterator[Api]:
    api = Api(bench_suite.gateway_url, OPERATOR_EMAIL, OPERATOR_PASSWORD)
    yield api
    api.close()


def record(name: str, benchmark, baseline: str | None = None, items: int = 0) -> None:  # type: ignore[no-untyped-def]
    MEANS[name] = benchmark.stats.stats.mean
    if baseline:
        BASELINES[name] = baseline
    if items:
        ITEMS[name] = items


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if not MEANS:
        return
    terminalreporter.section("ratios to the baseline measured in this run")
    for name, mean in MEANS.items():
        base = BASELINES.get(name)
        rate = f"  ({ITEMS[name] / mean:,.0f} per s)" if name in ITEMS and mean else ""
        if base and base in MEANS:
            terminalreporter.write_line(
                f"{name:<40} {mean * 1000:8.2f} ms  = {mean / MEANS[base]:6.1f} x {base}{rate}"
            )
        else:
            terminalreporter.write_line(f"{name:<40} {mean * 1000:8.2f} ms  (baseline){rate}")
