"""The assets service: the equipment-maintenance customer area (the park of
machines, service requests with attachments, quotes accepted into orders) and
the parking customer area (contracts, low-usage monthly statements), with the
change requests of every vertical.

RPCs: `portal.assets.v1.AssetsService` (customers), `AssetsAdminService`
(operators), `AssetsOperationsService` (dead letters).
Publishes (`portal.assets.*`): ServiceRequestCreated, ServiceRequestStatusChanged,
QuoteIssued, QuoteAccepted, QuoteDeclined, ParkingMonthClosed,
ChangeRequestCreated, ChangeRequestAnswered.
Hears: identity's AccountUpdated (the account's name and address on quotes)."""
