"""A direct-debit batch as the file the bank takes: ISO 20022 pain.008.001.02
(SEPA Core), built and checked against the official schema by the `sepaxml`
library. Debits are grouped by sequence type (FRST, RCUR), as the scheme asks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sepaxml import SepaDD
from sepaxml.validation import ValidationError

from portal_runtime.errors import FailedPrecondition
from portal_runtime.money import CURRENCY
from services.billing.domain.creditor import Creditor
from services.billing.domain.direct_debits import DebitBatch, DebitStatus

SCHEMA = "pain.008.001.02"
CONTENT_TYPE = "application/xml"
# What the bank has been (or is) asked to collect; rejected and cancelled debits
# are left out of a file downloaded again.
IN_FILE = frozenset({DebitStatus.PENDING, DebitStatus.COLLECTED, DebitStatus.RETURNED})


@dataclass(frozen=True)
class Debtor:
    """The mandate's side of a debit: who signed it, when, and the full IBAN."""

    holder: str
    iban: str
    bic: str
    signed_on: date


class _BatchFile(SepaDD):
    """sepaxml's direct-debit file, under the batch's own message id (stable, so
    that a bank refuses the same file sent twice)."""

    def __init__(self, config: dict[str, Any], message_id: str) -> None:
        self._message_id = message_id
        super().__init__(config, schema=SCHEMA)

    def _create_header(self) -> None:
        self.msg_id = self._message_id
        super()._create_header()


def pain008(batch: DebitBatch, creditor: Creditor, debtors: Mapping[str, Debtor]) -> bytes:
    """The batch's file; `debtors` by mandate id."""
    debits = [debit for debit in batch.debits if debit.status in IN_FILE]
    if not debits:
        raise FailedPrecondition("BATCH_EMPTY", f"batch {batch.id} has no debit left to collect")
    config = {
        "name": creditor.name,
        "IBAN": creditor.iban,
        "BIC": creditor.bic,
        "batch": True,
        "creditor_id": batch.creditor_id,
        "currency": CURRENCY,
        "instrument": "CORE",
    }
    sepa = _BatchFile(config, batch.message_id)
    for debit in debits:
        debtor = debtors[debit.mandate_id]
        payment: dict[str, Any] = {
            "name": debtor.holder,
            "IBAN": debtor.iban,
            "amount": debit.amount_cents,
            "type": debit.sequence_type.value,
            "collection_date": batch.collection_date,
            "mandate_id": debit.mandate_reference,
            "mandate_date": debtor.signed_on,
            "description": f"Facture / invoice {debit.document_number}",
            "endtoend_id": debit.end_to_end_id,
        }
        if debtor.bic:
            payment["BIC"] = debtor.bic
        sepa.add_payment(payment)
    try:
        return sepa.export(validate=True)
    except ValidationError as error:
        raise FailedPrecondition(
            "SEPA_FILE_INVALID", f"batch {batch.id} does not make a valid {SCHEMA} file"
        ) from error
