"""Identity's domain: accounts, users and memberships, profiles, one-time links
and sessions, free of I/O.

State changes that other services hear of return a fact (a frozen dataclass:
`AccountCreated`, `PasswordChanged`, `ActivationRequested`...); the service's
`events.py` turns facts into integration events. Imports only the standard
library and `portal_runtime.errors` (a unit test enforces it). Hashing, JWTs and
phone numbers live in adapters outside this package and are passed in as plain
callables where a rule needs them.
"""
