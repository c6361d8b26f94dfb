"""Notifications' use cases: queue a message (`messages.queue_message`, what
every e-mail-making event ends in), list a recipient's messages for operators
(`messages.list_messages`), and keep or read an account's contacts
(`contacts`)."""
