"""The token verifier remembers tokens it has checked; a remembered token is
still refused once expired, and only the exact string it checked is remembered."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from portal_runtime.errors import Unauthenticated
from portal_runtime.tokens import TokenIssuer, TokenVerifier, generate_keypair


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def keys(tmp_path: Path) -> tuple[bytes, bytes]:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub"
    generate_keypair(private, public)
    return private.read_bytes(), public.read_bytes()


def test_a_checked_token_is_refused_once_it_expires(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    issuer = TokenIssuer(private, ttl_seconds=900)
    clock = Clock(0.0)
    verifier = TokenVerifier(public, leeway_seconds=10, clock=clock)
    now = time.time()
    token = issuer.issue(user_id="u1", entity_id="e1", permissions=["orders.read"], now=now)
    clock.now = now
    assert verifier.verify(token).has("orders.read")
    clock.now = now + 900 + 9  # within the leeway: still good
    assert verifier.verify(token).user_id == "u1"
    clock.now = now + 900 + 10
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.reason == "TOKEN_EXPIRED"


def test_a_token_differing_from_a_checked_one_is_checked_again(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    issuer = TokenIssuer(private)
    verifier = TokenVerifier(public)
    token = issuer.issue(user_id="u1", entity_id="e1", permissions=[])
    assert verifier.verify(token).entity_id == "e1"
    header, payload, signature = token.split(".")
    forged = ".".join(
        [header, payload, signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")]
    )
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(forged)
    assert caught.value.reason == "TOKEN_INVALID"
    # The original still verifies after the forgery was refused.
    assert verifier.verify(token).user_id == "u1"
