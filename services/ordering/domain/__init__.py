"""Ordering's domain: beneficiaries, delivery points, orders and the order file.

Pure Python: imports only the standard library and `portal_runtime.errors`."""
