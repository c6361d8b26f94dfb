"""Identity's application layer: each use case runs repository + domain +
outbox inside one `db.transaction()`."""
