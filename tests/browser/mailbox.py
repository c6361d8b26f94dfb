"""The suite's mailbox folder, read as a customer reads their e-mail: the links."""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from pathlib import Path


class Mailbox:
    """The suite's mailbox folder: one .eml file per e-mail sent."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def link(self, recipient: str, path: str, timeout: float = 20.0) -> str:
        """The first link to `path` (e.g. "/activate") in an e-mail to `recipient`."""
        pattern = re.compile(rf"https?://[^\s\"'<>]+{re.escape(path)}\?[^\s\"'<>]+")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for eml in sorted(self.folder.glob("*.eml")):
                if eml.name.startswith("."):
                    continue  # being written: renamed into place once complete
                try:
                    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
                except FileNotFoundError:
                    continue
                if recipient.lower() not in str(message["To"]).lower():
                    continue
                body = message.get_body(preferencelist=("plain",))
                found = pattern.search(body.get_content() if body is not None else "")
                if found:
                    return found.group(0)
            time.sleep(0.1)
        raise AssertionError(f"no e-mail to {recipient} with a {path} link in {timeout}s")
