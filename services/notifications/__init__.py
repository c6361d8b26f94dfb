"""The notifications service: turns identity's, ordering's, fleet's, billing's and
assets' events into e-mails, sends them reliably, and lets operators read what was sent.

    domain/      messages and their delivery life, retries, contacts, links,
                 wording (no I/O)
    store/       tables and the repositories (messages, entity contacts)
    usecases/    queue a message, list a recipient's messages, keep/read contacts
    handlers.py  which events, what they do; drafts.py what each e-mail says
    api.py       the admin gRPC servicer (convert.py: domain -> protobuf)
    delivery.py, mailers.py, rendering.py   adapters: the delivery loop, SMTP /
                 mailbox folder, Jinja2 templates
    __main__.py  composition root

See README.md.
"""
