"""PORTAL_GATEWAY_SERVICES: routes of services this deployment does not run are
not served, and /readyz does not wait for them."""

from __future__ import annotations

from gateway.settings import GatewaySettings


def test_services_list_is_read_from_the_environment():
    settings = GatewaySettings.from_env({"PORTAL_GATEWAY_SERVICES": "identity, notifications"})
    assert settings.domains == frozenset({"identity", "notifications"})
    assert GatewaySettings.from_env({}).domains is None


async def test_routes_of_services_not_deployed_answer_404(make_client):
    async with make_client(domains=frozenset({"identity"})) as client:
        absent = await client.get("/v1/admin/messages", params={"recipient": "a@b.c"})
        assert absent.status_code == 404
        assert absent.json()["error"]["status"] == "NOT_FOUND"
        ready = await client.get("/readyz")
        assert ready.json().get("backends", ["identity"]) == ["identity"]
