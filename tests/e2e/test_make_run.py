"""`make run` as a newcomer runs it: the launcher starts everything, loads the
demo data, prints where to go, serves the demo logins, and Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from deploy.local import seed
from deploy.local.natsserver import free_port
from deploy.local.suite import ROOT, SERVICES


def test_make_run_starts_the_suite_with_demo_data_and_stops_on_ctrl_c(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PORTAL_VAR_DIR"] = str(tmp_path / "var")
    gateway = f"127.0.0.1:{free_port()}"
    env["PORTAL_GATEWAY_ADDR"] = gateway
    for name in SERVICES:
        env[f"PORTAL_{name.upper()}_ADDR"] = f"127.0.0.1:{free_port()}"
    out = open(tmp_path / "run.out", "w+b")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.local.run"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while b"Portail is running" not in (tmp_path / "run.out").read_bytes():
            assert proc.poll() is None, (tmp_path / "run.out").read_text()
            assert time.monotonic() < deadline, (tmp_path / "run.out").read_text()
            time.sleep(0.2)
        banner = (tmp_path / "run.out").read_text()
        assert f"http://{gateway}" in banner
        assert seed.MANAGER_EMAIL in banner and seed.OPERATOR_EMAIL in banner

        base = f"http://{gateway}"
        manager = httpx.post(
            f"{base}/v1/auth/login",
            json={"login": seed.MANAGER_EMAIL, "password": seed.MANAGER_PASSWORD},
        )
        assert manager.status_code == 200, manager.text
        me = httpx.get(
            f"{base}/v1/me", headers={"Authorization": f"Bearer {manager.json()['accessToken']}"}
        )
        assert me.json()["currentEntity"]["clientNumber"] == seed.DEMO_ACCOUNT["clientNumber"]
        orders = httpx.get(
            f"{base}/v1/orders",
            headers={"Authorization": f"Bearer {manager.json()['accessToken']}"},
        )
        assert [len(o["lines"]) for o in orders.json()["orders"]] == [3], orders.text
        assert httpx.get(f"{base}/openapi.json").status_code == 200
        # The activation e-mail landed in the mailbox folder as an .eml file.
        mails = list((tmp_path / "var" / "mailbox").glob("*.eml"))
        assert mails, "the mailbox folder holds the e-mails sent"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, (tmp_path / "run.out").read_text()
    # Every child is gone: nothing listens on the gateway port any more.
    try:
        httpx.get(f"http://{gateway}/healthz", timeout=1)
        raise AssertionError("the gateway still answers after Ctrl-C")
    except httpx.TransportError:
        pass
