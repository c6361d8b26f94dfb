"""The gateway reads its settings from the environment it is given, with the
services' own defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import GatewaySettings
from portal_runtime.config import load_settings


def test_backends_default_to_the_addresses_the_services_listen_on() -> None:
    settings = GatewaySettings.from_env({})
    for domain in ("identity", "ordering", "billing", "fleet", "assets", "notifications"):
        assert settings.backend_addr(domain) == load_settings(domain, {}).grpc_addr


def test_only_the_given_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_BILLING_ADDR", "127.0.0.9:1")
    monkeypatch.setenv("PORTAL_JWT_PUBLIC_KEY_FILE", "/elsewhere/key.pem")
    settings = GatewaySettings.from_env({"PORTAL_ORDERING_ADDR": "127.0.0.1:6000"})
    assert settings.backend_addr("ordering") == "127.0.0.1:6000"
    assert settings.backend_addr("billing") == "127.0.0.1:50053"
    assert settings.jwt_public_key_file == load_settings("billing", {}).jwt_public_key_file


def test_key_file_follows_the_var_dir(tmp_path: Path) -> None:
    settings = GatewaySettings.from_env({"PORTAL_VAR_DIR": str(tmp_path)})
    assert settings.jwt_public_key_file == tmp_path.resolve() / "keys" / "jwt-public.pem"


def test_an_unknown_domain_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_BILLBOARD_ADDR", "127.0.0.1:7000")
    with pytest.raises(LookupError, match="billboard"):
        GatewaySettings.from_env({}).backend_addr("billboard")
