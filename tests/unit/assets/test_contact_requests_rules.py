"""Change-request rules: what each topic needs, the masked IBAN, one answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal_runtime.errors import FailedPrecondition, InvalidArgument
from services.assets.domain.contact_requests import (
    ContactDraft,
    ContactRequest,
    ContactStatus,
    ContactTopic,
    PostalAddress,
    mask_iban,
    new_contact_request,
)
from services.assets.domain.parking import ContractTerms, ContractType, check_terms, new_contract

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
CONTRACT = new_contract(
    "ct-1",
    "15CTCARD125",
    check_terms(
        ContractTerms(
            entity_id="ent-acme", car_park="Cardinet", type=ContractType.RESIDENT,
            start_date="2026-01-01", plates=["AA-111-AA", "BB-222-BB"], badges=["B1"],
            monthly_price_cents=9000, vat_rate_bp=2000,
        ),
        "15CTCARD125",
    ),
    NOW,
)  # fmt: skip


def phone(raw: str) -> str | None:
    return "+33612345678" if raw.replace(" ", "") == "0612345678" else None


def iban(raw: str) -> tuple[str, str]:
    compact = raw.replace(" ", "").upper()
    if compact == "FR7630006000011234567890189":
        return compact, ""
    return "", "is not a valid IBAN (invalid checksum digits)"


def create(draft: ContactDraft, contract=None) -> ContactRequest:
    return new_contact_request(
        draft,
        request_id="cr-1",
        entity_id="ent-acme",
        user_id="u-1",
        reference="CR-2026-000001",
        now=NOW,
        contract=contract,
        parse_phone=phone,
        check_iban=iban,
    )


def refused(draft: ContactDraft, contract=None) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as error:
        create(draft, contract)
    return {v.field: v.description for v in error.value.violations}


def test_topic_is_required() -> None:
    assert set(refused(ContactDraft(topic=None, message="hello"))) == {"topic"}


def test_postal_address_needs_a_full_address_with_an_iso_country() -> None:
    assert refused(ContactDraft(ContactTopic.POSTAL_ADDRESS)) == {"newAddress": "is required"}
    found = refused(
        ContactDraft(
            ContactTopic.POSTAL_ADDRESS, new_address=PostalAddress("", "", "75008", "", "France")
        )
    )
    assert set(found) == {"newAddress.line1", "newAddress.city", "newAddress.country"}
    request = create(
        ContactDraft(
            ContactTopic.POSTAL_ADDRESS,
            new_address=PostalAddress(" 1  rue de la Paix ", "", "75008", "Paris", "fr"),
        )
    )
    assert request.new_address == PostalAddress("1 rue de la Paix", "", "75008", "Paris", "FR")
    assert request.status is ContactStatus.OPEN


def test_phone_is_stored_in_e164_and_an_invalid_one_refused() -> None:
    assert create(ContactDraft(ContactTopic.PHONE, new_phone="06 12 34 56 78")).new_phone == (
        "+33612345678"
    )
    assert refused(ContactDraft(ContactTopic.PHONE, new_phone="12")) == {
        "newPhone": "must be a valid phone number"
    }


def test_plate_change_names_a_plate_of_the_entitys_contract() -> None:
    request = create(
        ContactDraft(
            ContactTopic.LICENCE_PLATE, contract_id="ct-1", old_plate="aa 111 aa",
            new_plate="cc-333-cc",
        ),
        CONTRACT,
    )  # fmt: skip
    assert (request.contract_id, request.old_plate, request.new_plate) == (
        "ct-1", "AA111AA", "CC333CC",
    )  # fmt: skip
    found = refused(
        ContactDraft(
            ContactTopic.LICENCE_PLATE, contract_id="ct-1", old_plate="ZZ999ZZ",
            new_plate="BB-222-BB",
        ),
        CONTRACT,
    )  # fmt: skip
    assert found == {
        "oldPlate": "is not on contract 15CTCARD125 (its plates: AA111AA, BB222BB)",
        "newPlate": "is already on contract 15CTCARD125",
    }
    found = refused(
        ContactDraft(ContactTopic.LICENCE_PLATE, contract_id="other", old_plate="AA111AA",
                     new_plate="?"),
    )  # fmt: skip
    assert set(found) == {"contractId", "newPlate"}
    assert found["contractId"] == "is not one of your parking contracts"


def test_only_the_masked_iban_is_kept() -> None:
    request = create(
        ContactDraft(ContactTopic.BANK_DETAILS, new_iban="fr76 3000 6000 0112 3456 7890 189")
    )
    assert request.new_iban_masked == "FR76 **** **** 0189"
    kept = [str(value) for value in vars(request).values()]
    assert not any("30006000011234567890" in value for value in kept)
    assert refused(ContactDraft(ContactTopic.BANK_DETAILS, new_iban="FR00 1234")) == {
        "newIban": "is not a valid IBAN (invalid checksum digits)"
    }
    assert mask_iban("DE89370400440532013000") == "DE89 **** **** 3000"


def test_other_needs_a_message_of_at_most_4000_characters() -> None:
    assert set(refused(ContactDraft(ContactTopic.OTHER, message="  "))) == {"message"}
    assert set(refused(ContactDraft(ContactTopic.OTHER, message="x" * 4001))) == {"message"}
    assert create(ContactDraft(ContactTopic.OTHER, message=" x " * 1000)).message


def test_a_field_of_another_topic_is_refused() -> None:
    found = refused(
        ContactDraft(ContactTopic.PHONE, new_phone="0612345678", new_iban="FR76...", old_plate="A")
    )
    assert found == {
        "oldPlate": "is only for the LICENCE_PLATE topic",
        "newIban": "is only for the BANK_DETAILS topic",
    }


def _plate_request() -> ContactRequest:
    return create(
        ContactDraft(ContactTopic.LICENCE_PLATE, contract_id="ct-1", old_plate="AA111AA",
                     new_plate="CC333CC"),
        CONTRACT,
    )  # fmt: skip


def test_accepting_a_plate_change_replaces_the_plate_once() -> None:
    contract = new_contract("ct-1", "15CTCARD125", check_terms(_terms(), "15CTCARD125"), NOW)
    request = _plate_request()
    request.answer_with(ContactStatus.ACCEPTED, "Done.", NOW, contract)
    assert contract.plates == ("CC333CC", "BB222BB")
    assert (request.status, request.answer, request.answered_at) == (
        ContactStatus.ACCEPTED, "Done.", NOW,
    )  # fmt: skip
    with pytest.raises(FailedPrecondition) as again:
        request.answer_with(ContactStatus.REFUSED, "No.", NOW)
    assert again.value.reason == "CONTACT_REQUEST_ANSWERED"


def test_a_plate_no_longer_on_the_contract_cannot_be_accepted() -> None:
    contract = new_contract("ct-1", "15CTCARD125", check_terms(_terms(), "15CTCARD125"), NOW)
    contract.replace_plate("AA111AA", "DD444DD", NOW)
    request = _plate_request()
    with pytest.raises(FailedPrecondition) as error:
        request.answer_with(ContactStatus.ACCEPTED, "Done.", NOW, contract)
    assert error.value.reason == "PLATE_NOT_ON_CONTRACT"
    assert request.status is ContactStatus.OPEN
    with pytest.raises(FailedPrecondition) as gone:
        request.answer_with(ContactStatus.ACCEPTED, "Done.", NOW, None)
    assert gone.value.reason == "PARKING_CONTRACT_GONE"


def test_answer_statuses_fit_the_topic() -> None:
    other = create(ContactDraft(ContactTopic.OTHER, message="When is the car park open?"))
    with pytest.raises(InvalidArgument):
        other.answer_with(ContactStatus.ACCEPTED, "ok", NOW)
    with pytest.raises(InvalidArgument):
        _plate_request().answer_with(ContactStatus.ANSWERED, "ok", NOW)
    with pytest.raises(InvalidArgument) as blank:
        other.answer_with(ContactStatus.OPEN, " ", NOW)
    assert {v.field for v in blank.value.violations} == {"status", "answer"}
    other.answer_with(ContactStatus.ANSWERED, "Always.", NOW)
    assert other.status is ContactStatus.ANSWERED


def _terms() -> ContractTerms:
    return ContractTerms(
        entity_id="ent-acme", car_park="Cardinet", type=ContractType.RESIDENT,
        start_date="2026-01-01", plates=["AA111AA", "BB222BB"], badges=["B1"],
        monthly_price_cents=9000, vat_rate_bp=2000,
    )  # fmt: skip
