"""The browser session: the user's tokens, the CSRF token, the language and
one-time messages, kept in an encrypted (Fernet, rotating keys) HttpOnly
cookie, SameSite=Lax, Secure outside a plain-HTTP localhost. Nothing is stored
server-side: any replica reads it; logout ends the session in identity too."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "portail_session"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


@dataclass
class Session:
    access_token: str = ""
    refresh_token: str = ""
    # A first login's restricted token (password change pending).
    first_login_token: str = ""
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    language: str = ""
    # One-time messages shown on the next page: (level, text).
    flashes: list[tuple[str, str]] = field(default_factory=list)
    # Who is signed in, as /v1/me said at sign-in (menus; the API decides).
    user_name: str = ""
    entity_name: str = ""
    permissions: list[str] = field(default_factory=list)
    operator: bool = False

    def may(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def signed_in(self) -> bool:
        return bool(self.access_token)

    def flash(self, text: str, level: str = "info") -> None:
        self.flashes.append((level, text))

    def take_flashes(self) -> list[tuple[str, str]]:
        taken, self.flashes = self.flashes, []
        return taken

    def sign_in(self, tokens: dict) -> None:
        """A new session from the API's `{accessToken, refreshToken}`: a fresh
        CSRF token too (no fixation across the login)."""
        self.access_token = tokens.get("accessToken", "")
        self.refresh_token = tokens.get("refreshToken", "")
        self.first_login_token = ""
        self.csrf = secrets.token_urlsafe(24)

    def sign_out(self) -> None:
        language = self.language
        self.__init__()  # type: ignore[misc]
        self.language = language


def load_keys(keys: tuple[str, ...], key_file: Path) -> MultiFernet:
    """The configured keys, else the key file (created, owner-only, on first use)."""
    if not keys:
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as out:
                out.write(Fernet.generate_key().decode("ascii") + "\n")
        keys = tuple(k.strip() for k in key_file.read_text("ascii").splitlines() if k.strip())
    return MultiFernet([Fernet(k.encode("ascii")) for k in keys])


class SessionCodec:
    def __init__(self, fernet: MultiFernet, *, max_age: int, secure: bool) -> None:
        self.fernet = fernet
        self.max_age = max_age
        self.secure = secure

    def read(self, request: Request) -> Session:
        raw = request.cookies.get(COOKIE, "")
        if not raw:
            return Session()
        try:
            data = json.loads(self.fernet.decrypt(raw.encode("ascii"), ttl=self.max_age))
            data["flashes"] = [tuple(f) for f in data.get("flashes", [])]
            return Session(**data)
        except (InvalidToken, ValueError, TypeError, UnicodeError):
            return Session()  # tampered, expired or from an older format: a fresh one

    def write(self, response: Response, session: Session) -> None:
        token = self.fernet.encrypt(json.dumps(asdict(session)).encode()).decode("ascii")
        response.set_cookie(
            COOKIE,
            token,
            max_age=self.max_age,
            httponly=True,
            secure=self.secure,
            samesite="lax",
            path="/",
        )
