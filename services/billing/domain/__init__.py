"""Billing's domain: documents (invoices, credit notes, statements), payments and
their allocation, received transfers, SEPA mandates and claims.

Pure Python: imports only the standard library and `portal_runtime.errors`."""
