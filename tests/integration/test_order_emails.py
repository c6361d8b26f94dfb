"""Order e-mails through the real suite: identity's AccountUpdated feeds
notifications' contacts, ordering's OrderSubmitted and OrderShipped become
e-mails to the right address, in the account's language."""

from __future__ import annotations

import time
from email import message_from_bytes, policy
from pathlib import Path

from deploy.local.suite import Suite
from tests.support.api import Api

from .test_ordering import _beneficiary, _pay, _point, _wait_status

TRACKING = "https://track.example/colis/8L0042"


def _wait_message(api: Api, recipient: str, template: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in api.messages(recipient) if m["template"] == template]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no {template} e-mail to {recipient} in {timeout}s")


def _mailbox_text(suite: Suite, message: dict, timeout: float = 20.0) -> str:
    """The plain-text body of `message` as the dev mailer wrote it (one .eml
    per message in the mailbox folder), once it is sent."""
    folder = Path(suite.env.get("PORTAL_MAILBOX_DIR") or suite.var_dir / "mailbox")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.eml")):
            if path.name.startswith("."):
                continue  # being written: renamed into place once complete
            try:
                mail = message_from_bytes(path.read_bytes(), policy=policy.default)
            except FileNotFoundError:
                continue  # rewritten (the same message sent again) meanwhile
            # (compared without whitespace: RFC 2047 encoded words may add a space)
            subject = "".join(str(mail["Subject"]).split())
            wanted = "".join(message["subject"].split())
            if message["recipient"] in str(mail["To"]) and subject == wanted:
                return mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        time.sleep(0.1)
    raise AssertionError(f"{message['subject']!r} never reached the mailbox")


def _submitted_order(api: Api, token: str) -> dict:
    point = _point(api, token, "HQ")
    alice = _beneficiary(api, token, "E-1")
    created = api.post(
        "/v1/orders",
        {
            "deliveryPointId": point["id"],
            "lines": [{"beneficiaryId": alice["id"], "newCard": False, "loadAmountCents": 1234}],
        },
        token,
    )
    assert created.status_code == 201, created.text
    order = created.json()
    submitted = api.post(f"/v1/orders/{order['id']}:submit", {"paymentMethod": "TRANSFER"}, token)
    assert submitted.status_code == 200, submitted.text
    return submitted.json()


def test_transfer_order_is_confirmed_then_shipped_by_email(api: Api, suite: Suite) -> None:
    account = api.new_account(language="en")
    token = api.activate(account)["accessToken"]
    manager = account["managerEmail"]

    # A delivery contact: the shipping e-mail goes there. Set before the order:
    # it reaches notifications on identity's stream, the order's events on
    # ordering's, and the two streams are not ordered with each other.
    delivery = f"delivery-{account['clientNumber'].lower()}@example.com"
    answer = api.patch(
        "/v1/account/contacts", {"delivery": {"name": "Dee", "email": delivery}}, token
    )
    assert answer.status_code == 200, answer.text
    # Nothing tells when notifications has applied it (no API reads its copy of
    # the contacts): give identity's stream the head start the order's events
    # would otherwise overtake (the order path is now quicker than that stream).
    time.sleep(3)

    order = _submitted_order(api, token)
    transfer = order["transfer"]
    confirmation = _wait_message(api, manager, "order_submitted")
    assert confirmation["language"] == "en"
    assert order["number"] in confirmation["subject"]
    text = _mailbox_text(suite, confirmation)
    for fact in (transfer["reference"], transfer["iban"], transfer["bic"], transfer["holder"]):
        assert fact in text, fact
    cents = int(order["total"]["amountCents"])
    assert f"€{cents // 100:,}.{cents % 100:02d}" in text

    _pay(suite, account["id"], order)
    _wait_status(api, token, order["id"], "ORDER_STATUS_PAID")
    op = api.operator
    assert api.post(f"/v1/admin/orders/{order['id']}:startProduction", {}, op).status_code == 200
    shipped = api.post(
        f"/v1/admin/orders/{order['id']}:ship",
        {"carrier": "Colissimo", "trackingUrl": TRACKING},
        op,
    )
    assert shipped.status_code == 200, shipped.text

    notice = _wait_message(api, delivery, "order_shipped")
    assert TRACKING in notice["links"]
    assert order["number"] in notice["subject"]
    text = _mailbox_text(suite, notice)
    assert "Colissimo" in text and TRACKING in text
    assert not [m for m in api.messages(manager) if m["template"] == "order_shipped"]
