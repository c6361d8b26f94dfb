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


async def test_a_malformed_multipart_upload_is_a_client_error(make_client, keys):
    token = keys.issuer.issue(user_id="u1", entity_id="e1", permissions={"orders.write"})
    async with make_client(domains=None) as client:
        answer = await client.post(
            "/v1/orders:import",
            content=b"--x\r\nnot really a form",
            headers={"Content-Type": "multipart/form-data", "Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 400, answer.text
    assert "multipart" in answer.json()["error"]["message"]
