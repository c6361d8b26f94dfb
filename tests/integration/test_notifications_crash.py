"""Notifications killed (-9) while e-mails are in flight: its restart sends what
the dead process had claimed within seconds (short leases, renewed while sending),
and the mailbox folder holds each e-mail once."""

from __future__ import annotations

import email
import time
from collections import Counter
from email import policy
from pathlib import Path

from deploy.local.suite import Suite
from tests.support.api import Api

COUNT = 20
# The e-mails the dead process had claimed: one lease (15 s), not the old 5-minute
# claim. Events it had fetched but not yet acknowledged come back after JetStream's
# ack wait (30 s, portal_runtime.consumer): both well within this bound.
WITHIN_SECONDS = 60.0


def _activation_mails(mailbox: Path, recipients: set[str]) -> list[email.message.EmailMessage]:
    found = []
    for path in mailbox.glob("*.eml"):
        if path.name.startswith("."):
            continue  # a file being written (renamed into place when complete)
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if (
            parsed["X-Portail-Template"] == "activation"
            and parsed["To"].addresses[0].addr_spec in recipients
        ):
            found.append(parsed)
    return found


def test_a_killed_notifications_service_sends_its_claimed_emails_within_seconds(
    api: Api, suite: Suite
) -> None:
    accounts = [api.new_account() for _ in range(COUNT)]
    recipients = {a["managerEmail"] for a in accounts}
    for account in accounts:
        numbers = {
            "clientNumber": account["clientNumber"],
            "contractNumber": account["contractNumber"],
        }
        assert api.post("/v1/auth/activation:request", numbers).status_code == 202
    # Some are stored, claimed, maybe being written: the process dies there.
    time.sleep(0.3)
    suite.stop_process("notifications", kill=True)
    suite.start_service("notifications")
    restarted = time.monotonic()
    mailbox = Path(suite.env["PORTAL_MAILBOX_DIR"])
    while True:
        mails = _activation_mails(mailbox, recipients)
        if {m["To"].addresses[0].addr_spec for m in mails} == recipients:
            break
        assert time.monotonic() - restarted < WITHIN_SECONDS, (
            f"{len(recipients) - len(mails)} e-mails still not sent"
        )
        time.sleep(0.2)
    # One file per e-mail: a rewrite after the crash replaced its own file.
    per_message = Counter(m["Message-ID"] for m in _activation_mails(mailbox, recipients))
    assert len(per_message) == COUNT
    assert set(per_message.values()) == {1}
    # The e-mails may all have left before the kill: the restarted service may
    # still be starting. The next tests need it serving.
    suite.wait_ready(60)
