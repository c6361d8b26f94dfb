"""Adapter: the common-password list behind the domain's `is_common` callable.

Prefers the 30,000-entry `passwords` frequency list shipped by the zxcvbn
package (maintained, MIT) when it is installed; otherwise falls back to
`common_passwords.txt` next to this file (its 1,000 most common entries plus its
long ones, derived from the same list).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

FALLBACK_FILE = Path(__file__).with_name("common_passwords.txt")
# Trailing decorations people add to a common word to pass length rules.
_DECORATION = "0123456789!?.-_*#@$%&+=~ "
MIN_STEM_LENGTH = 6


def _load_words() -> Iterable[str]:
    try:
        from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]
    except ImportError:
        log.info("zxcvbn not installed; using the shipped common-password list")
        lines = FALLBACK_FILE.read_text(encoding="utf-8").splitlines()
        return (line for line in lines if line and not line.startswith("#"))
    return FREQUENCY_LISTS["passwords"]


class CommonPasswords:
    """`CommonPasswords()(password)` is True when the password, lower-cased, is a
    common one, or is a common word of 6+ characters followed only by digits and
    symbols (`sunshine2024!`)."""

    def __init__(self, words: Iterable[str] | None = None) -> None:
        self._words = frozenset(w.strip().lower() for w in (words or _load_words()) if w.strip())

    def __len__(self) -> int:
        return len(self._words)

    def __call__(self, password: str) -> bool:
        lowered = password.lower()
        if lowered in self._words:
            return True
        stem = lowered.rstrip(_DECORATION)
        if len(stem) >= MIN_STEM_LENGTH and stem != lowered and stem in self._words:
            return True
        return _easily_guessed(password)


# zxcvbn's scale: 0-1 fall to an online attack within hours, 2 within days.
MIN_GUESSABILITY_SCORE = 3
# zxcvbn's cost grows with length; the first characters decide anyway.
_ESTIMATE_PREFIX = 64


def _easily_guessed(password: str) -> bool:
    """Sequences, repeats, keyboard walks and dictionary words with digits
    (`123456789012`, `qwertyuiop12`) are not in any list but guessed fast:
    NIST SP 800-63B asks to refuse them too. zxcvbn estimates that."""
    try:
        from zxcvbn import zxcvbn  # type: ignore[import-untyped]
    except ImportError:
        return False
    return zxcvbn(password[:_ESTIMATE_PREFIX])["score"] < MIN_GUESSABILITY_SCORE
