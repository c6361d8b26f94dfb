"""Files a customer attaches to a service or change request: photos (JPEG, PNG,
WebP) and PDFs, recognised by their content (not their name or the type the
client claims), at most `MAX_BYTES` each and `MAX_PER_PARENT` per request."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from portal_runtime.errors import FailedPrecondition, InvalidArgument

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_PARENT = 10
MAX_FILENAME = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")

# (content type, extension, test on the first bytes)
_KINDS: tuple[tuple[str, str, object], ...] = (
    ("image/jpeg", "jpg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ("image/png", "png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/webp", "webp", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    ("application/pdf", "pdf", lambda head: head.startswith(b"%PDF-")),
)


class ParentKind:
    SERVICE_REQUEST = "SERVICE_REQUEST"
    CONTACT_REQUEST = "CONTACT_REQUEST"


@dataclass(frozen=True)
class Attachment:
    id: str
    entity_id: str
    parent_kind: str
    parent_id: str
    filename: str
    content_type: str
    size: int
    created_at: datetime


def content_type_of(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) read from the file's first bytes, or None."""
    head = data[:16]
    for content_type, extension, matches in _KINDS:
        if matches(head):  # type: ignore[operator]
            return content_type, extension
    return None


def safe_filename(raw: str, extension: str) -> str:
    """A name safe to store and to send back in a Content-Disposition: ASCII
    letters, digits, dot, dash, underscore and space, the real extension."""
    ascii_name = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    base = _UNSAFE.sub("_", ascii_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]).strip(" ._")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[: MAX_FILENAME - len(extension) - 1] or "attachment"
    return f"{stem}.{extension}"


def check_attachment(data: bytes, filename: str, already_attached: int) -> tuple[str, str]:
    """(content type, stored filename), or the reason the file is refused."""
    if not data:
        raise InvalidArgument.for_field("file", "is empty", reason="ATTACHMENT_EMPTY")
    if len(data) > MAX_BYTES:
        raise InvalidArgument.for_field(
            "file", f"is larger than {MAX_BYTES // (1024 * 1024)} MB", reason="ATTACHMENT_TOO_LARGE"
        )
    kind = content_type_of(data)
    if kind is None:
        raise InvalidArgument.for_field(
            "file", "must be a photo (JPEG, PNG, WebP) or a PDF", reason="ATTACHMENT_TYPE"
        )
    if already_attached >= MAX_PER_PARENT:
        raise FailedPrecondition(
            "ATTACHMENTS_LIMIT", f"a request takes at most {MAX_PER_PARENT} attachments"
        )
    content_type, extension = kind
    return content_type, safe_filename(filename or "attachment", extension)
