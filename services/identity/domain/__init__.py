"""Identity's domain: rules and value objects, free of I/O.

Imports only the standard library and `portal_runtime.errors` (a unit test
enforces it). Hashing, JWTs and phone numbers live in adapters outside this
package and are passed in as plain callables where a rule needs them.
"""
