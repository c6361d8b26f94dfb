"""Change-request RPCs (every vertical): customers create, read and attach;
operators list every entity's and answer."""

from __future__ import annotations

from google.api import httpbody_pb2

from portal.assets.v1 import assets_pb2 as pb
from portal.common.v1.types_pb2 import Address
from portal_runtime.auth import current_principal
from portal_runtime.protos import to_timestamp
from services.assets.domain.attachments import Attachment
from services.assets.domain.contact_requests import (
    ContactDraft,
    ContactStatus,
    ContactTopic,
    PostalAddress,
)
from services.assets.usecases import contact_requests
from services.assets.usecases.common import Deps
from services.assets.usecases.contact_requests import ContactRequestView

_TOPIC = "CONTACT_TOPIC_"
_STATUS = "CONTACT_REQUEST_STATUS_"


def topic_from_proto(value: int) -> ContactTopic | None:
    """None for UNSPECIFIED."""
    return ContactTopic(pb.ContactTopic.Name(value).removeprefix(_TOPIC)) if value else None


def status_from_proto(value: int) -> ContactStatus | None:
    """None for UNSPECIFIED."""
    if not value:
        return None
    return ContactStatus(pb.ContactRequestStatus.Name(value).removeprefix(_STATUS))


def attachment_message(found: Attachment) -> pb.Attachment:
    return pb.Attachment(
        id=found.id,
        filename=found.filename,
        content_type=found.content_type,
        size=found.size,
        created_at=to_timestamp(found.created_at),
    )


def contact_request_message(view: ContactRequestView) -> pb.ContactRequest:
    request = view.request
    message = pb.ContactRequest(
        id=request.id,
        reference=request.reference,
        topic=pb.ContactTopic.Value(_TOPIC + request.topic.value),
        status=pb.ContactRequestStatus.Value(_STATUS + request.status.value),
        message=request.message,
        contract_id=request.contract_id,
        old_plate=request.old_plate,
        new_plate=request.new_plate,
        new_phone=request.new_phone,
        new_iban_masked=request.new_iban_masked,
        attachments=[attachment_message(a) for a in view.attachments],
        answer=request.answer,
        created_at=to_timestamp(request.created_at),
        answered_at=to_timestamp(request.answered_at),
        entity_id=request.entity_id,
    )
    if request.new_address is not None:
        address = request.new_address
        message.new_address.CopyFrom(
            Address(
                line1=address.line1,
                line2=address.line2,
                postal_code=address.postal_code,
                city=address.city,
                country=address.country,
            )
        )
    return message


def draft_from_proto(request: pb.CreateContactRequestRequest) -> ContactDraft:
    address = None
    if request.HasField("new_address"):
        given = request.new_address
        address = PostalAddress(
            given.line1, given.line2, given.postal_code, given.city, given.country
        )
    return ContactDraft(
        topic=topic_from_proto(request.topic),
        message=request.message,
        contract_id=request.contract_id,
        old_plate=request.old_plate,
        new_plate=request.new_plate,
        new_address=address,
        new_phone=request.new_phone,
        new_iban=request.new_iban,
    )


class ContactRequestRpcs:
    deps: Deps

    async def CreateContactRequest(self, request: pb.CreateContactRequestRequest, context):
        created = await contact_requests.create_contact_request(
            self.deps, current_principal(), draft_from_proto(request)
        )
        return contact_request_message(created)

    async def ListContactRequests(self, request: pb.ListContactRequestsRequest, context):
        found, token = await contact_requests.list_contact_requests(
            self.deps,
            current_principal(),
            status_from_proto(request.status),
            request.page_size,
            request.page_token,
        )
        return pb.ListContactRequestsResponse(
            contact_requests=[contact_request_message(v) for v in found], next_page_token=token
        )

    async def GetContactRequest(self, request: pb.GetContactRequestRequest, context):
        found = await contact_requests.get_contact_request(
            self.deps, current_principal(), request.id
        )
        return contact_request_message(found)

    async def AddContactRequestAttachment(self, request: pb.AddAttachmentRequest, context):
        added = await contact_requests.add_contact_request_attachment(
            self.deps, current_principal(), request.parent_id, request.file.data, request.filename
        )
        return attachment_message(added)

    async def GetContactRequestAttachment(self, request: pb.GetAttachmentRequest, context):
        found, data = await contact_requests.read_contact_request_attachment(
            self.deps, current_principal(), request.parent_id, request.id
        )
        return httpbody_pb2.HttpBody(content_type=found.content_type, data=data)


class ContactRequestAdminRpcs:
    deps: Deps

    async def ListContactRequests(self, request: pb.AdminListContactRequestsRequest, context):
        found, token = await contact_requests.admin_list_contact_requests(
            self.deps,
            current_principal(),
            status_from_proto(request.status),
            request.entity_id,
            request.page_size,
            request.page_token,
        )
        return pb.ListContactRequestsResponse(
            contact_requests=[contact_request_message(v) for v in found], next_page_token=token
        )

    async def AnswerContactRequest(self, request: pb.AnswerContactRequestRequest, context):
        answered = await contact_requests.answer_contact_request(
            self.deps,
            current_principal(),
            request.id,
            status_from_proto(request.status),
            request.answer,
        )
        return contact_request_message(answered)
