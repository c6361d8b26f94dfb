from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from portal_runtime.errors import InvalidArgument
from services.notifications.domain.links import LinkBuilder
from services.notifications.domain.messages import (
    Content,
    Message,
    Status,
    normalise_email,
    require_email,
)
from services.notifications.domain.retry import RetryPolicy
from services.notifications.domain.wording import (
    describe_moment,
    describe_validity,
    normalise_language,
)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _message(**overrides: object) -> Message:
    values: dict = {
        "event_id": "evt-1",
        "recipient": "  Zoé.Martin@Example.COM ",
        "recipient_name": "Zoé\r\nMartin",
        "template": "activation",
        "language": "en-GB",
        "content": Content("Sub\r\nject", "text", "<p>html</p>"),
        "links": ["https://x/activate?token=t"],
        "now": NOW,
    }
    values.update(overrides)
    return Message.new(**values)


def test_retry_schedule_backs_off_then_gives_up() -> None:
    policy = RetryPolicy()
    assert policy.schedule() == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
        timedelta(hours=8),
    ]
    assert policy.delay_after(1) == timedelta(seconds=30)
    assert policy.delay_after(8) is None
    short = RetryPolicy(delays=(timedelta(seconds=1),), max_attempts=3)
    assert short.schedule() == [timedelta(seconds=1), timedelta(seconds=1)]
    with pytest.raises(ValueError):
        RetryPolicy(delays=(), max_attempts=3)


def test_new_message_normalises_recipient_language_and_headers() -> None:
    message = _message()
    assert message.recipient == "zoé.martin@example.com"
    assert message.recipient_name == "Zoé Martin"
    assert message.subject == "Sub ject"
    assert message.language == "en"
    assert message.status is Status.PENDING
    assert message.attempts == 0
    assert message.next_attempt_at == NOW


def test_failed_attempts_follow_the_policy_until_failed() -> None:
    policy = RetryPolicy()
    message = _message()
    now = NOW
    for attempt, delay in enumerate(policy.schedule(), start=1):
        message = message.failed_attempt("boom", now, policy)
        assert message.status is Status.PENDING
        assert message.attempts == attempt
        assert message.next_attempt_at == now + delay
        assert message.last_error == "boom"
        now = message.next_attempt_at
    message = message.failed_attempt("still boom", now, policy)
    assert message.status is Status.FAILED
    assert message.attempts == policy.max_attempts
    assert message.next_attempt_at is None


def test_permanent_failure_fails_at_once_and_success_clears_error() -> None:
    failed = _message().failed_attempt("550 no such user", NOW, RetryPolicy(), permanent=True)
    assert failed.status is Status.FAILED and failed.attempts == 1
    sent = _message().failed_attempt("x" * 5000, NOW, RetryPolicy()).sent(NOW)
    assert sent.status is Status.SENT
    assert sent.attempts == 2
    assert sent.last_error == ""
    assert sent.sent_at == NOW


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("fr", "fr"),
        ("EN", "en"),
        ("en_US", "en"),
        ("en-GB", "en"),
        ("de", "fr"),
        ("", "fr"),
        (None, "fr"),
    ],
)
def test_language_fallback(raw: str | None, expected: str) -> None:
    assert normalise_language(raw) == expected


def test_emails() -> None:
    assert normalise_email(" A@B.Fr ") == "a@b.fr"
    assert require_email("Jean@Example.fr") == "jean@example.fr"
    for bad in [
        "",
        "   ",
        "no-at",
        "@x.fr",
        "a@",
        "a b@x.fr",
        "a@x.fr\r\nBcc: evil@x.fr",
        "<a@x.fr>",
    ]:
        with pytest.raises(InvalidArgument) as info:
            require_email(bad)
        assert info.value.violations[0].field == "recipient"
    with pytest.raises(InvalidArgument):
        _message(recipient="")


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def test_links_carry_the_token_in_the_query() -> None:
    links = LinkBuilder("https://portail.example/")
    assert links.activation("abc") == "https://portail.example/activate?token=abc"
    assert links.magic_link("abc") == "https://portail.example/magic-link?token=abc"
    assert links.password_reset("abc") == "https://portail.example/reset-password?token=abc"
    assert links.invitation("abc") == "https://portail.example/accept-invitation?token=abc"
    assert links.invitation("") == "https://portail.example/login"
    assert links.forgot_password() == "https://portail.example/forgot-password"
    odd = "a+b/c=d&e"
    assert _token(links.activation(odd)) == odd
    assert LinkBuilder().activation("t") == "http://127.0.0.1:8000/activate?token=t"
    with pytest.raises(InvalidArgument):
        links.magic_link("")


def test_validity_phrases() -> None:
    assert describe_validity(timedelta(hours=48), "fr") == "48 heures"
    assert describe_validity(timedelta(hours=48), "en") == "48 hours"
    assert describe_validity(timedelta(days=30), "fr") == "30 jours"
    assert describe_validity(timedelta(days=30) - timedelta(seconds=1), "en") == "30 days"
    assert describe_validity(timedelta(hours=1), "fr") == "1 heure"
    assert describe_validity(timedelta(hours=1), "en") == "1 hour"
    assert describe_validity(timedelta(minutes=15), "en") == "15 minutes"


def test_moments() -> None:
    moment = datetime(2026, 3, 1, 9, 5, tzinfo=UTC)
    assert describe_moment(moment, "fr") == "01/03/2026 à 09:05 (UTC)"
    assert describe_moment(moment, "en") == "1 March 2026 at 09:05 (UTC)"
    assert describe_moment(moment.replace(tzinfo=None), "en") == "1 March 2026 at 09:05 (UTC)"
