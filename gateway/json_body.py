"""What a JSON route takes as its body: `application/json` in UTF-8, nested at
most `MAX_DEPTH` levels. Everything else is refused before decoding, with a
clear status: 415 for another media type or encoding, 400 for a body too deep
(decoding it would exhaust the recursion limit of the JSON and protobuf parsers)."""

from __future__ import annotations

import json
import re
from typing import Any

from gateway.errors import HttpError

# No request message of the API nests deeper than a few levels; 32 leaves room
# and stays far below Python's recursion limit.
MAX_DEPTH = 32
JSON_MEDIA_TYPES = frozenset({"application/json"})

# Escapes, quotes and brackets: enough to follow nesting while skipping strings.
_TOKENS = re.compile(r'\\.|["\[\]{}]', re.DOTALL)


def check_media_type(content_type_header: str) -> None:
    """415 unless the header names JSON in UTF-8 (or is absent: simple clients
    send none, and the body is then read as JSON)."""
    if not content_type_header.strip():
        return
    media_type, *params = (part.strip() for part in content_type_header.split(";"))
    if media_type.lower() not in JSON_MEDIA_TYPES:
        raise HttpError(
            415,
            f"this route takes application/json, not {media_type or 'an empty media type'}",
            reason="UNSUPPORTED_MEDIA_TYPE",
        )
    for param in params:
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise HttpError(
                415, f"JSON bodies are UTF-8, not {charset}", reason="UNSUPPORTED_CHARSET"
            )


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest more than `limit` levels (strings skipped)."""
    depth = 0
    in_string = False
    for match in _TOKENS.finditer(text):
        char = match.group()
        if in_string:
            in_string = char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def decode_json(data: bytes) -> Any:
    """The body's JSON document: 415 when it is not UTF-8 (a UTF-16 body, say),
    400 when it nests too deep or does not parse."""
    # JSON text never holds a raw NUL: one means UTF-16 or UTF-32 (even ASCII
    # text in UTF-16 without a BOM decodes as "UTF-8" with NULs in between).
    if b"\x00" in data:
        raise HttpError(415, "JSON bodies must be UTF-8", reason="UNSUPPORTED_CHARSET")
    try:
        text = data.decode("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError:
        raise HttpError(415, "JSON bodies must be UTF-8", reason="UNSUPPORTED_CHARSET") from None
    if too_deep(text):
        raise HttpError(
            400,
            f"the request body nests more than {MAX_DEPTH} levels",
            reason="JSON_TOO_DEEP",
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise HttpError(
            400, f"the request body is not valid JSON: {exc}", reason="INVALID_JSON"
        ) from None
