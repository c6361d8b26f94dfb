import json

import httpx
import pytest

from deploy.local.payment_provider import LocalPaymentProvider, create_app
from services.billing.providers import LocalTestProvider, ProviderRejected, verify_signature

SECRET = "whsec_test"
WEBHOOK_URL = "http://billing.test/v1/payments/webhook"


class FakeReceiver:
    """Captures webhooks; answers the listed statuses first, then 200."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.received = []

    async def __call__(self, url, body, headers):
        self.received.append((url, body, headers))
        if self.statuses:
            status = self.statuses.pop(0)
            if status is None:
                raise httpx.ConnectError("refused")
            return status
        return 200

    def notifications(self):
        return [json.loads(body) for _, body, _ in self.received]


def make(statuses=()):
    receiver = FakeReceiver(statuses)
    provider = LocalPaymentProvider(
        webhook_url=WEBHOOK_URL,
        secrets=[SECRET],
        public_url="http://provider.test",
        sender=receiver,
        retry_delays=[0, 0, 0],
    )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(provider)), base_url="http://provider.test"
    )
    return provider, receiver, client


async def checkout(client, payment_id="p-1", amount=12345):
    r = await client.post(
        "/v1/checkouts",
        json={
            "payment_id": payment_id,
            "amount": amount,
            "currency": "EUR",
            "description": "Invoice F-2024-001 <b>",
            "return_url": "http://portal.test/payments/p-1",
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


async def complete(client, ref, outcome, as_json=False):
    if as_json:
        return await client.post(f"/pay/{ref}/complete", json={"outcome": outcome})
    return await client.post(f"/pay/{ref}/complete", data={"outcome": outcome})


async def test_success_sends_exactly_one_signed_webhook():
    provider, receiver, client = make()
    async with client:
        created = await checkout(client)
        ref = created["ref"]
        assert created["redirect_url"] == f"http://provider.test/pay/{ref}"
        page = await client.get(f"/pay/{ref}")
        assert "123.45 EUR" in page.text
        assert "Invoice F-2024-001 &lt;b&gt;" in page.text
        for label in ("Pay (success)", "Decline (failure)", "Pay with 3-D Secure"):
            assert label in page.text

        r = await complete(client, ref, "success")
        assert r.status_code == 303
        assert r.headers["location"] == "http://portal.test/payments/p-1"
        await provider.drain()

    assert len(receiver.received) == 1
    url, body, headers = receiver.received[0]
    assert url == WEBHOOK_URL
    assert headers["Content-Type"] == "application/json"
    verify_signature(body, headers["Portail-Signature"], SECRET, provider.clock())
    n = LocalTestProvider("http://x", SECRET).verify_notification(body, headers, provider.clock())
    assert (n.status, n.provider_ref, n.payment_id, n.amount_cents, n.currency) == (
        "SUCCEEDED",
        ref,
        "p-1",
        12345,
        "EUR",
    )
    state = provider.checkouts[ref]
    assert state.status == "SUCCEEDED" and state.webhooks[0].delivered


async def test_failure_sends_card_declined_and_cannot_complete_twice():
    provider, receiver, client = make()
    async with client:
        ref = (await checkout(client))["ref"]
        assert (await complete(client, ref, "failure", as_json=True)).status_code == 303
        assert (await complete(client, ref, "success")).status_code == 409
        await provider.drain()
    [event] = receiver.notifications()
    assert event["type"] == "payment.failed"
    assert event["data"]["failure_reason"] == "CARD_DECLINED"


async def test_3ds_confirm_sends_action_required_then_succeeded():
    provider, receiver, client = make()
    async with client:
        ref = (await checkout(client))["ref"]
        r = await complete(client, ref, "3ds")
        assert r.status_code == 303 and r.headers["location"] == f"/pay/{ref}/3ds"
        page = await client.get(f"/pay/{ref}/3ds")
        assert "Confirm" in page.text and "Cancel" in page.text
        await provider.drain()
        r = await complete(client, ref, "3ds_confirm")
        assert r.headers["location"] == "http://portal.test/payments/p-1"
        await provider.drain()
    events = receiver.notifications()
    assert [e["type"] for e in events] == ["payment.action_required", "payment.succeeded"]
    assert events[0]["id"] != events[1]["id"]


async def test_3ds_cancel_fails_with_authentication_failed():
    provider, receiver, client = make()
    async with client:
        ref = (await checkout(client))["ref"]
        await complete(client, ref, "3ds")
        assert (await complete(client, ref, "3ds_cancel")).status_code == 303
        await provider.drain()
    events = receiver.notifications()
    assert events[-1]["type"] == "payment.failed"
    assert events[-1]["data"]["failure_reason"] == "AUTHENTICATION_FAILED"


async def test_replay_resends_the_same_event():
    provider, receiver, client = make()
    async with client:
        ref = (await checkout(client))["ref"]
        await complete(client, ref, "success")
        await provider.drain()
        r = await client.post(f"/pay/{ref}/replay")
        assert r.status_code == 202
        await provider.drain()
        state = (await client.get(f"/v1/checkouts/{ref}")).json()
    assert len(receiver.received) == 2
    assert receiver.received[0][1] == receiver.received[1][1]
    assert r.json()["replayed"] == receiver.notifications()[0]["id"]
    assert state["status"] == "SUCCEEDED"
    assert len(state["webhooks"]) == 1 and len(state["webhooks"][0]["attempts"]) == 2


async def test_failed_delivery_is_retried_until_2xx():
    provider, receiver, client = make(statuses=[500, None, 204])
    async with client:
        ref = (await checkout(client))["ref"]
        await complete(client, ref, "success")
        await provider.drain()
        state = (await client.get(f"/v1/checkouts/{ref}")).json()
    assert len(receiver.received) == 3
    assert len({body for _, body, _ in receiver.received}) == 1
    [webhook] = state["webhooks"]
    assert webhook["delivered"] is True
    assert [a["status_code"] for a in webhook["attempts"]] == [500, None, 204]


async def test_delivery_gives_up_after_bounded_attempts():
    provider, receiver, client = make(statuses=[503] * 10)
    async with client:
        ref = (await checkout(client))["ref"]
        await complete(client, ref, "success")
        await provider.drain()
    assert len(receiver.received) == 4  # 1 + len(retry_delays)
    assert provider.checkouts[ref].webhooks[0].delivered is False


async def test_checkout_is_idempotent_per_payment_and_validated():
    _provider, _, client = make()
    async with client:
        first = await checkout(client)
        again = await client.post(
            "/v1/checkouts",
            json={
                "payment_id": "p-1",
                "amount": 12345,
                "currency": "EUR",
                "return_url": "http://portal.test/x",
            },
        )
        assert again.status_code == 200 and again.json()["ref"] == first["ref"]
        for bad in (
            {"payment_id": "p-2", "amount": 12.5, "currency": "EUR", "return_url": "http://x"},
            {"payment_id": "p-2", "amount": 0, "currency": "EUR", "return_url": "http://x"},
            {"payment_id": "p-2", "amount": 1, "currency": "EURO", "return_url": "http://x"},
            {"payment_id": "p-2", "amount": 1, "currency": "EUR", "return_url": "javascript:x"},
        ):
            assert (await client.post("/v1/checkouts", json=bad)).status_code == 400
        assert (await client.get("/v1/checkouts/nope")).status_code == 404
        assert (await complete(client, first["ref"], "bogus")).status_code == 400


async def test_local_test_provider_create_checkout_against_the_app():
    provider, _, client = make()
    adapter = LocalTestProvider(
        "http://provider.test",
        SECRET,
        transport=httpx.ASGITransport(app=create_app(provider)),
    )
    try:
        result = await adapter.create_checkout(
            payment_id="p-9",
            amount_cents=500,
            currency="EUR",
            description="Balance",
            return_url="http://portal.test/payments/p-9",
        )
        assert result.redirect_url == f"http://provider.test/pay/{result.provider_ref}"
        assert provider.checkouts[result.provider_ref].amount == 500
        again = await adapter.create_checkout(
            payment_id="p-9",
            amount_cents=500,
            currency="EUR",
            description="Balance",
            return_url="http://portal.test/payments/p-9",
        )
        assert again == result
        with pytest.raises(ProviderRejected):
            await adapter.create_checkout(
                payment_id="p-10",
                amount_cents=0,
                currency="EUR",
                description="",
                return_url="http://portal.test/",
            )
    finally:
        await adapter.aclose()
        await client.aclose()


async def test_local_test_provider_unreachable_is_unavailable():
    from services.billing.providers import ProviderUnavailable

    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    adapter = LocalTestProvider(
        "http://provider.test", SECRET, transport=httpx.MockTransport(refuse)
    )
    with pytest.raises(ProviderUnavailable) as err:
        await adapter.create_checkout(
            payment_id="p",
            amount_cents=1,
            currency="EUR",
            description="",
            return_url="http://x",
        )
    assert err.value.code == "UNAVAILABLE"
    await adapter.aclose()
