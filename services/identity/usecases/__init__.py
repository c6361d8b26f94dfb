"""Identity's application layer: each use case loads domain objects from the
repository, calls the domain, saves what changed and adds the events of the
facts the domain returned (`services.identity.events`), inside one
`db.transaction()`."""
