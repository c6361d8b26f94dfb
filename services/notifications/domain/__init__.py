"""Notifications' rules, free of I/O: the message and its delivery life
(`messages`), the retry schedule (`retry`), who an account's e-mails go to
(`contacts`), the links each template carries (`links`), and the words and
dates e-mails are written with (`wording`).

Imports only the standard library and `portal_runtime.errors` (a unit test
enforces it).
"""
