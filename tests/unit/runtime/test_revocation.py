"""Sessions identity ended are refused by every service's token verifier until
their tokens expire."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal_runtime.errors import Unauthenticated
from portal_runtime.revocation import EndedSessions
from portal_runtime.tokens import TokenIssuer, TokenVerifier, generate_keypair


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_ended_sessions_are_kept_until_their_tokens_expire() -> None:
    clock = Clock(1_000.0)
    ended = EndedSessions(clock)
    ended.add(["s1", "s2", ""], until=1_900.0)
    assert ended.ended("s1") and ended.ended("s2")
    assert not ended.ended("s3") and not ended.ended("")
    ended.add(["s1"], until=1_500.0)  # an earlier expiry never shortens the first
    clock.now = 1_901.0
    ended.add(["s4"], until=2_500.0)  # adding prunes what expired
    assert not ended.ended("s1") and ended.ended("s4")
    assert len(ended) == 1


def test_the_verifier_refuses_a_token_of_an_ended_session(tmp_path: Path) -> None:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub"
    generate_keypair(private, public)
    issuer = TokenIssuer(private.read_bytes())
    ended = EndedSessions()
    verifier = TokenVerifier(public.read_bytes(), session_ended=ended.ended)
    token = issuer.issue(user_id="u1", entity_id="e1", permissions=[], session_id="fam-1")
    other = issuer.issue(user_id="u1", entity_id="e1", permissions=[], session_id="fam-2")
    assert verifier.verify(token).session_id == "fam-1"
    ended.add(["fam-1"], until=issuer_expiry(verifier, token))
    with pytest.raises(Unauthenticated) as caught:
        verifier.verify(token)
    assert caught.value.reason == "SESSION_ENDED"
    assert verifier.verify(other).session_id == "fam-2"


def issuer_expiry(verifier: TokenVerifier, token: str) -> float:
    return float(verifier.verify(token).expires_at)
