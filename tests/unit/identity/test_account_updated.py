"""identity publishes AccountUpdated (a full snapshot) in the same transaction
as each change to an account's name, language, consent or contacts."""

from __future__ import annotations

from services.identity.domain.accounts import Contact
from services.identity.usecases import accounts, delegation, sessions

from .conftest import World
from .test_usecases import activated, new_account, operator


async def test_create_account_publishes_a_snapshot(world: World) -> None:
    account = await new_account(world)
    [event] = await world.events("AccountUpdated")
    assert event.entity_id == account.entity.id and event.event_id
    assert (event.name, event.client_number, event.language) == ("ACME", "C-100", "en")
    assert not event.paperless_consent
    assert (event.manager.email, event.manager.name) == ("boss@acme.fr", "Ada Boss")
    assert event.manager.language == "en"
    assert not event.HasField("billing") and not event.HasField("delivery")
    assert event.HasField("occurred_at")


async def test_activation_publishes_a_snapshot(world: World) -> None:
    account, _, _ = await activated(world)
    events = await world.events("AccountUpdated")
    assert len(events) == 2  # creation, then activation
    assert events[-1].entity_id == account.entity.id
    assert events[-1].manager.email == "boss@acme.fr"


async def test_contact_update_publishes_the_new_contacts(world: World) -> None:
    account, boss, _ = await activated(world)
    await accounts.update_contacts(
        world.deps,
        boss,
        {
            "billing": Contact("Bill", "Bill@Acme.fr", ""),
            "delivery": Contact("Dee", "dee@acme.fr", ""),
        },
    )
    event = (await world.events("AccountUpdated"))[-1]
    assert event.entity_id == account.entity.id
    assert (event.billing.email, event.billing.name, event.billing.language) == (
        "bill@acme.fr",
        "Bill",
        "en",
    )
    assert event.delivery.email == "dee@acme.fr"
    assert event.manager.email == "boss@acme.fr"  # no manager contact: the first manager
    await accounts.update_contacts(
        world.deps, boss, {"manager": Contact("Mona", "mona@acme.fr", "")}
    )
    event = (await world.events("AccountUpdated"))[-1]
    assert (event.manager.email, event.manager.name) == ("mona@acme.fr", "Mona")
    assert event.billing.email == "bill@acme.fr"  # still a full snapshot


async def test_first_login_publishes_the_paperless_consent(world: World) -> None:
    account = await new_account(world)
    op = await operator(world)
    _, temporary = await delegation.admin_create_user(
        world.deps,
        op,
        account.entity.id,
        delegation.Invitation("temp@acme.fr", "Tim", "Temp", "", "fr"),
    )
    restricted = await sessions.login(world.deps, "temp@acme.fr", temporary)
    before = len(await world.events("AccountUpdated"))
    await sessions.first_login(
        world.deps,
        world.principal(restricted.access_token),
        new_password="a real secret phrase",
        primary_email="tim@acme.fr",
        secondary_email="",
        paperless_consent=True,
    )
    events = await world.events("AccountUpdated")
    assert len(events) == before + 1
    assert events[-1].entity_id == account.entity.id and events[-1].paperless_consent
