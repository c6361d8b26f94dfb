"""Mandates' full IBANs, encrypted at rest with Fernet (AES-128-CBC and
HMAC-SHA256, from `cryptography`) under a MultiFernet: the first key encrypts,
every key decrypts, so keys rotate by putting a new one first and keeping the old
ones until `rotate` has re-encrypted what they sealed.

Keys: PORTAL_BILLING_IBAN_KEYS (comma-separated Fernet keys), else the file
PORTAL_BILLING_IBAN_KEY_FILE (default `<var>/keys/billing-iban-keys`, one key
per line; `make run` creates it). Without either, billing does not start: a
mandate it could not debit is worse than no service."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from portal_runtime.config import ServiceSettings
from portal_runtime.errors import FailedPrecondition

KEYS_VARIABLE = "PORTAL_BILLING_IBAN_KEYS"
KEY_FILE_VARIABLE = "PORTAL_BILLING_IBAN_KEY_FILE"


class IbanKeysMissing(RuntimeError):
    """Billing was started without usable keys for mandates' IBANs."""


class IbanVault:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise IbanKeysMissing("no IBAN encryption key given")
        fernets: list[Fernet] = []
        for number, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip().encode("ascii")))
            except (ValueError, UnicodeEncodeError):
                raise IbanKeysMissing(
                    f"IBAN key #{number} is not a Fernet key (32 url-safe base64-encoded "
                    "bytes, as `Fernet.generate_key()` makes)"
                ) from None
        self._fernet = MultiFernet(fernets)

    def seal(self, iban: str) -> str:
        """The IBAN encrypted under the first key (a Fernet token, ASCII)."""
        return self._fernet.encrypt(iban.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        """The IBAN a token holds; FAILED_PRECONDITION when none of the keys opens
        it (a key was dropped before its tokens were rotated)."""
        return self._unseal(self._fernet.decrypt, sealed).decode("utf-8")

    def rotate(self, sealed: str) -> str:
        """The same IBAN sealed again under the first key."""
        return self._unseal(self._fernet.rotate, sealed).decode("ascii")

    @staticmethod
    def _unseal(operation: Callable[[bytes], bytes], sealed: str) -> bytes:
        try:
            return operation(sealed.encode("ascii"))
        except InvalidToken:
            raise FailedPrecondition(
                "IBAN_KEY_UNKNOWN", "a mandate's IBAN cannot be decrypted with the keys given"
            ) from None


def parse_keys(raw: str) -> list[str]:
    """Keys separated by commas or new lines; blank entries and `#` comments ignored."""
    keys: list[str] = []
    for line in raw.replace(",", "\n").splitlines():
        key = line.strip()
        if key and not key.startswith("#"):
            keys.append(key)
    return keys


def key_file(settings: ServiceSettings) -> Path:
    default = settings.var_dir / "keys" / "billing-iban-keys"
    return Path(settings.get("BILLING_IBAN_KEY_FILE", str(default)))


def vault_from_settings(settings: ServiceSettings) -> IbanVault:
    """The vault over PORTAL_BILLING_IBAN_KEYS, else the key file; IbanKeysMissing
    saying what to set when neither gives a key."""
    raw = settings.get("BILLING_IBAN_KEYS")
    source = KEYS_VARIABLE
    if not raw.strip():
        path = key_file(settings)
        source = f"{KEY_FILE_VARIABLE} ({path})"
        raw = path.read_text(encoding="ascii") if path.is_file() else ""
    keys = parse_keys(raw)
    if not keys:
        raise IbanKeysMissing(
            "billing cannot start: mandates' IBANs are kept encrypted and no key was given. "
            f"Set {KEYS_VARIABLE} (comma-separated Fernet keys, the first encrypts) or "
            f"{KEY_FILE_VARIABLE} (a file with one key per line; default "
            f"<var>/keys/billing-iban-keys, which `make run` creates). Make a key with: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key()"
            ".decode())'"
        )
    try:
        return IbanVault(keys)
    except IbanKeysMissing as error:
        raise IbanKeysMissing(f"billing cannot start: {source}: {error}") from None


def write_key_file(path: Path) -> None:
    """A fresh key in a new file readable by its owner only (development)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(Fernet.generate_key().decode("ascii") + "\n")
