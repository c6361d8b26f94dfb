"""NATS stopped during a flow and restarted: the e-mail still goes out, once."""

from __future__ import annotations

import time

from deploy.local.suite import Suite
from tests.support.api import Api


def test_activation_mail_waits_for_nats_and_arrives_once(api: Api, suite: Suite):
    account = api.new_account()
    api.messages(account["managerEmail"])  # operator token fetched while NATS is up
    assert suite.nats is not None
    suite.nats.stop()
    try:
        numbers = {
            "clientNumber": account["clientNumber"],
            "contractNumber": account["contractNumber"],
        }
        answer = api.post("/v1/auth/activation:request", numbers)
        assert answer.status_code == 202, "identity accepts the request while NATS is down"
        time.sleep(1.0)
        assert [
            m for m in api.messages(account["managerEmail"]) if m["template"] == "activation"
        ] == []
    finally:
        suite.nats.start()
    api.wait_for_token(account["managerEmail"], "activation", timeout=30)
    time.sleep(1.0)
    sent = [m for m in api.messages(account["managerEmail"]) if m["template"] == "activation"]
    assert len(sent) == 1


def test_a_killed_service_loses_nothing(api: Api, suite: Suite):
    account = api.new_account()
    suite.stop_process("notifications", kill=True)
    try:
        numbers = {
            "clientNumber": account["clientNumber"],
            "contractNumber": account["contractNumber"],
        }
        assert api.post("/v1/auth/activation:request", numbers).status_code == 202
    finally:
        suite.start_service("notifications")
    suite.wait_ready(30)
    api.wait_for_token(account["managerEmail"], "activation", timeout=30)
