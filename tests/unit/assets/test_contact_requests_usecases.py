"""Change requests on a real database: created by a customer (numbered, the
department told), read by their entity only, attachments while open, answered
once by an operator (an accepted plate change updates its contract)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.assets.v1 import events_pb2
from portal_runtime.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from services.assets.domain.contact_requests import (
    ContactDraft,
    ContactStatus,
    ContactTopic,
    PostalAddress,
)
from services.assets.domain.parking import ContractTerms, ContractType
from services.assets.store.contact_tables import contact_requests as table
from services.assets.usecases import contact_requests as uc
from services.assets.usecases import parking
from tests.support.outbox import outbox_events

from .conftest import World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
IBAN = "FR76 3000 6000 0112 3456 7890 189"


async def acme_contract(world: World) -> str:
    saved = await parking.put_contract(
        world.deps,
        world.operator,
        "15CTCARD125",
        ContractTerms(
            entity_id="ent-acme", car_park="Cardinet", type=ContractType.RESIDENT,
            start_date="2026-01-01", plates=["AA-111-AA", "BB-222-BB"], badges=["B1"],
            monthly_price_cents=9000, vat_rate_bp=2000,
        ),
    )  # fmt: skip
    return saved.id


def plate_change(contract_id: str, old: str = "aa-111-aa", new: str = "cc 333 cc") -> ContactDraft:
    return ContactDraft(
        ContactTopic.LICENCE_PLATE, contract_id=contract_id, old_plate=old, new_plate=new
    )


async def test_requests_are_numbered_per_year_and_the_department_told(world: World) -> None:
    first = await uc.create_contact_request(
        world.deps, world.acme, ContactDraft(ContactTopic.PHONE, new_phone="06 12 34 56 78")
    )
    second = await uc.create_contact_request(
        world.deps, world.globex, ContactDraft(ContactTopic.OTHER, message="Hello")
    )
    assert (first.request.reference, second.request.reference) == (
        "CR-2026-000001", "CR-2026-000002",
    )  # fmt: skip
    assert first.request.new_phone == "+33612345678"
    assert first.request.status is ContactStatus.OPEN
    events = await outbox_events(world.db, events_pb2, "ChangeRequestCreated")
    assert [(e.reference, e.topic, e.entity_id, e.department_email) for e in events] == [
        ("CR-2026-000001", "PHONE", "ent-acme", "relation-client@portail.localhost"),
        ("CR-2026-000002", "OTHER", "ent-globex", "relation-client@portail.localhost"),
    ]


async def test_a_refused_request_takes_no_number(world: World) -> None:
    with pytest.raises(InvalidArgument) as refused:
        await uc.create_contact_request(
            world.deps, world.acme, ContactDraft(ContactTopic.PHONE, new_phone="12")
        )
    assert [v.field for v in refused.value.violations] == ["newPhone"]
    created = await uc.create_contact_request(
        world.deps,
        world.acme,
        ContactDraft(
            ContactTopic.POSTAL_ADDRESS,
            new_address=PostalAddress("1 rue de la Paix", "", "75008", "Paris", "FR"),
        ),
    )
    assert created.request.reference == "CR-2026-000001"


async def test_operators_create_no_request(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await uc.create_contact_request(
            world.deps, world.operator, ContactDraft(ContactTopic.OTHER, message="Hi")
        )


async def test_bank_details_keep_only_the_masked_iban(world: World) -> None:
    created = await uc.create_contact_request(
        world.deps, world.acme, ContactDraft(ContactTopic.BANK_DETAILS, new_iban=IBAN)
    )
    assert created.request.new_iban_masked == "FR76 **** **** 0189"
    async with world.db.transaction() as s:
        row = (await s.execute(select(table).where(table.c.id == created.request.id))).one()
    assert not any("300060000112345678" in str(value) for value in row)
    with pytest.raises(InvalidArgument) as refused:
        await uc.create_contact_request(
            world.deps,
            world.acme,
            ContactDraft(ContactTopic.BANK_DETAILS, new_iban="FR76 3000 6000 0112 3456 7890 188"),
        )
    assert refused.value.violations[0].field == "newIban"


async def test_a_plate_change_names_the_entitys_own_contract(world: World) -> None:
    contract_id = await acme_contract(world)
    with pytest.raises(InvalidArgument) as refused:
        await uc.create_contact_request(world.deps, world.globex, plate_change(contract_id))
    assert {v.field: v.description for v in refused.value.violations} == {
        "contractId": "is not one of your parking contracts"
    }
    created = await uc.create_contact_request(world.deps, world.acme, plate_change(contract_id))
    assert (created.request.old_plate, created.request.new_plate) == ("AA111AA", "CC333CC")


async def test_requests_are_read_by_their_entity_only(world: World) -> None:
    created = await uc.create_contact_request(
        world.deps, world.acme, ContactDraft(ContactTopic.OTHER, message="Hello")
    )
    request_id = created.request.id
    assert (await uc.get_contact_request(world.deps, world.acme, request_id)).request.message == (
        "Hello"
    )
    with pytest.raises(NotFound):
        await uc.get_contact_request(world.deps, world.globex, request_id)
    assert (await uc.list_contact_requests(world.deps, world.globex)) == ([], "")
    with pytest.raises(NotFound):
        await uc.add_contact_request_attachment(world.deps, world.globex, request_id, PNG, "a.png")


async def test_attachments_while_open_only(world: World) -> None:
    created = await uc.create_contact_request(
        world.deps, world.acme, ContactDraft(ContactTopic.OTHER, message="See the photo")
    )
    request_id = created.request.id
    added = await uc.add_contact_request_attachment(
        world.deps, world.acme, request_id, PNG, "photo.png"
    )
    found, data = await uc.read_contact_request_attachment(
        world.deps, world.acme, request_id, added.id
    )
    assert (found.content_type, data) == ("image/png", PNG)
    with pytest.raises(NotFound):
        await uc.read_contact_request_attachment(world.deps, world.globex, request_id, added.id)
    view = await uc.get_contact_request(world.deps, world.acme, request_id)
    assert [a.filename for a in view.attachments] == ["photo.png"]

    await uc.answer_contact_request(
        world.deps, world.operator, request_id, ContactStatus.ANSWERED, "Thanks"
    )
    with pytest.raises(FailedPrecondition) as refused:
        await uc.add_contact_request_attachment(world.deps, world.acme, request_id, PNG, "b.png")
    assert refused.value.reason == "CONTACT_REQUEST_ANSWERED"


async def test_an_accepted_plate_change_updates_its_contract(world: World) -> None:
    contract_id = await acme_contract(world)
    created = await uc.create_contact_request(world.deps, world.acme, plate_change(contract_id))
    answered = await uc.answer_contact_request(
        world.deps, world.operator, created.request.id, ContactStatus.ACCEPTED, "Changed."
    )
    assert answered.request.status is ContactStatus.ACCEPTED
    contract = await parking.get_contract(world.deps, world.acme, contract_id)
    assert contract.plates == ("CC333CC", "BB222BB")
    [event] = await outbox_events(world.db, events_pb2, "ChangeRequestAnswered")
    assert (event.reference, event.status, event.answer, event.topic) == (
        "CR-2026-000001", "ACCEPTED", "Changed.", "LICENCE_PLATE",
    )  # fmt: skip
    with pytest.raises(FailedPrecondition):
        await uc.answer_contact_request(
            world.deps, world.operator, created.request.id, ContactStatus.REFUSED, "No"
        )


async def test_a_plate_gone_meanwhile_is_refused_and_nothing_changes(world: World) -> None:
    contract_id = await acme_contract(world)
    created = await uc.create_contact_request(world.deps, world.acme, plate_change(contract_id))
    # The operator replaces the contract's plates before answering.
    await parking.put_contract(
        world.deps,
        world.operator,
        "15CTCARD125",
        ContractTerms(
            entity_id="ent-acme", car_park="Cardinet", type=ContractType.RESIDENT,
            start_date="2026-01-01", plates=["DD-444-DD"], badges=["B1"],
            monthly_price_cents=9000, vat_rate_bp=2000,
        ),
    )  # fmt: skip
    with pytest.raises(FailedPrecondition) as refused:
        await uc.answer_contact_request(
            world.deps, world.operator, created.request.id, ContactStatus.ACCEPTED, "Done"
        )
    assert refused.value.reason == "PLATE_NOT_ON_CONTRACT"
    view = await uc.get_contact_request(world.deps, world.acme, created.request.id)
    assert view.request.status is ContactStatus.OPEN
    assert await outbox_events(world.db, events_pb2, "ChangeRequestAnswered") == []
    refusal = await uc.answer_contact_request(
        world.deps, world.operator, created.request.id, ContactStatus.REFUSED, "Plate gone."
    )
    assert refusal.request.status is ContactStatus.REFUSED
    contract = await parking.get_contract(world.deps, world.acme, contract_id)
    assert contract.plates == ("DD444DD",)


async def test_operators_list_every_entity_oldest_open_first(world: World) -> None:
    made = []
    for principal, message in ((world.acme, "one"), (world.globex, "two"), (world.acme, "three")):
        made.append(
            await uc.create_contact_request(
                world.deps, principal, ContactDraft(ContactTopic.OTHER, message=message)
            )
        )
        world.clock.advance(minutes=5)
    await uc.answer_contact_request(
        world.deps, world.operator, made[0].request.id, ContactStatus.ANSWERED, "ok"
    )
    listed, _ = await uc.admin_list_contact_requests(world.deps, world.operator)
    assert [v.request.message for v in listed] == ["two", "three", "one"]
    only_open, _ = await uc.admin_list_contact_requests(
        world.deps, world.operator, ContactStatus.OPEN, entity_id="ent-acme"
    )
    assert [v.request.message for v in only_open] == ["three"]
    mine, _ = await uc.list_contact_requests(world.deps, world.acme)
    assert [v.request.message for v in mine] == ["three", "one"]
    with pytest.raises(PermissionDenied):
        await uc.admin_list_contact_requests(world.deps, world.acme)
    with pytest.raises(PermissionDenied):
        await uc.answer_contact_request(
            world.deps, world.acme, made[1].request.id, ContactStatus.ANSWERED, "ok"
        )
