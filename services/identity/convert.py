"""Protobuf <-> domain objects and use-case data, for the servicers."""

from __future__ import annotations

from portal.identity.v1 import identity_pb2 as pb
from portal_runtime.protos import to_timestamp
from services.identity.domain.accounts import CONTACT_KINDS, Account, Contact, Entity, UnlockRule
from services.identity.domain.contracts import Contract, ContractStatus
from services.identity.domain.profiles import Profile
from services.identity.sessions import SessionTokens
from services.identity.usecases.accounts import MeData, MemberData

_STATUS = {
    "PENDING": pb.USER_STATUS_PENDING,
    "ACTIVE": pb.USER_STATUS_ACTIVE,
    "DISABLED": pb.USER_STATUS_DISABLED,
}

_UNLOCK_RULES = {
    UnlockRule.FIRST_ORDER: pb.UNLOCK_RULE_FIRST_ORDER,
    UnlockRule.UNLOCKED: pb.UNLOCK_RULE_UNLOCKED,
}
_CONTRACT_STATUS = {
    ContractStatus.ACTIVE: pb.CONTRACT_STATUS_ACTIVE,
    ContractStatus.ENDED: pb.CONTRACT_STATUS_ENDED,
}


def unlock_rule_given(value: int) -> UnlockRule | None:
    """The rule a request names; None when unspecified."""
    return next((rule for rule, number in _UNLOCK_RULES.items() if number == value), None)


def session(tokens: SessionTokens) -> pb.Session:
    return pb.Session(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        token_type="Bearer",  # noqa: S106 - the scheme, not a secret
        password_change_required=tokens.password_change_required,
    )


def contact_pb(c: Contact) -> pb.Contact:
    return pb.Contact(name=c.name, email=c.email, phone=c.phone)


def contact_from_pb(message: pb.Contact) -> Contact:
    return Contact(message.name, message.email, message.phone)


def contacts_given(request: pb.UpdateAccountContactsRequest) -> dict[str, Contact]:
    return {
        kind: contact_from_pb(getattr(request, kind))
        for kind in CONTACT_KINDS
        if request.HasField(kind)
    }


def contract(c: Contract) -> pb.Contract:
    return pb.Contract(
        number=c.number,
        label=c.label,
        started_at=to_timestamp(c.started_at),
        ended_at=to_timestamp(c.ended_at),
        status=_CONTRACT_STATUS[c.status],
    )


def account(data: Account, *, customer: bool = False) -> pb.Account:
    """Customers see no contracts while a paperless consent the operator
    requires is missing; operators see everything."""
    e = data.entity
    shown = data.visible_contracts() if customer else data.contracts
    return pb.Account(
        id=e.id,
        name=e.name,
        client_number=e.client_number,
        contracts=[contract(c) for c in shown],
        contacts=pb.Contacts(**{kind: contact_pb(e.contact(kind)) for kind in CONTACT_KINDS}),
        paperless_consent=e.paperless_consent,
        delegation_unlocked=e.delegation_unlocked,
        created_at=to_timestamp(e.created_at),
        language=e.language,
        unlock_rule=_UNLOCK_RULES[e.unlock_rule],
        paperless_consent_required=e.paperless_consent_required,
        manager_user_id=e.manager_user_id or "",
    )


def user(data: MemberData) -> pb.User:
    u = data.user
    return pb.User(
        id=u.id,
        email=u.email,
        secondary_email=u.secondary_email,
        first_name=u.first_name,
        last_name=u.last_name,
        profile_id=data.profile_id,
        profile_name=data.profile_name,
        status=_STATUS.get(data.status, pb.USER_STATUS_UNSPECIFIED),
        created_at=to_timestamp(u.created_at),
        last_login_at=to_timestamp(u.last_login_at),
        language=u.language,
    )


def entity_summary(e: Entity | None) -> pb.EntitySummary | None:
    if e is None:
        return None
    return pb.EntitySummary(id=e.id, name=e.name, client_number=e.client_number)


def me(data: MeData) -> pb.Me:
    current = data.current or MemberData(data.user, "", "", data.user.status)
    return pb.Me(
        user=user(current),
        current_entity=entity_summary(data.current_entity),
        permissions=sorted(data.permissions),
        entities=[entity_summary(e) for e in data.entities],
        operator=data.user.operator,
    )


def profile(p: Profile) -> pb.Profile:
    return pb.Profile(id=p.id, name=p.name, permissions=sorted(p.permissions), built_in=p.built_in)
