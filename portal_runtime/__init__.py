"""The one shared library of Portail's services: config, server bootstrap, DB,
outbox and relay, consumers and inbox, auth, error mapping."""
