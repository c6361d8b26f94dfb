"""The billing service (`portal.billing.v1`): invoices, credit notes and
statements with gapless numbers and their PDFs (naming the customer's web
identifier and the portal's address), card payments (held back, where the
operator requires it, until the account's paperless consent) through a payment
provider and its signed webhooks, received bank transfers matched to what is
expected, SEPA mandates (the full IBAN encrypted: `iban_vault.py`) and the direct
debits collected under them (batches, their pain.008 file: `sepa_file.py`,
settlement, the bank's returns), and claims.

`domain/` holds the rules and the facts state changes produce; `store/` the
tables and the repositories (domain objects in and out); `usecases/` load, call
the domain, save and put the event in the outbox (`events.py` turns facts into
integration events); `api.py` and `convert.py` are the gRPC servicers;
`handlers.py` consumes identity's AccountUpdated, ordering's OrderSubmitted
and OrderCancelled, fleet's ChangeCompleted (its one-off charges invoiced), and
assets' QuoteAccepted (the quote invoiced, with the customer's purchase order)
and ParkingMonthClosed (a statement of each contract's extra exits);
`providers/` are the payment providers; `__main__.py` wires it."""
