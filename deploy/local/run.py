"""`make run`: the whole suite on embedded defaults, with demo data.

Everything lives under ./var (SQLite files, JetStream store, mailbox folder,
dev keys, logs). Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path

from deploy.local import seed, seed_assets
from deploy.local.suite import Suite
from deploy.local.supervisor import Supervisor

log = logging.getLogger("portail.run")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the seed's requests are noise here
    var_dir = Path(os.environ.get("PORTAL_VAR_DIR", "var"))
    env = {
        "PORTAL_BOOTSTRAP_OPERATOR_EMAIL": os.environ.get(
            "PORTAL_BOOTSTRAP_OPERATOR_EMAIL", seed.OPERATOR_EMAIL
        ),
        "PORTAL_BOOTSTRAP_OPERATOR_PASSWORD": os.environ.get(
            "PORTAL_BOOTSTRAP_OPERATOR_PASSWORD", seed.OPERATOR_PASSWORD
        ),
    }
    suite = Suite(var_dir, env=env)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    log.info("starting Portail (logs in %s)...", var_dir / "logs")
    supervisor = Supervisor(
        names=lambda: list(suite.procs),
        poll=lambda name: suite.procs[name].poll(),
        restart=suite.restart,
        logs_of=lambda name: str(suite.logs_dir / f"{name}.log"),
    )
    code = 0
    try:
        suite.start()
        operator = (
            env["PORTAL_BOOTSTRAP_OPERATOR_EMAIL"],
            env["PORTAL_BOOTSTRAP_OPERATOR_PASSWORD"],
        )
        marker = var_dir / ".seeded"
        if not marker.exists():
            log.info("loading demo data...")
            seed.seed(suite.gateway_url, *operator)
            marker.touch()
        _banner(suite, demo_operator=operator == (seed.OPERATOR_EMAIL, seed.OPERATOR_PASSWORD))
        while not stopping:
            if supervisor.check() is not None:
                code = 1
                break
            time.sleep(0.5)
    except seed.SeedError as exc:
        log.error("%s", exc)
        code = 1
    finally:
        log.info("stopping...")
        suite.stop()
    return code


def _banner(suite: Suite, *, demo_operator: bool) -> None:
    """Where to go, and only the logins that work now (each is tried)."""
    url = suite.gateway_url
    email = suite.env["PORTAL_BOOTSTRAP_OPERATOR_EMAIL"]
    password = suite.env["PORTAL_BOOTSTRAP_OPERATOR_PASSWORD"]
    # A configured operator's password is the operator's secret: not echoed.
    operator = f"{email} / {password if demo_operator else '(the password you configured)'}"
    logins: list[str] = []
    if seed.can_log_in(url, seed.MANAGER_EMAIL, seed.MANAGER_PASSWORD):
        logins += [
            f"  customer manager  {seed.MANAGER_EMAIL} / {seed.MANAGER_PASSWORD}",
            f"                    (or client number {seed.DEMO_ACCOUNT['clientNumber']})",
        ]
    for label, login_email, login_password in (
        ("maintenance", seed_assets.MAINTENANCE_EMAIL, seed_assets.MAINTENANCE_PASSWORD),
        ("parking", seed_assets.PARKING_EMAIL, seed_assets.PARKING_PASSWORD),
    ):
        if seed.can_log_in(url, login_email, login_password):
            logins.append(f"  {label + ' customer':<17} {login_email} / {login_password}")
    if seed.can_log_in(url, email, password):
        logins.append(f"  operator          {operator}")
    else:
        logins.append(
            f"  (the operator {email} cannot log in: an operator already existed in "
            f"{suite.var_dir}; use its login, or `make clean` to start afresh)"
        )
    pending = seed.PENDING_ACCOUNT
    lines = [
        "",
        "Portail is running.",
        f"  Portal     {suite.web_url}   (the customer web portal: open it in a browser)",
        f"  API        {url}   (try: curl {url}/healthz)",
        f"  API docs   {url}/docs   OpenAPI: {url}/openapi.json",
        f"  Mailbox    {suite.env['PORTAL_MAILBOX_DIR']}   (one .eml per e-mail sent)",
        f"  Logs       {suite.logs_dir}",
        *(
            [f"  Payments   {suite.env['PORTAL_PAYMENT_PROVIDER_URL']}   (local test provider)"]
            if "PORTAL_PAYMENT_PROVIDER_URL" in suite.env
            else []
        ),
        *(
            [f"  Network    {suite.provisioning_url}   (provisioning simulator: GET /v1/received)"]
            if "PORTAL_PROVISIONING_SIMULATOR_ADDR" in suite.env
            else []
        ),
        f"Demo logins (POST {url}/v1/auth/login):",
        *logins,
        f"  activate one yourself: client number {pending['clientNumber']}, "
        f"contract {pending['contractNumber']} (see README)",
        "Ctrl-C stops everything.",
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
