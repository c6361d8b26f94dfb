"""Change requests: a customer asks for a change (address, phone, plate, bank
details) or writes about something else, attaches files; the operators read
every entity's and answer once (an accepted plate change updates its contract)."""

from __future__ import annotations

from dataclasses import dataclass

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from portal_runtime.auth import authenticated, customer_entity
from portal_runtime.db import new_id
from portal_runtime.errors import NotFound, require_field
from portal_runtime.outbox import add_event
from portal_runtime.pagination import parse_page
from portal_runtime.phones import parse_phone
from portal_runtime.tokens import Principal
from services.assets.domain.attachments import Attachment, ParentKind
from services.assets.domain.contact_requests import (
    ContactDraft,
    ContactRequest,
    ContactStatus,
    ContactTopic,
    new_contact_request,
)
from services.assets.events import contact_requests as events
from services.assets.usecases.attachments import add_attachment, read_attachment
from services.assets.usecases.common import Deps, require_operator

# Numbers typed without a country code are French ones.
PHONE_REGION = "FR"


@dataclass(frozen=True)
class ContactRequestView:
    request: ContactRequest
    attachments: tuple[Attachment, ...] = ()


def _phone_e164(raw: str) -> str | None:
    parsed = parse_phone(raw, PHONE_REGION)
    return parsed.e164 if parsed else None


def _check_iban(raw: str) -> tuple[str, str]:
    try:
        return IBAN(raw).compact, ""
    except SchwiftyException as error:
        return "", f"is not a valid IBAN ({error})"


def _not_found() -> NotFound:
    return NotFound("CONTACT_REQUEST_NOT_FOUND", "no such contact request")


async def create_contact_request(
    deps: Deps, principal: Principal | None, draft: ContactDraft
) -> ContactRequestView:
    """The request, OPEN, numbered `CR-<year>-<000001>`; the change-requests
    department is told (ChangeRequestCreated)."""
    entity_id = customer_entity(principal)
    user_id = authenticated(principal).user_id
    now = deps.clock()
    async with deps.db.transaction() as s:
        contract = None
        if draft.topic is ContactTopic.LICENCE_PLATE and draft.contract_id.strip():
            contract = await deps.repo.parking.get_contract(s, draft.contract_id.strip(), entity_id)
        # Checked before taking a number, so that refused requests leave no gap.
        request = new_contact_request(
            draft,
            request_id=new_id(),
            entity_id=entity_id,
            user_id=user_id,
            reference="",
            now=now,
            contract=contract,
            parse_phone=_phone_e164,
            check_iban=_check_iban,
        )
        number = await deps.repo.counters.next(s, f"CR-{now.year}")
        request.reference = f"CR-{now.year}-{number:06d}"
        await deps.repo.contact_requests.add(s, request)
        await add_event(s, events.change_request_created(request, deps.mailboxes["CHANGES"]))
    return ContactRequestView(request)


async def _view(deps: Deps, s, request: ContactRequest) -> ContactRequestView:
    attachments = await deps.repo.attachments.list(s, ParentKind.CONTACT_REQUEST, request.id)
    return ContactRequestView(request, tuple(attachments))


async def _views(deps: Deps, s, found: list[ContactRequest]) -> list[ContactRequestView]:
    attached = await deps.repo.attachments.of_parents(
        s, ParentKind.CONTACT_REQUEST, [request.id for request in found]
    )
    return [ContactRequestView(request, tuple(attached[request.id])) for request in found]


async def list_contact_requests(
    deps: Deps,
    principal: Principal | None,
    status: ContactStatus | None = None,
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[ContactRequestView], str]:
    """The entity's requests, newest first."""
    entity_id = customer_entity(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.read() as s:
        found, more = await deps.repo.contact_requests.list(
            s, page, entity_id=entity_id, status=status
        )
        views = await _views(deps, s, found)
    return views, page.next_token(more)


async def get_contact_request(
    deps: Deps, principal: Principal | None, request_id: str
) -> ContactRequestView:
    entity_id = customer_entity(principal)
    request_id = require_field(request_id, "id")
    async with deps.db.read() as s:
        request = await deps.repo.contact_requests.get(s, request_id, entity_id)
        if request is None:
            raise _not_found()
        return await _view(deps, s, request)


async def add_contact_request_attachment(
    deps: Deps, principal: Principal | None, request_id: str, data: bytes, filename: str
) -> Attachment:
    """A photo or PDF on the entity's request, while it is not answered."""
    entity_id = customer_entity(principal)
    request_id = require_field(request_id, "parentId")
    async with deps.db.transaction() as s:
        # Locked: an answer given meanwhile waits, and two uploads count each other.
        request = await deps.repo.contact_requests.get(s, request_id, entity_id, for_update=True)
        if request is None:
            raise _not_found()
        request.require_open()
        return await add_attachment(
            deps,
            s,
            entity_id=entity_id,
            parent_kind=ParentKind.CONTACT_REQUEST,
            parent_id=request.id,
            data=data,
            filename=filename,
        )


async def read_contact_request_attachment(
    deps: Deps, principal: Principal | None, request_id: str, attachment_id: str
) -> tuple[Attachment, bytes]:
    entity_id = customer_entity(principal)
    request_id = require_field(request_id, "parentId")
    attachment_id = require_field(attachment_id, "id")
    async with deps.db.transaction() as s:
        request = await deps.repo.contact_requests.get(s, request_id, entity_id)
        if request is None:
            raise _not_found()
        return await read_attachment(
            deps,
            s,
            entity_id=entity_id,
            parent_kind=ParentKind.CONTACT_REQUEST,
            parent_id=request.id,
            attachment_id=attachment_id,
        )


# ---- operators ---------------------------------------------------------------------


async def admin_list_contact_requests(
    deps: Deps,
    principal: Principal | None,
    status: ContactStatus | None = None,
    entity_id: str = "",
    page_size: int = 0,
    page_token: str = "",
) -> tuple[list[ContactRequestView], str]:
    """Every entity's requests (or one's), the oldest open ones first."""
    require_operator(principal)
    page = parse_page(page_size, page_token)
    async with deps.db.transaction() as s:
        found, more = await deps.repo.contact_requests.list(
            s, page, entity_id=entity_id.strip() or None, status=status, open_first=True
        )
        views = await _views(deps, s, found)
    return views, page.next_token(more)


async def answer_contact_request(
    deps: Deps,
    principal: Principal | None,
    request_id: str,
    status: ContactStatus | None,
    answer: str,
) -> ContactRequestView:
    """The operator's one answer; an accepted plate change replaces the plate
    on its contract in the same transaction. The customer hears of it
    (ChangeRequestAnswered)."""
    require_operator(principal)
    request_id = require_field(request_id, "id")
    now = deps.clock()
    async with deps.db.transaction() as s:
        request = await deps.repo.contact_requests.get(s, request_id, None, for_update=True)
        if request is None:
            raise _not_found()
        contract = None
        if status is ContactStatus.ACCEPTED and request.topic is ContactTopic.LICENCE_PLATE:
            contract = await deps.repo.parking.get_contract(
                s, request.contract_id, request.entity_id, for_update=True
            )
        request.answer_with(status, answer, now, contract)
        if contract is not None:
            await deps.repo.parking.save_plates(s, contract)
        await deps.repo.contact_requests.save_answer(s, request)
        await add_event(s, events.change_request_answered(request))
        return await _view(deps, s, request)
