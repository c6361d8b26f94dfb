"""Opaque page tokens and page sizes, the same for every list (AIP-158)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from portal_runtime.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int

    def next_token(self, has_more: bool) -> str:
        return encode_token(self.offset + self.limit) if has_more else ""


def encode_token(offset: int) -> str:
    raw = json.dumps({"o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_page(
    page_size: int,
    page_token: str,
    *,
    default: int = DEFAULT_PAGE_SIZE,
    maximum: int = MAX_PAGE_SIZE,
) -> Page:
    """Clamp the size, decode the token. Query `limit + 1` rows to learn
    whether there is a next page."""
    if page_size < 0:
        raise InvalidArgument.for_field("pageSize", "must not be negative")
    limit = min(page_size or default, maximum)
    offset = 0
    if page_token:
        try:
            padded = page_token + "=" * (-len(page_token) % 4)
            offset = int(json.loads(base64.urlsafe_b64decode(padded))["o"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidArgument.for_field("pageToken", "is not a token this list gave") from exc
        if offset < 0:
            raise InvalidArgument.for_field("pageToken", "is not a token this list gave")
    return Page(offset=offset, limit=limit)
