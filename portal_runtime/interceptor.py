"""The one server interceptor: trace span, token + declared policy check, the
checks every request gets (control characters, enum values), idempotency, and
domain-error mapping for every unary RPC of the suite."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import descriptor_pool, message_factory
from opentelemetry import trace
from opentelemetry.propagate import extract

from portal_runtime.auth import authorize, bind_call
from portal_runtime.db import Database
from portal_runtime.error_mapping import internal_status, to_status
from portal_runtime.errors import DomainError
from portal_runtime.idempotency import run_idempotent
from portal_runtime.policy import policy_for_path
from portal_runtime.request_checks import check_request
from portal_runtime.tokens import TokenVerifier

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


class PortalInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, verifier: TokenVerifier, db: Database) -> None:
        self.verifier = verifier
        self.db = db
        # grpc.aio asks for the handler on every call: the wrapped one is built
        # once per method (a servicer's handlers never change once serving).
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        wrapped = self._wrapped.get(details.method)
        if wrapped is not None:
            return wrapped
        handler = await continuation(details)
        policy = policy_for_path(details.method)
        if handler is None or policy is None or handler.unary_unary is None:
            return handler  # health, reflection: not ours
        wrapped = self._wrap(details.method, handler, policy)
        self._wrapped[details.method] = wrapped
        return wrapped

    def _wrap(
        self, method: str, handler: grpc.RpcMethodHandler, policy: Any
    ) -> grpc.RpcMethodHandler:
        response_type = _response_type(method)
        inner = handler.unary_unary

        async def behavior(request: Any, context: grpc.aio.ServicerContext) -> Any:
            metadata = {
                k.lower(): v for k, v in context.invocation_metadata() or () if isinstance(v, str)
            }
            started = time.perf_counter()
            with tracer.start_as_current_span(
                method, context=extract(metadata), kind=trace.SpanKind.SERVER
            ) as span:
                try:
                    principal = authorize(policy, metadata, self.verifier)
                    bind_call(principal, metadata)
                    check_request(request)
                    key = metadata.get("idempotency-key", "")
                    if policy.idempotent and key:
                        scope = f"{method}|{principal.user_id if principal else '-'}|" + (
                            principal.entity_id if principal else "-"
                        )
                        return await run_idempotent(
                            self.db,
                            scope=scope,
                            key=key,
                            request=request,
                            response_type=response_type,
                            call=lambda: inner(request, context),
                        )
                    return await inner(request, context)
                except DomainError as error:
                    span.set_attribute("portal.error.reason", error.reason)
                    log.info(
                        "%s refused: %s",
                        method,
                        error.reason,
                        extra={"request_id": metadata.get("x-request-id", "")},
                    )
                    await context.abort_with_status(to_status(error))
                except grpc.aio.AbortError:
                    raise
                except Exception:
                    log.exception(
                        "%s failed", method, extra={"request_id": metadata.get("x-request-id", "")}
                    )
                    await context.abort_with_status(internal_status())
                finally:
                    log.debug("%s in %.1f ms", method, (time.perf_counter() - started) * 1000)

        return grpc.unary_unary_rpc_method_handler(
            behavior,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _response_type(full_method: str) -> type:
    service_name, method_name = full_method.lstrip("/").split("/", 1)
    service = descriptor_pool.Default().FindServiceByName(service_name)
    return message_factory.GetMessageClass(service.methods_by_name[method_name].output_type)
