from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from portal.identity.v1 import events_pb2
from portal_runtime.db import Database
from services.notifications.delivery import DeliveryWorker
from services.notifications.domain.messages import Status
from services.notifications.domain.retry import RetryPolicy
from services.notifications.handlers import NotificationHandlers
from services.notifications.mailers import PermanentDeliveryError
from services.notifications.store import MessageRepository

from .conftest import WEB, Clock, RecordingMailer


def _ts(moment) -> Timestamp:  # type: ignore[no-untyped-def]
    ts = Timestamp()
    ts.FromDatetime(moment)
    return ts


def activation(
    clock: Clock, event_id: str = "evt-1", **kw: object
) -> events_pb2.ActivationRequested:
    return events_pb2.ActivationRequested(
        event_id=event_id,
        occurred_at=_ts(clock.now),
        expires_at=_ts(clock.now + timedelta(hours=48)),
        entity_id="ent-1",
        user_id="usr-1",
        recipient=events_pb2.Recipient(
            email="Jean.Dupont@Example.FR", name="Jean Dupont", language="fr"
        ),
        token="tok-activation",
        client_number="C-100234",
        **kw,
    )


async def _store(db: Database, handler, event) -> None:  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        await handler(session, event)


async def _messages(db: Database, recipient: str = "jean.dupont@example.fr"):  # type: ignore[no-untyped-def]
    async with db.transaction() as session:
        return await MessageRepository().list_for_recipient(session, recipient, offset=0, limit=100)


async def test_a_redelivered_event_stores_one_message(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    event = activation(clock)
    await _store(db, handlers.on_activation_requested, event)
    await _store(db, handlers.on_activation_requested, event)
    [message] = await _messages(db)
    assert message.status is Status.PENDING
    assert message.template == "activation"
    assert message.links == (f"{WEB}/activate?token=tok-activation",)
    assert "C-100234" in message.subject and "48 heures" in message.body_text


@pytest.mark.parametrize(
    ("handler", "event", "template", "link", "fact"),
    [
        (
            "on_magic_link_requested",
            events_pb2.MagicLinkRequested(
                token="m1", expires_at=_ts(Clock().now + timedelta(days=30))
            ),
            "magic_link",
            f"{WEB}/magic-link?token=m1",
            "30 days",
        ),
        (
            "on_password_reset_requested",
            events_pb2.PasswordResetRequested(
                token="r1", expires_at=_ts(Clock().now + timedelta(hours=1))
            ),
            "password_reset",
            f"{WEB}/reset-password?token=r1",
            "1 hour",
        ),
        (
            "on_user_invited",
            events_pb2.UserInvited(token="i1", entity_name="Dupont SA", invited_by="Claire"),
            "invitation",
            f"{WEB}/accept-invitation?token=i1",
            "Dupont SA",
        ),
        (
            "on_user_invited",
            events_pb2.UserInvited(token="", entity_name="Dupont SA", invited_by="Claire"),
            "invitation",
            f"{WEB}/login",
            "already have a Portail account",
        ),
        (
            "on_password_changed",
            events_pb2.PasswordChanged(),
            "password_changed",
            f"{WEB}/forgot-password",
            "1 March 2026 at 09:00",
        ),
    ],
)
async def test_each_event_makes_its_message(
    db: Database,
    handlers: NotificationHandlers,
    clock: Clock,
    handler: str,
    event,  # type: ignore[no-untyped-def]
    template: str,
    link: str,
    fact: str,
) -> None:
    event.event_id = "evt-x"
    event.occurred_at.CopyFrom(_ts(clock.now))
    event.recipient.CopyFrom(
        events_pb2.Recipient(email="Ann@Example.com", name="Ann", language="en")
    )
    await _store(db, getattr(handlers, handler), event)
    [message] = await _messages(db, "ann@example.com")
    assert message.template == template
    assert message.language == "en"
    assert message.links == (link,)
    assert link in message.body_text
    assert fact in message.body_text


async def test_unknown_language_is_stored_as_french(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    event = activation(clock)
    event.recipient.language = "de"
    await _store(db, handlers.on_activation_requested, event)
    [message] = await _messages(db)
    assert message.language == "fr"
    assert message.subject.startswith("Activez")


def _worker(db: Database, mailer: RecordingMailer, clock: Clock, **kw: object) -> DeliveryWorker:
    return DeliveryWorker(db, mailer, clock=clock, poll_seconds=0.05, **kw)


async def test_failing_mailer_records_attempts_then_succeeds(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    mailer = RecordingMailer(failures=2)
    worker = _worker(db, mailer, clock)
    await _store(db, handlers.on_activation_requested, activation(clock))

    assert await worker.deliver_due() == 1
    [message] = await _messages(db)
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert "smtp down" in message.last_error
    assert message.next_attempt_at == clock.now + timedelta(seconds=30)

    assert await worker.deliver_due() == 0  # not due yet
    clock.advance(timedelta(seconds=30))
    assert await worker.deliver_due() == 1
    [message] = await _messages(db)
    assert (message.status, message.attempts) == (Status.PENDING, 2)
    assert message.next_attempt_at == clock.now + timedelta(minutes=2)

    clock.advance(timedelta(minutes=2))
    assert await worker.deliver_due() == 1
    [message] = await _messages(db)
    assert (message.status, message.attempts, message.last_error) == (Status.SENT, 3, "")
    assert message.sent_at == clock.now
    [email] = mailer.sent
    assert email["To"].addresses[0].addr_spec == "jean.dupont@example.fr"
    assert "tok-activation" in email.get_body(("plain",)).get_content()
    assert await worker.deliver_due() == 0  # sent once only


async def test_gives_up_after_max_attempts(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    policy = RetryPolicy(delays=(timedelta(seconds=1),), max_attempts=3)
    worker = _worker(db, RecordingMailer(failures=99), clock, policy=policy)
    await _store(db, handlers.on_activation_requested, activation(clock))
    for _ in range(5):
        await worker.deliver_due()
        clock.advance(timedelta(seconds=1))
    [message] = await _messages(db)
    assert (message.status, message.attempts, message.next_attempt_at) == (Status.FAILED, 3, None)


async def test_permanent_refusal_fails_at_once(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    mailer = RecordingMailer(failures=1, error=PermanentDeliveryError("550 no such user"))
    worker = _worker(db, mailer, clock)
    await _store(db, handlers.on_activation_requested, activation(clock))
    await worker.deliver_due()
    [message] = await _messages(db)
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert "550" in message.last_error


async def test_two_workers_never_send_the_same_message(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    for n in range(10):
        await _store(db, handlers.on_activation_requested, activation(clock, event_id=f"e{n}"))
    mailer = RecordingMailer()
    one, two = _worker(db, mailer, clock, batch_size=3), _worker(db, mailer, clock, batch_size=3)
    while sum(await asyncio.gather(one.deliver_due(), two.deliver_due())):
        pass
    ids = [m["Message-ID"] for m in mailer.sent]
    assert len(ids) == 10 == len(set(ids))


async def test_expired_lease_is_taken_over(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    await _store(db, handlers.on_activation_requested, activation(clock))
    async with db.transaction() as session:  # a replica claims it, then dies
        claimed = await MessageRepository().claim_due(
            session,
            claim="dead",
            now=clock.now,
            lease_until=clock.now + timedelta(minutes=5),
            limit=10,
        )
    assert len(claimed) == 1
    mailer = RecordingMailer()
    worker = _worker(db, mailer, clock)
    assert await worker.deliver_due() == 0
    clock.advance(timedelta(minutes=5, seconds=1))
    assert await worker.deliver_due() == 1
    assert len(mailer.sent) == 1


async def test_loop_wakes_up_when_a_handler_commits(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    mailer = RecordingMailer()
    worker = DeliveryWorker(db, mailer, clock=clock, poll_seconds=30)  # polls too slowly to matter
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.sleep(0.05)  # first pass done, now sleeping
        await _store(db, handlers.on_activation_requested, activation(clock))
        for _ in range(100):
            if mailer.sent:
                break
            await asyncio.sleep(0.02)
        assert len(mailer.sent) == 1
        token = parse_qs(urlsplit((await _messages(db))[0].links[0]).query)["token"][0]
        assert token == "tok-activation"
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=2)


async def test_stopping_mid_batch_releases_the_rest(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    for n in range(3):
        await _store(db, handlers.on_activation_requested, activation(clock, event_id=f"e{n}"))
    stop = asyncio.Event()

    class StoppingMailer(RecordingMailer):
        async def send(self, message) -> None:  # type: ignore[no-untyped-def]
            await super().send(message)
            stop.set()  # SIGTERM arrives during the first send

    mailer = StoppingMailer()
    assert await _worker(db, mailer, clock).deliver_due(stop) == 1
    assert len(mailer.sent) == 1
    later = RecordingMailer()
    assert await _worker(db, later, clock).deliver_due() == 2  # no lease to wait for
    async with db.transaction() as session:
        assert await MessageRepository().count_by_status(session) == {"SENT": 3}


class SlowMailer(RecordingMailer):
    """Takes `seconds` per e-mail, as a slow SMTP server would; after `hang_after`
    e-mails it hangs on the next one, so a test kills its worker at a known point
    (an e-mail in flight, not yet accepted) rather than wherever the clock falls."""

    def __init__(self, seconds: float, hang_after: int | None = None) -> None:
        super().__init__()
        self.seconds = seconds
        self.hang_after = hang_after

    async def send(self, message) -> None:  # type: ignore[no-untyped-def]
        if self.hang_after is not None and len(self.sent) >= self.hang_after:
            await asyncio.Event().wait()
        await asyncio.sleep(self.seconds)
        await super().send(message)


async def test_a_live_worker_keeps_its_batch_and_a_dead_ones_is_taken_over_within_a_lease(
    db: Database, handlers: NotificationHandlers, clock: Clock
) -> None:
    from portal_runtime.clock import utcnow

    for n in range(6):
        await _store(db, handlers.on_activation_requested, activation(clock, event_id=f"e{n}"))
    lease = timedelta(seconds=0.6)
    # Three e-mails in 0.75 s, then the fourth hangs: well past one lease.
    slow = SlowMailer(0.25, hang_after=3)
    dying = DeliveryWorker(db, slow, clock=utcnow, lease=lease, batch_size=6)
    batch = asyncio.create_task(dying.deliver_due())
    other = RecordingMailer()
    taker = DeliveryWorker(db, other, clock=utcnow, lease=lease, batch_size=6)
    await asyncio.sleep(0.9)  # past the first lease: renewed, so nothing to take
    assert await taker.deliver_due() == 0
    batch.cancel()  # the replica dies (kill -9: nothing released, nothing recorded)
    with pytest.raises(asyncio.CancelledError):
        await batch
    sent_before = {m["Message-ID"] for m in slow.sent}
    assert len(sent_before) == 3
    await asyncio.sleep(lease.total_seconds() + 0.1)
    taken = await taker.deliver_due()
    # The three it had sent stay sent; the one in flight and the two after it go
    # out once, from the replica that took the batch over.
    assert taken == 3
    taken_ids = {m["Message-ID"] for m in other.sent}
    assert len(taken_ids) == 3
    assert not taken_ids & sent_before
    async with db.transaction() as session:
        assert await MessageRepository().count_by_status(session) == {"SENT": 6}
