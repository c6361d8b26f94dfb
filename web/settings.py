"""The web portal's settings, read from the environment once by the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_ADDR = "127.0.0.1:8000"
DEFAULT_GATEWAY_URL = "http://127.0.0.1:8080"


def _var_dir(env: Mapping[str, str]) -> Path:
    return Path(env.get("PORTAL_VAR_DIR", "var"))


def _origins(raw: str) -> tuple[str, ...]:
    """`scheme://host[:port]` of each comma-separated URL (paths dropped)."""
    found = []
    for item in raw.split(","):
        url = urlparse(item.strip())
        if url.scheme in ("http", "https") and url.netloc:
            found.append(f"{url.scheme}://{url.netloc}")
    return tuple(found)


@dataclass(frozen=True)
class WebSettings:
    addr: str = DEFAULT_ADDR
    # Where the public REST API answers (the gateway).
    gateway_url: str = DEFAULT_GATEWAY_URL
    # The portal's public address (links, cookies' Secure flag).
    public_url: str = f"http://{DEFAULT_ADDR}"
    # Fernet keys (newest first) encrypting the session cookie; several allow rotation.
    session_keys: tuple[str, ...] = ()
    session_key_file: Path = Path("var/keys/web-session.key")
    # A session lasts at most this long without activity.
    session_max_age_seconds: int = 12 * 3600
    timeout_seconds: float = 30.0
    # The payment provider's origins: pay buttons' forms continue there (CSP form-action).
    payment_origins: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebSettings:
        env = os.environ if env is None else env
        addr = env.get("PORTAL_WEB_ADDR", DEFAULT_ADDR)
        keys = tuple(
            k.strip() for k in env.get("PORTAL_WEB_SESSION_KEYS", "").split(",") if k.strip()
        )
        return cls(
            addr=addr,
            gateway_url=env.get("PORTAL_WEB_GATEWAY_URL", DEFAULT_GATEWAY_URL).rstrip("/"),
            public_url=env.get("PORTAL_WEB_URL", f"http://{addr}").rstrip("/"),
            session_keys=keys,
            session_key_file=Path(
                env.get(
                    "PORTAL_WEB_SESSION_KEY_FILE", str(_var_dir(env) / "keys" / "web-session.key")
                )
            ),
            session_max_age_seconds=int(
                env.get("PORTAL_WEB_SESSION_MAX_AGE_SECONDS", str(12 * 3600))
            ),
            timeout_seconds=float(env.get("PORTAL_WEB_TIMEOUT_SECONDS", "30")),
            payment_origins=_origins(env.get("PORTAL_WEB_PAYMENT_ORIGINS", "")),
        )

    @property
    def secure_cookies(self) -> bool:
        """Cookies are Secure everywhere but a plain-HTTP localhost."""
        url = urlparse(self.public_url)
        return url.scheme == "https" or url.hostname not in ("127.0.0.1", "localhost", "::1")
