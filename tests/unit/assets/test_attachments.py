"""Attachments are recognised by their content, bounded in size and number,
and stored under a safe name."""

from __future__ import annotations

import pytest

from portal_runtime.errors import FailedPrecondition, InvalidArgument
from services.assets.domain.attachments import (
    MAX_BYTES,
    MAX_PER_PARENT,
    check_attachment,
    safe_filename,
)

JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
PDF = b"%PDF-1.7\n" + b"\0" * 100
WEBP = b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 100


@pytest.mark.parametrize(
    ("data", "content_type", "name"),
    [
        (JPEG, "image/jpeg", "panne.jpg"),
        (PNG, "image/png", "panne.png"),
        (PDF, "application/pdf", "panne.pdf"),
        (WEBP, "image/webp", "panne.webp"),
    ],
)
def test_known_kinds_are_read_from_their_content(data: bytes, content_type: str, name: str):
    # The claimed name's extension does not matter: the content does.
    assert check_attachment(data, "panne.exe", 0) == (content_type, name)


def test_other_content_is_refused_whatever_its_name() -> None:
    with pytest.raises(InvalidArgument) as refused:
        check_attachment(b"MZ\x90\0 not a photo", "photo.jpg", 0)
    assert refused.value.reason == "ATTACHMENT_TYPE"


def test_size_and_count_are_bounded() -> None:
    with pytest.raises(InvalidArgument) as too_big:
        check_attachment(PDF + b"\0" * MAX_BYTES, "big.pdf", 0)
    assert too_big.value.reason == "ATTACHMENT_TOO_LARGE"
    with pytest.raises(InvalidArgument) as empty:
        check_attachment(b"", "x.pdf", 0)
    assert empty.value.reason == "ATTACHMENT_EMPTY"
    with pytest.raises(FailedPrecondition) as too_many:
        check_attachment(PDF, "x.pdf", MAX_PER_PARENT)
    assert too_many.value.reason == "ATTACHMENTS_LIMIT"


def test_names_are_made_safe() -> None:
    assert safe_filename("../../etc/passwd", "pdf") == "passwd.pdf"
    assert safe_filename('Machine "B" é\r\n.png', "png") == "Machine _B_ e_.png"
    assert safe_filename("", "jpg") == "attachment.jpg"
    assert len(safe_filename("x" * 500, "jpg")) <= 120
