"""Settings from environment variables only, with development defaults.

Every variable is `PORTAL_<NAME>`; the README lists them all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PORTS = {
    "identity": 50051,
    "ordering": 50052,
    "billing": 50053,
    "fleet": 50054,
    "assets": 50055,
    "notifications": 50056,
}


def _var_dir(env: Mapping[str, str]) -> Path:
    return Path(env.get("PORTAL_VAR_DIR", "var")).resolve()


def jwt_public_key_file(env: Mapping[str, str]) -> Path:
    """Where the public key that verifies access tokens is (services and gateway)."""
    return Path(
        env.get("PORTAL_JWT_PUBLIC_KEY_FILE", str(_var_dir(env) / "keys" / "jwt-public.pem"))
    )


def service_addr(service: str, env: Mapping[str, str] | None = None) -> str:
    """Where a service's gRPC server listens (and where the gateway finds it)."""
    env = os.environ if env is None else env
    return env.get(f"PORTAL_{service.upper()}_ADDR", f"127.0.0.1:{DEFAULT_PORTS[service]}")


# PostgreSQL connections a service process keeps open (see portal_runtime.db).
DEFAULT_DB_POOL_SIZE = 20


@dataclass(frozen=True)
class ServiceSettings:
    service: str
    grpc_addr: str
    database_url: str
    db_pool_size: int
    nats_url: str
    var_dir: Path
    jwt_public_key_file: Path
    log_level: str
    shutdown_grace_seconds: float
    env: Mapping[str, str] = field(repr=False, default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        """`PORTAL_<NAME>` or the default."""
        return self.env.get(f"PORTAL_{name}", default)

    def get_int(self, name: str, default: int) -> int:
        raw = self.get(name, "")
        return int(raw) if raw.strip() else default

    def get_float(self, name: str, default: float) -> float:
        raw = self.get(name, "")
        return float(raw) if raw.strip() else default

    def get_bool(self, name: str, default: bool = False) -> bool:
        raw = self.get(name, "").strip().lower()
        if not raw:
            return default
        return raw in {"1", "true", "yes", "on"}


def load_settings(service: str, env: Mapping[str, str] | None = None) -> ServiceSettings:
    env = dict(os.environ if env is None else env)
    var_dir = _var_dir(env)
    upper = service.upper()
    return ServiceSettings(
        service=service,
        grpc_addr=service_addr(service, env),
        database_url=env.get(f"PORTAL_{upper}_DATABASE_URL", f"sqlite:///{var_dir}/{service}.db"),
        db_pool_size=int(env.get("PORTAL_DB_POOL_SIZE", str(DEFAULT_DB_POOL_SIZE))),
        nats_url=env.get("PORTAL_NATS_URL", "nats://127.0.0.1:4222"),
        var_dir=var_dir,
        jwt_public_key_file=jwt_public_key_file(env),
        log_level=env.get("PORTAL_LOG_LEVEL", "INFO"),
        shutdown_grace_seconds=float(env.get("PORTAL_SHUTDOWN_GRACE_SECONDS", "15")),
        env=env,
    )
