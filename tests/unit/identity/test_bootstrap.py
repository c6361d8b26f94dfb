"""`bootstrap(settings)` wires a working service: migrations, the bootstrap
operator, both servicers behind the runtime's interceptor (NATS unreachable:
events wait in the outbox)."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from portal.identity.v1 import identity_pb2 as pb
from portal.identity.v1 import identity_pb2_grpc as rpc
from services.identity.__main__ import bootstrap
from tests.support.services import offline_settings

EMAIL, PASSWORD = "ops@portail.example", "operator-secret-passphrase"


async def test_bootstrap_serves_identity(tmp_path: Path) -> None:
    settings = offline_settings(
        "identity",
        tmp_path,
        PORTAL_BOOTSTRAP_OPERATOR_EMAIL=EMAIL,
        PORTAL_BOOTSTRAP_OPERATOR_PASSWORD=PASSWORD,
    )
    app = bootstrap(settings)
    await app.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
            public = rpc.IdentityServiceStub(channel)
            admin = rpc.IdentityAdminServiceStub(channel)
            session = await public.Login(pb.LoginRequest(login=EMAIL, password=PASSWORD))
            auth = (("authorization", f"Bearer {session.access_token}"),)
            account = await admin.CreateAccount(
                pb.CreateAccountRequest(
                    name="ACME", contract_number="K1", manager=pb.NewManager(email="b@acme.fr")
                ),
                metadata=auth,
            )
            assert account.client_number and [c.number for c in account.contracts] == ["K1"]
            me = await public.GetMe(pb.GetMeRequest(), metadata=auth)
            assert me.operator and me.user.email == EMAIL
            await public.RequestActivation(
                pb.RequestActivationRequest(client_number="NOPE", contract_number="K1")
            )
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await public.Login(pb.LoginRequest(login=EMAIL, password="wrong password"))
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await public.GetAccount(
                    pb.GetAccountRequest(), metadata=auth
                )  # operator: no entity
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
            await public.Logout(pb.LogoutRequest(), metadata=auth)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await public.GetMe(pb.GetMeRequest(), metadata=auth)
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        await app.stop()
