"""The ordering service: beneficiaries, delivery points and orders of card loads.

Customers (`OrderingService`) keep their beneficiaries and delivery points and
order loads on their cards: line by line, by duplicating a past order, or with
the CSV template in their account's language (a file can be checked first;
larger files are imported in the background), then submit the order for payment
by card or by transfer. An order reads with its first lines and its figures
over all of them; its lines (up to 100,000) are paged (`ListOrderLines`).
Billing's `InvoiceSettled` (the order's invoice has nothing left to pay,
whatever paid it) marks it paid; identity's `AccountUpdated` tells each
account's language. Operators (`OrderingAdminService`) list and read any
entity's orders (by status, oldest first, entity and number), move them through
production, shipping and delivery and record each line's load, and import what
the cards spent per beneficiary and month (`card-usage:import`, a month
imported again replaces its figures); `StatisticsService` sums the loads per
month and per beneficiary next to that spending. Ordering publishes
`OrderSubmitted`, `OrderPaid`, `OrderCancelled`, `OrderShipped`,
`OrderDelivered`, `CardsLoaded`.

    domain/      the rules, plain Python: aggregates (`Order`, `Beneficiary`,
                 `DeliveryPoint`, `OrderImport`) make their own state changes and
                 return the facts (`domain/facts.py`) other services hear of
    store/       the tables and one repository per aggregate (`repo.orders`...),
                 taking and returning domain objects; rows never leave it
    usecases/    one transaction each: load -> call the domain -> save -> add
                 the event to the outbox
    events.py    each fact as its `events_pb2` message
    convert.py   protobuf -> use-case inputs, domain objects -> protobuf
    api.py       the gRPC servicers; handlers.py the event consumers;
    __main__.py  the composition root (`bootstrap`)
"""
