"""Every RPC a proto declares is implemented by its servicer: a renamed or
forgotten method would otherwise answer INTERNAL only at run time."""

from __future__ import annotations

import pytest

from portal.billing.v1 import billing_pb2, billing_pb2_grpc
from portal.fleet.v1 import fleet_pb2, fleet_pb2_grpc
from portal.identity.v1 import identity_pb2, identity_pb2_grpc
from portal.notifications.v1 import notifications_pb2, notifications_pb2_grpc
from portal.ordering.v1 import ordering_pb2, ordering_pb2_grpc
from portal_runtime.operations import OperationsServicer
from services.billing.api import BillingAdminApi, BillingApi
from services.fleet.api import FleetAdminApi, FleetApi
from services.identity.api import IdentityAdminApi, IdentityApi
from services.notifications.api import NotificationsAdminApi
from services.ordering.api import OrderingAdminApi, OrderingApi, StatisticsApi

CASES = [
    (BillingApi, billing_pb2_grpc.BillingServiceServicer, billing_pb2, "BillingService"),
    (
        BillingAdminApi,
        billing_pb2_grpc.BillingAdminServiceServicer,
        billing_pb2,
        "BillingAdminService",
    ),
    (
        OperationsServicer,
        billing_pb2_grpc.BillingOperationsServiceServicer,
        billing_pb2,
        "BillingOperationsService",
    ),
    (
        OperationsServicer,
        identity_pb2_grpc.IdentityOperationsServiceServicer,
        identity_pb2,
        "IdentityOperationsService",
    ),
    (
        OperationsServicer,
        notifications_pb2_grpc.NotificationsOperationsServiceServicer,
        notifications_pb2,
        "NotificationsOperationsService",
    ),
    (
        OperationsServicer,
        ordering_pb2_grpc.OrderingOperationsServiceServicer,
        ordering_pb2,
        "OrderingOperationsService",
    ),
    (FleetApi, fleet_pb2_grpc.FleetServiceServicer, fleet_pb2, "FleetService"),
    (FleetAdminApi, fleet_pb2_grpc.FleetAdminServiceServicer, fleet_pb2, "FleetAdminService"),
    (OrderingApi, ordering_pb2_grpc.OrderingServiceServicer, ordering_pb2, "OrderingService"),
    (
        OrderingAdminApi,
        ordering_pb2_grpc.OrderingAdminServiceServicer,
        ordering_pb2,
        "OrderingAdminService",
    ),
    (StatisticsApi, ordering_pb2_grpc.StatisticsServiceServicer, ordering_pb2, "StatisticsService"),
    (IdentityApi, identity_pb2_grpc.IdentityServiceServicer, identity_pb2, "IdentityService"),
    (
        IdentityAdminApi,
        identity_pb2_grpc.IdentityAdminServiceServicer,
        identity_pb2,
        "IdentityAdminService",
    ),
    (
        NotificationsAdminApi,
        notifications_pb2_grpc.NotificationsAdminServiceServicer,
        notifications_pb2,
        "NotificationsAdminService",
    ),
]


@pytest.mark.parametrize(("servicer", "generated_base", "module", "service"), CASES)
def test_servicer_overrides_every_method(servicer, generated_base, module, service):
    missing = [
        method.name
        for method in module.DESCRIPTOR.services_by_name[service].methods
        if not callable(getattr(servicer, method.name, None))
        or getattr(servicer, method.name) is getattr(generated_base, method.name)
    ]
    assert missing == [], f"{servicer.__name__} does not implement {missing}"
