"""Billing's use cases: one module per concept."""
