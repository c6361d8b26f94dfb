"""One running suite (real services as processes, a real nats-server, real
SQLite, and PostgreSQL too when PORTAL_TEST_POSTGRES_URL is set) shared by the
integration tests, driven through the gateway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.suite import SERVICES, Suite
from tests.support.api import Api
from tests.support.databases import create_postgres_database, database_kinds, drop_postgres_database
from tests.support.web import Portal

OPERATOR_EMAIL = "ops@portail.test"
OPERATOR_PASSWORD = "Operator-Test-Password-1"

# Short link lifetimes let the tests see expiry without waiting hours.
TEST_ACTIVATION_TTL_SECONDS = 6
TEST_SYNC_IMPORT_MAX_LINES = 200


@pytest.fixture(scope="session", params=database_kinds())
def suite(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    var_dir: Path = tmp_path_factory.mktemp(f"suite-{request.param}")
    env = {
        "PORTAL_BOOTSTRAP_OPERATOR_EMAIL": OPERATOR_EMAIL,
        "PORTAL_BOOTSTRAP_OPERATOR_PASSWORD": OPERATOR_PASSWORD,
        "PORTAL_GATEWAY_AUTH_RATE_LIMIT": "10000/minute",
        "PORTAL_ACTIVATION_TTL_SECONDS": str(TEST_ACTIVATION_TTL_SECONDS),
        "PORTAL_NOTIFICATIONS_POLL_SECONDS": "0.2",
        # Files above this many lines import in the background: small here so
        # the tests see the job path without huge files.
        "PORTAL_ORDERING_SYNC_IMPORT_MAX_LINES": str(TEST_SYNC_IMPORT_MAX_LINES),
        "PORTAL_LOG_LEVEL": "INFO",
        # Fleet: an outage is retried within a second, a dead worker's lines are
        # taken over within seconds.
        "PORTAL_FLEET_RETRY_FIRST_SECONDS": "0.2",
        "PORTAL_FLEET_RETRY_MAX_SECONDS": "1",
        "PORTAL_FLEET_LEASE_SECONDS": "3",
        "PORTAL_FLEET_POLL_SECONDS": "0.5",
    }
    created: list[str] = []
    if request.param == "postgresql":
        for name in SERVICES:
            url = create_postgres_database(f"portail_{name}")
            env[f"PORTAL_{name.upper()}_DATABASE_URL"] = url
            created.append(url)
    running = Suite(var_dir, env=env, random_ports=True)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        for url in created:
            drop_postgres_database(url)


@pytest.fixture(scope="session")
def portal_app(suite: Suite, tmp_path_factory: pytest.TempPathFactory):
    """The web portal in-process (ASGI), on the running suite's gateway."""
    from web.app import create_app
    from web.settings import WebSettings

    keys = tmp_path_factory.mktemp("web-keys") / "web-session.key"
    return create_app(WebSettings(gateway_url=suite.gateway_url, session_key_file=keys))


@pytest.fixture()
def portal(portal_app) -> Iterator[Portal]:
    """A fresh browser-like client of the portal (its own cookies)."""
    from starlette.testclient import TestClient

    with TestClient(portal_app, base_url="http://127.0.0.1") as client:
        yield Portal(client)


@pytest.fixture(scope="session")
def api(suite: Suite) -> Iterator[Api]:
    client = Api(suite.gateway_url, OPERATOR_EMAIL, OPERATOR_PASSWORD)
    yield client
    client.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test` runs two workers), the tests of one suite run
    on one worker, so each database kind starts its suite once and the two suites
    run side by side; `make run`'s end-to-end tests keep to themselves too."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        kind = callspec.params.get("suite") if callspec is not None else None
        if kind is not None:
            item.add_marker(pytest.mark.xdist_group(name=f"suite-{kind}"))
