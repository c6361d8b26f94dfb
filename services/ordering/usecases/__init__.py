"""Ordering's use cases: one transaction each, entity taken from the token."""
