"""Every string of the portal (templates and page code, extracted by Babel as
`pybabel extract -F web/babel.cfg` does) has its French translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from web.i18n import load_translations

ROOT = Path(__file__).resolve().parents[3]


def _extracted() -> dict[str | tuple[str, int], str]:
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    options = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, options_map=options
    ):
        # A plural (singular, plural) is catalogued as (singular, 0).
        msgid = (message[0], 0) if isinstance(message, tuple) else message
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
        if (msgid[0] if isinstance(msgid, tuple) else msgid).strip() and not french.get(msgid)
    }
    assert not missing, "no French for:\n" + "\n".join(f"{w}: {m!r}" for m, w in missing.items())


def test_no_string_has_two_french_translations() -> None:
    """Every area's catalogue merges into one: the same English in two files
    must read the same in French, else the last file loaded would win."""
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for po in sorted((ROOT / "web" / "locale" / "fr" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as source:
            for message in read_po(source, locale="fr"):
                if not message.id or not isinstance(message.id, str):
                    continue
                text = message.string if isinstance(message.string, str) else str(message.string)
                first = seen.setdefault(message.id, (po.name, text))
                if first[1] != text:
                    clashes.append(f"{message.id!r}: {first[0]} {first[1]!r} / {po.name} {text!r}")
    assert not clashes, "\n".join(clashes)
