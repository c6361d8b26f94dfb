"""assets' integration events, one module per area: each domain fact as its
`events_pb2` message (`portal/assets/v1/events.proto`), ready for the outbox."""
