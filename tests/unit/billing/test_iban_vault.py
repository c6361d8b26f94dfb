"""Mandates' IBANs at rest: Fernet round trip, key rotation (the first key
encrypts, every key decrypts), keys from the variable or the file, and billing
refusing to start without any."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from portal_runtime.config import load_settings
from portal_runtime.errors import FailedPrecondition
from services.billing.__main__ import bootstrap
from services.billing.iban_vault import (
    IbanKeysMissing,
    IbanVault,
    parse_keys,
    vault_from_settings,
    write_key_file,
)

IBAN = "FR7630006000011234567890189"


def test_round_trip_never_shows_the_iban() -> None:
    vault = IbanVault([Fernet.generate_key().decode()])
    sealed = vault.seal(IBAN)
    assert IBAN not in sealed and "30006" not in sealed
    assert vault.seal(IBAN) != sealed  # a fresh IV each time
    assert vault.open(sealed) == IBAN


def test_rotation_new_key_first_old_keys_still_open() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_by_old = IbanVault([old]).seal(IBAN)
    rotated_vault = IbanVault([new, old])
    assert rotated_vault.open(sealed_by_old) == IBAN
    sealed_by_new = rotated_vault.seal(IBAN)
    assert IbanVault([new]).open(sealed_by_new) == IBAN  # the first key encrypts
    with pytest.raises(FailedPrecondition):
        IbanVault([old]).open(sealed_by_new)
    rotated = rotated_vault.rotate(sealed_by_old)
    assert IbanVault([new]).open(rotated) == IBAN  # the old key can now go
    with pytest.raises(FailedPrecondition) as unknown:
        IbanVault([new]).open(sealed_by_old)
    assert unknown.value.reason == "IBAN_KEY_UNKNOWN"


def test_keys_from_the_variable_else_the_file(tmp_path: Path) -> None:
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert parse_keys(f" {first} ,\n{second},,# old\n") == [first, second]
    settings = load_settings(
        "billing",
        {"PORTAL_VAR_DIR": str(tmp_path), "PORTAL_BILLING_IBAN_KEYS": f"{first},{second}"},
    )
    sealed = vault_from_settings(settings).seal(IBAN)
    assert IbanVault([first]).open(sealed) == IBAN

    default_file = tmp_path / "keys" / "billing-iban-keys"
    write_key_file(default_file)
    assert default_file.stat().st_mode & 0o077 == 0  # the owner's only
    with pytest.raises(FileExistsError):
        write_key_file(default_file)  # never overwrites a key in use
    on_file = vault_from_settings(load_settings("billing", {"PORTAL_VAR_DIR": str(tmp_path)}))
    key = default_file.read_text().strip()
    assert IbanVault([key]).open(on_file.seal(IBAN)) == IBAN

    elsewhere = tmp_path / "other-keys"
    elsewhere.write_text(f"{second}\n{first}\n")
    chosen = load_settings(
        "billing",
        {"PORTAL_VAR_DIR": str(tmp_path), "PORTAL_BILLING_IBAN_KEY_FILE": str(elsewhere)},
    )
    assert IbanVault([second]).open(vault_from_settings(chosen).seal(IBAN)) == IBAN


def test_billing_refuses_to_start_without_keys(tmp_path: Path) -> None:
    settings = load_settings("billing", {"PORTAL_VAR_DIR": str(tmp_path)})
    with pytest.raises(IbanKeysMissing) as missing:
        bootstrap(settings)
    message = str(missing.value)
    assert "PORTAL_BILLING_IBAN_KEYS" in message and "PORTAL_BILLING_IBAN_KEY_FILE" in message
    bad = load_settings(
        "billing", {"PORTAL_VAR_DIR": str(tmp_path), "PORTAL_BILLING_IBAN_KEYS": "not-a-key"}
    )
    with pytest.raises(IbanKeysMissing) as invalid:
        bootstrap(bad)
    assert "PORTAL_BILLING_IBAN_KEYS" in str(invalid.value) and "#1" in str(invalid.value)
