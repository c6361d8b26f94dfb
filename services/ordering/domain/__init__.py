"""Ordering's domain: beneficiaries, delivery points, orders (their lines, status
machine, shipping and load outcomes, and the facts their changes produce), the
order file, background imports and load statistics.

Pure Python: the standard library and the runtime's stdlib-only modules
(`portal_runtime.errors`, `.money`, `.dates`), nothing else."""
