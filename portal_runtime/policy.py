"""The access policy each RPC declares in its proto (`portal.common.v1.policy`).

Read from the generated descriptors, so the server interceptor and the gateway
agree on it without a hand-kept list.
"""

from __future__ import annotations

from functools import cache

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import MethodDescriptor

from portal.common.v1 import options_pb2


def policy_of(method: MethodDescriptor) -> options_pb2.MethodPolicy:
    options = method.GetOptions()
    if options.HasExtension(options_pb2.policy):
        return options.Extensions[options_pb2.policy]
    # No declared policy means the strictest reading: operators only.
    return options_pb2.MethodPolicy(operator=True)


@cache
def policy_for_path(full_method: str) -> options_pb2.MethodPolicy | None:
    """`/portal.identity.v1.IdentityService/Login` -> its policy, or None when the
    method is not one of ours (health, reflection)."""
    if not full_method.startswith("/portal."):
        return None  # grpc.health, reflection...: not ours to police
    try:
        service_name, method_name = full_method.lstrip("/").split("/", 1)
        service = descriptor_pool.Default().FindServiceByName(service_name)
    except (KeyError, ValueError):
        return None
    method = service.methods_by_name.get(method_name)
    return policy_of(method) if method is not None else None
