import pytest

from portal_runtime.errors import Unauthenticated
from services.billing.providers import (
    DEV_WEBHOOK_SECRET,
    InvalidNotification,
    InvalidSignature,
    LocalTestProvider,
    UnknownPaymentProvider,
    build_notification_body,
    parse_notification,
    provider_from_settings,
    sign,
    verify_signature,
)

SECRET = "whsec_test"
NOW = 1_700_000_000
BODY = build_notification_body(
    event_id="evt_1",
    status="SUCCEEDED",
    created=NOW,
    provider_ref="pay_1",
    payment_id="p-1",
    amount_cents=12345,
    currency="EUR",
)


def test_good_signature_verifies():
    assert verify_signature(BODY, sign(BODY, SECRET, NOW), SECRET, NOW + 10) == NOW


def test_invalid_signature_is_unauthenticated_with_reason():
    with pytest.raises(InvalidSignature) as err:
        verify_signature(BODY, sign(BODY, "other", NOW), SECRET, NOW)
    assert isinstance(err.value, Unauthenticated)
    assert err.value.reason == "WEBHOOK_SIGNATURE_INVALID"
    assert err.value.code == "UNAUTHENTICATED"


def test_tampered_body_is_refused():
    header = sign(BODY, SECRET, NOW)
    with pytest.raises(InvalidSignature):
        verify_signature(BODY.replace(b"12345", b"12346"), header, SECRET, NOW)


@pytest.mark.parametrize("offset", [301, -301, 3600])
def test_timestamp_outside_tolerance_is_refused(offset):
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify_signature(BODY, sign(BODY, SECRET, NOW), SECRET, NOW + offset)


def test_timestamp_at_tolerance_edge_is_accepted():
    verify_signature(BODY, sign(BODY, SECRET, NOW), SECRET, NOW + 300)


@pytest.mark.parametrize("header", ["", "garbage", f"t={NOW}", "v1=abcd", "t=x,v1=abcd"])
def test_missing_or_malformed_header_is_refused(header):
    with pytest.raises(InvalidSignature):
        verify_signature(BODY, header, SECRET, NOW)


def test_rotation_several_v1_values_and_several_secrets():
    # Provider signs with old and new; receiver knows only the new one.
    header = sign(BODY, ["old", "new"], NOW)
    assert header.count("v1=") == 2
    verify_signature(BODY, header, ["new"], NOW)
    # Receiver accepts old and new while the provider still signs with the old one.
    verify_signature(BODY, sign(BODY, "old", NOW), ["new", "old"], NOW)
    with pytest.raises(InvalidSignature):
        verify_signature(BODY, sign(BODY, "retired", NOW), ["new", "old"], NOW)


def test_parse_notification():
    n = parse_notification(BODY)
    assert (n.event_id, n.provider_ref, n.payment_id, n.status) == (
        "evt_1",
        "pay_1",
        "p-1",
        "SUCCEEDED",
    )
    assert (n.amount_cents, n.currency, n.failure_reason, n.created) == (12345, "EUR", "", NOW)
    assert n.is_final


def test_parse_failed_notification_carries_reason():
    body = build_notification_body(
        event_id="evt_2",
        status="FAILED",
        created=NOW,
        provider_ref="pay_1",
        payment_id="p-1",
        amount_cents=100,
        currency="EUR",
        failure_reason="CARD_DECLINED",
    )
    n = parse_notification(body)
    assert n.status == "FAILED" and n.failure_reason == "CARD_DECLINED"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"id":"evt","type":"payment.succeeded","created":1}',
        b'{"id":"evt","type":"payment.refunded","created":1,'
        b'"data":{"payment_ref":"r","amount":1,"currency":"EUR"}}',
        b'{"id":"evt","type":"payment.succeeded","created":1,'
        b'"data":{"payment_ref":"r","amount":1.5,"currency":"EUR"}}',
        b'{"id":"evt","type":"payment.succeeded","created":1,'
        b'"data":{"payment_ref":"r","amount":"100","currency":"EUR"}}',
        b'{"id":"","type":"payment.succeeded","created":1,'
        b'"data":{"payment_ref":"r","amount":1,"currency":"EUR"}}',
    ],
)
def test_bad_notifications_are_refused(body):
    with pytest.raises(InvalidNotification) as err:
        parse_notification(body)
    assert err.value.reason == "WEBHOOK_PAYLOAD_INVALID"


def test_provider_verifies_with_lowercase_grpc_metadata():
    provider = LocalTestProvider("http://provider.invalid", [SECRET])
    n = provider.verify_notification(BODY, {"portail-signature": sign(BODY, SECRET, NOW)}, NOW)
    assert n.event_id == "evt_1"
    with pytest.raises(InvalidSignature):
        provider.verify_notification(BODY, {}, NOW)


def _getter(values):
    return lambda name, default: values.get(name, default)


def test_factory_defaults_to_local():
    provider = provider_from_settings(_getter({}))
    assert isinstance(provider, LocalTestProvider)
    assert provider.url == "http://127.0.0.1:8090"
    assert provider.secrets == [DEV_WEBHOOK_SECRET]


def test_factory_reads_settings():
    provider = provider_from_settings(
        _getter(
            {
                "PAYMENT_PROVIDER": "local",
                "PAYMENT_WEBHOOK_SECRET": "a, b",
                "PAYMENT_PROVIDER_URL": "http://pp:9000/",
            }
        )
    )
    assert provider.url == "http://pp:9000" and provider.secrets == ["a", "b"]


def test_factory_refuses_unknown_provider():
    with pytest.raises(UnknownPaymentProvider, match=r"stripe.*known: local"):
        provider_from_settings(_getter({"PAYMENT_PROVIDER": "stripe"}))
