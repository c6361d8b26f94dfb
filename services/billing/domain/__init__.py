"""Billing's domain: documents (invoices, credit notes, statements) and the lines
of an order's invoice, of fleet's one-off charges, of an accepted quote and of a
parking month's extra exits, payments and their allocation, received transfers, SEPA
mandates and claims, and what billing knows of a customer account. State changes
that other services hear of return their fact (`DocumentIssued`,
`PaymentSucceeded`, `ClaimOpened`...); `services/billing/events.py` turns facts
into integration events.

Pure Python: imports only the standard library and the runtime's stdlib-only
`portal_runtime.errors`, `portal_runtime.money` and `portal_runtime.dates`."""
