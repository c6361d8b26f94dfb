"""Every string of the portal (templates and page code, extracted by Babel as
`pybabel extract -F web/babel.cfg` does) has its French translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from web.i18n import load_translations

ROOT = Path(__file__).resolve().parents[3]


def _extracted() -> dict[str, str]:
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    options = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, options_map=options
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_strings_are_extracted() -> None:
    assert "Sign in to your customer area" in _extracted()


def test_every_string_has_a_french_translation() -> None:
    # In the catalogue, even where French writes it the same ("Parking").
    french = load_translations()["fr"]._catalog  # type: ignore[attr-defined]
    missing = {
        msgid: where
        for msgid, where in _extracted().items()
        if msgid.strip() and not french.get(msgid)
    }
    assert not missing, "no French for:\n" + "\n".join(f"{w}: {m!r}" for m, w in missing.items())
