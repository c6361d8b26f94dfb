from __future__ import annotations

import random
import string

import pytest

from portal_runtime.errors import InvalidArgument
from services.identity.common_passwords import CommonPasswords
from services.identity.domain.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    PasswordPolicy,
    generate_temporary_password,
)

COMMON = CommonPasswords(["password", "sunshine", "qwertyuiop123", "iloveyou"])
POLICY = PasswordPolicy(is_common=COMMON)


def test_accepts_a_long_uncommon_password() -> None:
    POLICY.check("correct horse battery staple")


@pytest.mark.parametrize("length", [MIN_LENGTH - 1, 1, 0])
def test_too_short(length: int) -> None:
    with pytest.raises(InvalidArgument) as err:
        POLICY.check("x" * length, field="newPassword")
    assert err.value.reason == "WEAK_PASSWORD"
    assert err.value.violations[0].field == "newPassword"
    assert "at least 12" in err.value.violations[0].description


def test_bounds_are_inclusive() -> None:
    POLICY.check("Tz8!qLm3#Vw2")  # 12
    alphabet = string.ascii_letters + string.digits + "!?#"
    POLICY.check("".join(random.Random(7).choices(alphabet, k=MAX_LENGTH)))  # 128
    with pytest.raises(InvalidArgument):
        POLICY.check("c" * (MAX_LENGTH + 1))


@pytest.mark.parametrize(
    "password",
    ["QWERTYUIOP123", "sunshine2024!!", "Password123456", "123456789012", "abcdefghijkl"],
)
def test_common_passwords_and_decorated_common_words(password: str) -> None:
    assert POLICY.problems(password) == ["is too common; choose a less predictable password"]


def test_must_not_contain_email_local_part() -> None:
    problems = POLICY.problems("my-JeanDupont-secret", email="jeandupont@example.fr")
    assert problems == ["must not contain your e-mail address"]
    # A very short local part is not meaningful enough to forbid.
    assert POLICY.problems("my-jo-secret-long", email="jo@example.fr") == []


def test_must_differ_from_current() -> None:
    problems = POLICY.problems("same old password", matches_current=lambda p: True)
    assert problems == ["must differ from the current password"]
    assert POLICY.problems("a brand new password", matches_current=lambda p: False) == []


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(InvalidArgument) as err:
        POLICY.check(
            "iloveyou",
            email="someone@example.fr",
            matches_current=lambda p: True,
        )
    assert len(err.value.violations) == 1  # too short stops the rest
    with pytest.raises(InvalidArgument) as err:
        POLICY.check("someone-is-here", email="someone@example.fr", matches_current=lambda p: True)
    assert len(err.value.violations) == 2


def test_shipped_or_packaged_list_is_large_and_catches_classics() -> None:
    common = CommonPasswords()
    assert len(common) >= 1000
    assert common("password") and common("Password1234") and common("qwerty123456")
    assert not common("correct horse battery staple")


def test_shipped_fallback_file_loads() -> None:
    from services.identity.common_passwords import FALLBACK_FILE

    words = [w for w in FALLBACK_FILE.read_text().splitlines() if w and not w.startswith("#")]
    assert len(CommonPasswords(words)) > 1000


def test_temporary_passwords_are_random_and_pass_the_policy() -> None:
    first, second = generate_temporary_password(), generate_temporary_password()
    assert first != second and len(first) == 16
    PasswordPolicy(is_common=CommonPasswords()).check(first)
