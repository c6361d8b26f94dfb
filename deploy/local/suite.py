"""Starts the whole suite as `make run` does: NATS (unless PORTAL_NATS_URL is
set), each service and the gateway as processes, on embedded defaults. The
end-to-end and fault tests use the same class, so what they test is what a
newcomer runs."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from deploy.local.natsserver import NatsServer, free_port, wait_for_port
from portal_runtime.config import DEFAULT_PORTS
from portal_runtime.tokens import generate_keypair
from services.billing.iban_vault import write_key_file

ROOT = Path(__file__).resolve().parents[2]

# The services that exist so far; the others arrive with their issues.
SERVICES = ["identity", "notifications", "ordering", "billing", "fleet", "assets"]


class Suite:
    def __init__(
        self,
        var_dir: Path,
        *,
        env: dict[str, str] | None = None,
        random_ports: bool = False,
        services: list[str] | None = None,
    ) -> None:
        self.var_dir = var_dir.resolve()
        self.services = services or list(SERVICES)
        self.base_env = {**os.environ, **(env or {})}
        self.random_ports = random_ports
        self.nats: NatsServer | None = None
        self.procs: dict[str, subprocess.Popen] = {}
        self.modules: dict[str, str] = {}  # process name -> the module it runs
        self.env: dict[str, str] = {}
        self.logs_dir = self.var_dir / "logs"

    # -- configuration -------------------------------------------------------
    def _configure(self) -> None:
        env = dict(self.base_env)
        env["PORTAL_VAR_DIR"] = str(self.var_dir)
        env.setdefault(
            "PORTAL_JWT_PRIVATE_KEY_FILE", str(self.var_dir / "keys" / "jwt-private.pem")
        )
        env.setdefault("PORTAL_JWT_PUBLIC_KEY_FILE", str(self.var_dir / "keys" / "jwt-public.pem"))
        env.setdefault("PORTAL_MAILBOX_DIR", str(self.var_dir / "mailbox"))
        for name in self.services:
            default = f"127.0.0.1:{free_port() if self.random_ports else DEFAULT_PORTS[name]}"
            env.setdefault(f"PORTAL_{name.upper()}_ADDR", default)
        gateway_port = free_port() if self.random_ports else 8080
        env.setdefault("PORTAL_GATEWAY_ADDR", f"127.0.0.1:{gateway_port}")
        # The customer web portal: e-mails link to it; it calls the gateway.
        web_port = free_port() if self.random_ports else 8000
        env.setdefault("PORTAL_WEB_ADDR", f"127.0.0.1:{web_port}")
        env.setdefault("PORTAL_WEB_URL", f"http://{env['PORTAL_WEB_ADDR']}")
        env.setdefault("PORTAL_WEB_GATEWAY_URL", f"http://{env['PORTAL_GATEWAY_ADDR']}")
        if "billing" in self.services:
            # The local test payment provider stands in for a real one: billing
            # creates checkouts there, and it posts signed webhooks back
            # through the gateway, as a real provider would.
            provider_port = free_port() if self.random_ports else 8090
            env.setdefault("PORTAL_PAYMENT_PROVIDER_ADDR", f"127.0.0.1:{provider_port}")
            env.setdefault(
                "PORTAL_PAYMENT_PROVIDER_URL", f"http://{env['PORTAL_PAYMENT_PROVIDER_ADDR']}"
            )
            env.setdefault(
                "PORTAL_PAYMENT_WEBHOOK_URL",
                f"http://{env['PORTAL_GATEWAY_ADDR']}/v1/payments/webhook",
            )
            env.setdefault("PORTAL_PAYMENT_WEBHOOK_SECRET", secrets.token_hex(24))
            # The portal's pay buttons continue on the provider's page.
            env.setdefault("PORTAL_WEB_PAYMENT_ORIGINS", env["PORTAL_PAYMENT_PROVIDER_URL"])
            # The key mandates' IBANs are encrypted with (created at start if missing).
            env.setdefault(
                "PORTAL_BILLING_IBAN_KEY_FILE", str(self.var_dir / "keys" / "billing-iban-keys")
            )
        if "fleet" in self.services:
            # The provisioning simulator stands in for the operator's network
            # side: fleet applies each line change there.
            simulator_port = free_port() if self.random_ports else 8091
            env.setdefault("PORTAL_PROVISIONING_SIMULATOR_ADDR", f"127.0.0.1:{simulator_port}")
            env.setdefault(
                "PORTAL_FLEET_PROVISIONING_URL",
                f"http://{env['PORTAL_PROVISIONING_SIMULATOR_ADDR']}",
            )
            if self.random_ports:
                # A test suite: lines are applied at once; `make run` keeps the
                # simulator's realistic delay.
                env.setdefault("PORTAL_PROVISIONING_DELAY_MS", "0")
        env.setdefault("PORTAL_GATEWAY_SERVICES", ",".join(self.services))
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.env = env

    @property
    def gateway_url(self) -> str:
        return f"http://{self.env['PORTAL_GATEWAY_ADDR']}"

    @property
    def provisioning_url(self) -> str:
        """The provisioning simulator's (tests read `/v1/received`, drive `/v1/control`)."""
        return f"http://{self.env['PORTAL_PROVISIONING_SIMULATOR_ADDR']}"

    # -- lifecycle -----------------------------------------------------------
    def start(self, timeout: float = 60.0) -> Suite:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self._configure()
        private = Path(self.env["PORTAL_JWT_PRIVATE_KEY_FILE"])
        public = Path(self.env["PORTAL_JWT_PUBLIC_KEY_FILE"])
        if not private.exists() or not public.exists():
            generate_keypair(private, public)
        # Billing's IBAN key: a dev one when none is given, like the JWT pair.
        iban_keys = Path(self.env.get("PORTAL_BILLING_IBAN_KEY_FILE", ""))
        given = bool(self.env.get("PORTAL_BILLING_IBAN_KEYS")) or iban_keys.exists()
        if "billing" in self.services and not given:
            write_key_file(iban_keys)
        if "PORTAL_NATS_URL" not in self.base_env:
            port = (
                free_port()
                if self.random_ports
                else int(self.base_env.get("PORTAL_NATS_PORT", free_port()))
            )
            self.nats = NatsServer(
                self.var_dir / "jetstream", port=port, log_file=self.logs_dir / "nats.log"
            ).start()
            self.env["PORTAL_NATS_URL"] = self.nats.url
        if "billing" in self.services:
            self._spawn("payment-provider", "deploy.local.payment_provider")
            wait_for_port(int(self.env["PORTAL_PAYMENT_PROVIDER_ADDR"].rsplit(":", 1)[1]), 30)
        if "fleet" in self.services:
            self._spawn("provisioning-simulator", "deploy.local.provisioning_simulator")
            wait_for_port(int(self.env["PORTAL_PROVISIONING_SIMULATOR_ADDR"].rsplit(":", 1)[1]), 30)
        for name in self.services:
            self.start_service(name)
        self.start_gateway()
        self.start_web()
        self.wait_ready(timeout)
        return self

    def _spawn(self, name: str, module: str) -> None:
        self.modules[name] = module
        log = open(self.logs_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        self.procs[name] = subprocess.Popen(  # noqa: S603 - our own modules
            [sys.executable, "-m", module],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own session: Ctrl-C reaches the launcher only, which then
            # stops everything in order (gateway, services, NATS last).
            start_new_session=True,
        )

    def restart(self, name: str) -> None:
        """Starts an exited process again, as it was first started."""
        self._spawn(name, self.modules[name])

    def start_service(self, name: str) -> None:
        self._spawn(name, f"services.{name}")

    def start_gateway(self) -> None:
        self._spawn("gateway", "gateway")
        port = int(self.env["PORTAL_GATEWAY_ADDR"].rsplit(":", 1)[1])
        wait_for_port(port, timeout=30)

    def start_web(self, timeout: float = 30.0) -> None:
        self._spawn("web", "web")
        port = int(self.env["PORTAL_WEB_ADDR"].rsplit(":", 1)[1])
        deadline = time.monotonic() + timeout
        while True:
            if self.procs["web"].poll() is not None:  # crashed at start: say so now
                raise RuntimeError(f"web exited; see {self.logs_dir / 'web.log'}")
            try:
                wait_for_port(port, timeout=0.5)
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise

    @property
    def web_url(self) -> str:
        return f"http://{self.env['PORTAL_WEB_ADDR']}"

    def stop_process(self, name: str, *, kill: bool = False, timeout: float = 25.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    log_file = self.logs_dir / f"{name}.log"
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see {log_file}")
            try:
                answer = httpx.get(f"{self.gateway_url}/readyz", timeout=2)
                if answer.status_code == 200:
                    return
                last = answer.text
            except httpx.HTTPError as exc:
                last = str(exc)
            time.sleep(0.2)
        raise TimeoutError(f"the suite is not ready after {timeout}s: {last}")

    def stop(self) -> None:
        # The portal and the gateway first (no new calls), then the services
        # together (each drains and flushes its outbox), NATS last.
        for front in ("web", "gateway"):
            if front in self.procs:
                self.stop_process(front)
        running = {name: proc for name, proc in self.procs.items() if proc.poll() is None}
        for proc in running.values():
            proc.send_signal(signal.SIGTERM)
        for name in running:
            self.stop_process(name)  # waits for it (it already has the signal)
        self.procs.clear()
        if self.nats is not None:
            self.nats.stop()
