"""Change requests of every vertical: a customer asks the operator to change
their postal address, phone number, a parking contract's licence plate or their
bank details, or writes about another topic; the operator accepts, refuses or
answers, once.

Phone numbers and IBANs are read by libraries the use case passes in (this
package imports none). Of a new IBAN only its masked form is kept: bank details
change by signing a new direct-debit mandate in billing, never from an IBAN
typed in a message, so the full number has no use here and is not stored."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from portal_runtime.errors import FailedPrecondition, Violations

from .parking import PLATE_PROBLEM, ParkingContract, normalise_plate

MAX_MESSAGE = 4000
MAX_ANSWER = 4000
MAX_ADDRESS_LINE = 100
MAX_POSTAL_CODE = 16
MAX_CITY = 100
_COUNTRY = re.compile(r"^[A-Z]{2}$")

# A phone number as typed -> E.164, or None when it is not a valid number.
PhoneParser = Callable[[str], str | None]
# An IBAN as typed -> (its compact form, "") or ("", why it is not valid).
IbanChecker = Callable[[str], tuple[str, str]]


class ContactTopic(StrEnum):
    POSTAL_ADDRESS = "POSTAL_ADDRESS"
    PHONE = "PHONE"
    LICENCE_PLATE = "LICENCE_PLATE"
    BANK_DETAILS = "BANK_DETAILS"
    OTHER = "OTHER"


class ContactStatus(StrEnum):
    OPEN = "OPEN"
    # The change was made (a plate change updated its contract).
    ACCEPTED = "ACCEPTED"
    REFUSED = "REFUSED"
    # Answered: OTHER asks for no change.
    ANSWERED = "ANSWERED"


@dataclass(frozen=True)
class PostalAddress:
    line1: str
    line2: str
    postal_code: str
    city: str
    country: str

    @property
    def given(self) -> bool:
        return any(
            part.strip()
            for part in (self.line1, self.line2, self.postal_code, self.city, self.country)
        )


@dataclass(frozen=True)
class ContactDraft:
    """What the customer sends."""

    topic: ContactTopic | None
    message: str = ""
    contract_id: str = ""
    old_plate: str = ""
    new_plate: str = ""
    new_address: PostalAddress | None = None
    new_phone: str = ""
    new_iban: str = ""


@dataclass
class ContactRequest:
    id: str
    entity_id: str
    user_id: str
    reference: str
    topic: ContactTopic
    message: str
    created_at: datetime
    status: ContactStatus = ContactStatus.OPEN
    contract_id: str = ""
    old_plate: str = ""
    new_plate: str = ""
    new_address: PostalAddress | None = None
    new_phone: str = ""  # E.164
    new_iban_masked: str = ""
    answer: str = ""
    answered_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.status is ContactStatus.OPEN

    def details(self) -> list[str]:
        """The change asked, a line each, for the operators who act on it."""
        lines = []
        if self.new_address is not None and self.new_address.given:
            address = self.new_address
            parts = [
                address.line1,
                address.line2,
                f"{address.postal_code} {address.city}".strip(),
                address.country,
            ]
            lines.append("Nouvelle adresse / new address: " + ", ".join(p for p in parts if p))
        if self.new_phone:
            lines.append(f"Nouveau téléphone / new phone: {self.new_phone}")
        if self.new_plate:
            lines.append(
                f"Plaque / plate: {self.old_plate} -> {self.new_plate} (contrat {self.contract_id})"
            )
        if self.new_iban_masked:
            lines.append(f"IBAN: {self.new_iban_masked}")
        return lines

    def require_open(self) -> None:
        """Attachments and answers are for requests not answered yet."""
        if not self.open:
            raise FailedPrecondition(
                "CONTACT_REQUEST_ANSWERED",
                f"request {self.reference} was answered already ({self.status.value})",
            )

    def answer_with(
        self,
        status: ContactStatus | None,
        answer: str,
        now: datetime,
        contract: ParkingContract | None = None,
    ) -> None:
        """The operator's one answer. ACCEPTED is for changes (the change made),
        ANSWERED for OTHER (nothing to change), REFUSED for any topic. An
        accepted plate change replaces the old plate by the new one on
        `contract` (the request's, None when the customer no longer has it),
        refused when the old plate is no longer there."""
        self.require_open()
        violations = Violations()
        text = answer.strip()
        if status is None or status is ContactStatus.OPEN:
            violations.add("status", "must be ACCEPTED, REFUSED or ANSWERED")
        elif status is ContactStatus.ACCEPTED and self.topic is ContactTopic.OTHER:
            violations.add("status", "an OTHER request asks for no change: answer it (ANSWERED)")
        elif status is ContactStatus.ANSWERED and self.topic is not ContactTopic.OTHER:
            violations.add(
                "status", f"a {self.topic.value} request asks for a change: ACCEPTED or REFUSED"
            )
        if not text:
            violations.add("answer", "is required")
        elif len(text) > MAX_ANSWER:
            violations.add("answer", f"must be at most {MAX_ANSWER} characters")
        violations.raise_if_any()
        if status is ContactStatus.ACCEPTED and self.topic is ContactTopic.LICENCE_PLATE:
            if contract is None or contract.id != self.contract_id:
                raise FailedPrecondition(
                    "PARKING_CONTRACT_GONE",
                    "the request's parking contract is no longer the customer's: refuse it",
                )
            contract.replace_plate(self.old_plate, self.new_plate, now)
        assert status is not None
        self.status = status
        self.answer = text
        self.answered_at = now


def mask_iban(compact: str) -> str:
    """`FR7630006000011234567890189` -> `FR76 **** **** 0189`: enough for the
    customer and the operator to recognise the account, useless to anyone else."""
    return f"{compact[:4]} **** **** {compact[-4:]}"


def _check_address(address: PostalAddress, violations: Violations) -> PostalAddress:
    def clean(value: str) -> str:
        return " ".join(value.split())

    checked = PostalAddress(
        line1=clean(address.line1),
        line2=clean(address.line2),
        postal_code=clean(address.postal_code).upper(),
        city=clean(address.city),
        country=clean(address.country).upper(),
    )
    for name, value, limit in (
        ("line1", checked.line1, MAX_ADDRESS_LINE),
        ("line2", checked.line2, MAX_ADDRESS_LINE),
        ("postalCode", checked.postal_code, MAX_POSTAL_CODE),
        ("city", checked.city, MAX_CITY),
    ):
        if not value and name != "line2":
            violations.add(f"newAddress.{name}", "is required")
        elif len(value) > limit:
            violations.add(f"newAddress.{name}", f"must be at most {limit} characters")
    if not checked.country:
        violations.add("newAddress.country", "is required")
    elif not _COUNTRY.match(checked.country):
        violations.add("newAddress.country", "must be an ISO 3166-1 alpha-2 code, e.g. FR")
    return checked


def _only_for(draft: ContactDraft, violations: Violations) -> None:
    """A field of another topic is refused rather than silently dropped."""
    given = {
        "contractId": (bool(draft.contract_id.strip()), ContactTopic.LICENCE_PLATE),
        "oldPlate": (bool(draft.old_plate.strip()), ContactTopic.LICENCE_PLATE),
        "newPlate": (bool(draft.new_plate.strip()), ContactTopic.LICENCE_PLATE),
        "newAddress": (
            draft.new_address is not None and draft.new_address.given,
            ContactTopic.POSTAL_ADDRESS,
        ),
        "newPhone": (bool(draft.new_phone.strip()), ContactTopic.PHONE),
        "newIban": (bool(draft.new_iban.strip()), ContactTopic.BANK_DETAILS),
    }
    for name, (present, topic) in given.items():
        if present and draft.topic is not topic:
            violations.add(name, f"is only for the {topic.value} topic")


def new_contact_request(
    draft: ContactDraft,
    *,
    request_id: str,
    entity_id: str,
    user_id: str,
    reference: str,
    now: datetime,
    contract: ParkingContract | None,
    parse_phone: PhoneParser,
    check_iban: IbanChecker,
) -> ContactRequest:
    """The request, OPEN, or InvalidArgument naming every problem. `contract`
    is the entity's parking contract `draft.contract_id` names (None when it has
    no such contract)."""
    violations = Violations()
    message = draft.message.strip()
    if len(message) > MAX_MESSAGE:
        violations.add("message", f"must be at most {MAX_MESSAGE} characters")
    if draft.topic is None:
        violations.add(
            "topic", "is required (POSTAL_ADDRESS, PHONE, LICENCE_PLATE, BANK_DETAILS or OTHER)"
        )
    _only_for(draft, violations)
    request = ContactRequest(
        id=request_id,
        entity_id=entity_id,
        user_id=user_id,
        reference=reference,
        topic=draft.topic or ContactTopic.OTHER,
        message=message,
        created_at=now,
    )
    if draft.topic is ContactTopic.POSTAL_ADDRESS:
        if draft.new_address is None or not draft.new_address.given:
            violations.add("newAddress", "is required")
        else:
            request.new_address = _check_address(draft.new_address, violations)
    elif draft.topic is ContactTopic.PHONE:
        if not draft.new_phone.strip():
            violations.add("newPhone", "is required")
        else:
            request.new_phone = parse_phone(draft.new_phone.strip()) or ""
            if not request.new_phone:
                violations.add("newPhone", "must be a valid phone number")
    elif draft.topic is ContactTopic.LICENCE_PLATE:
        _plate_change(draft, request, contract, violations)
    elif draft.topic is ContactTopic.BANK_DETAILS:
        if not draft.new_iban.strip():
            violations.add("newIban", "is required")
        else:
            compact, problem = check_iban(draft.new_iban)
            if problem:
                violations.add("newIban", problem)
            else:
                request.new_iban_masked = mask_iban(compact)
    elif draft.topic is ContactTopic.OTHER and not message:
        violations.add("message", "is required: what do you want to tell us?")
    violations.raise_if_any()
    return request


def _plate_change(
    draft: ContactDraft,
    request: ContactRequest,
    contract: ParkingContract | None,
    violations: Violations,
) -> None:
    if not draft.contract_id.strip():
        violations.add("contractId", "is required: the parking contract whose plate changes")
    elif contract is None:
        violations.add("contractId", "is not one of your parking contracts")
    old = normalise_plate(draft.old_plate)
    new = normalise_plate(draft.new_plate)
    if not draft.old_plate.strip():
        violations.add("oldPlate", "is required")
    elif old is None:
        violations.add("oldPlate", PLATE_PROBLEM)
    elif contract is not None and old not in contract.plates:
        on_it = ", ".join(contract.plates) or "none"
        violations.add("oldPlate", f"is not on contract {contract.number} (its plates: {on_it})")
    if not draft.new_plate.strip():
        violations.add("newPlate", "is required")
    elif new is None:
        violations.add("newPlate", PLATE_PROBLEM)
    elif contract is not None and new in contract.plates:
        violations.add("newPlate", f"is already on contract {contract.number}")
    if contract is not None:
        request.contract_id = contract.id
    request.old_plate = old or ""
    request.new_plate = new or ""
