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

from deploy.local import seed
from deploy.local.suite import Suite

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
    try:
        suite.start()
        marker = var_dir / ".seeded"
        if not marker.exists():
            log.info("loading demo data...")
            seed.seed(suite.gateway_url)
            marker.touch()
        _banner(suite)
        while not stopping:
            for name, proc in suite.procs.items():
                if proc.poll() is not None:
                    log.error(
                        "%s exited (%s); stopping. See %s",
                        name,
                        proc.returncode,
                        suite.logs_dir / f"{name}.log",
                    )
                    stopping = True
            time.sleep(0.5)
    finally:
        log.info("stopping...")
        suite.stop()
    return 0


def _banner(suite: Suite) -> None:
    url = suite.gateway_url
    operator = (
        f"{suite.env['PORTAL_BOOTSTRAP_OPERATOR_EMAIL']} / "
        f"{suite.env['PORTAL_BOOTSTRAP_OPERATOR_PASSWORD']}"
    )
    manager = f"{seed.MANAGER_EMAIL} / {seed.MANAGER_PASSWORD}"
    pending = seed.PENDING_ACCOUNT
    lines = [
        "",
        "Portail is running.",
        f"  API        {url}   (try: curl {url}/healthz)",
        f"  API docs   {url}/docs   OpenAPI: {url}/openapi.json",
        f"  Mailbox    {suite.env['PORTAL_MAILBOX_DIR']}   (one .eml per e-mail sent)",
        f"  Logs       {suite.logs_dir}",
        *(
            [f"  Payments   {suite.env['PORTAL_PAYMENT_PROVIDER_URL']}   (local test provider)"]
            if "PORTAL_PAYMENT_PROVIDER_URL" in suite.env
            else []
        ),
        f"Demo logins (POST {url}/v1/auth/login):",
        f"  customer manager  {manager}",
        f"                    (or client number {seed.DEMO_ACCOUNT['clientNumber']})",
        f"  operator          {operator}",
        f"  activate one yourself: client number {pending['clientNumber']}, "
        f"contract {pending['contractNumber']} (see README)",
        "Ctrl-C stops everything.",
        "",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
