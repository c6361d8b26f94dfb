"""Identity's integration events: each domain fact as its `events_pb2` message
(`portal/identity/v1/events.proto`), ready for the outbox."""

from __future__ import annotations

from portal.identity.v1 import events_pb2
from portal_runtime.outbox import new_event
from portal_runtime.protos import to_timestamp
from services.identity.domain.accounts import AccountCreated, AccountUpdated, DelegationUnlocked
from services.identity.domain.identifiers import IdentifierReminderRequested
from services.identity.domain.links import (
    ActivationRequested,
    FirstConnectionLinkIssued,
    LinkRequested,
    MagicLinkRequested,
    PasswordResetRequested,
    UserInvited,
)
from services.identity.domain.refresh import SessionsEnded
from services.identity.domain.users import PasswordChanged, Recipient


def _recipient(recipient: Recipient | None) -> events_pb2.Recipient | None:
    if recipient is None:
        return None
    return events_pb2.Recipient(
        email=recipient.email, name=recipient.name, language=recipient.language
    )


def _link_fields(fact: LinkRequested) -> dict[str, object]:
    return {
        "entity_id": fact.entity_id,
        "user_id": fact.user_id,
        "recipient": _recipient(fact.recipient),
        "token": fact.link.raw,
        "expires_at": to_timestamp(fact.link.expires_at),
    }


def account_created(fact: AccountCreated) -> events_pb2.AccountCreated:
    return new_event(
        events_pb2.AccountCreated,
        entity_id=fact.entity_id,
        client_number=fact.client_number,
        name=fact.name,
        manager_user_id=fact.manager_user_id,
    )


def account_updated(fact: AccountUpdated) -> events_pb2.AccountUpdated:
    return new_event(
        events_pb2.AccountUpdated,
        entity_id=fact.entity_id,
        name=fact.name,
        client_number=fact.client_number,
        language=fact.language,
        paperless_consent=fact.paperless_consent,
        manager=_recipient(fact.manager),
        billing=_recipient(fact.billing),
        delivery=_recipient(fact.delivery),
        contract_numbers=list(fact.contract_numbers),
        paperless_consent_required=fact.paperless_consent_required,
        secondary=_recipient(fact.secondary),
    )


def delegation_unlocked(fact: DelegationUnlocked) -> events_pb2.DelegationUnlocked:
    return new_event(events_pb2.DelegationUnlocked, entity_id=fact.entity_id, reason=fact.reason)


def activation_requested(fact: ActivationRequested) -> events_pb2.ActivationRequested:
    return new_event(
        events_pb2.ActivationRequested,
        **_link_fields(fact),
        client_number=fact.client_number,
        contract_number=fact.contract_number,
        account_opened=fact.account_opened,
        entity_name=fact.entity_name,
    )


def first_connection_link_issued(
    fact: FirstConnectionLinkIssued,
) -> events_pb2.FirstConnectionLinkIssued:
    return new_event(
        events_pb2.FirstConnectionLinkIssued, **_link_fields(fact), entity_name=fact.entity_name
    )


def identifier_reminder_requested(
    fact: IdentifierReminderRequested,
) -> events_pb2.IdentifierReminderRequested:
    return new_event(
        events_pb2.IdentifierReminderRequested,
        user_id=fact.user_id,
        recipient=_recipient(fact.recipient),
        accounts=[
            events_pb2.AccountLogin(client_number=a.client_number, name=a.name)
            for a in fact.accounts
        ],
    )


def magic_link_requested(fact: MagicLinkRequested) -> events_pb2.MagicLinkRequested:
    return new_event(events_pb2.MagicLinkRequested, **_link_fields(fact))


def password_reset_requested(fact: PasswordResetRequested) -> events_pb2.PasswordResetRequested:
    return new_event(events_pb2.PasswordResetRequested, **_link_fields(fact))


def user_invited(fact: UserInvited) -> events_pb2.UserInvited:
    return new_event(
        events_pb2.UserInvited,
        entity_id=fact.entity_id,
        user_id=fact.user_id,
        recipient=_recipient(fact.recipient),
        token=fact.link.raw if fact.link else "",
        expires_at=to_timestamp(fact.link.expires_at) if fact.link else None,
        entity_name=fact.entity_name,
        invited_by=fact.invited_by,
    )


def password_changed(fact: PasswordChanged) -> events_pb2.PasswordChanged:
    return new_event(
        events_pb2.PasswordChanged,
        entity_id=fact.entity_id,
        user_id=fact.user_id,
        recipient=_recipient(fact.recipient),
    )


def sessions_ended(fact: SessionsEnded) -> events_pb2.SessionsEnded:
    return new_event(
        events_pb2.SessionsEnded,
        user_id=fact.user_id,
        session_ids=list(fact.session_ids),
        tokens_expire_at=to_timestamp(fact.tokens_expire_at),
    )
