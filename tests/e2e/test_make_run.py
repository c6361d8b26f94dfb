"""`make run` as a newcomer runs it: the launcher starts everything, loads the
demo data, prints where to go, serves the demo logins, and Ctrl-C stops it all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sepaxml
import xmlschema

from deploy.local import seed, seed_assets
from deploy.local.natsserver import free_port
from deploy.local.suite import ROOT, SERVICES


def _wait(probe, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout}s")


def _pay_the_demo_order_by_card(base: str, token: str, order: dict) -> None:
    """The seed scenario: submit, pay the invoice on the provider's page, see
    the order paid, download the invoice PDF."""
    auth = {"Authorization": f"Bearer {token}"}
    submitted = httpx.post(
        f"{base}/v1/orders/{order['id']}:submit", json={"paymentMethod": "CARD"}, headers=auth
    )
    assert submitted.status_code == 200, submitted.text

    def invoice() -> dict | None:
        docs = httpx.get(f"{base}/v1/documents", headers=auth).json()["documents"]
        return next((d for d in docs if d["orderId"] == order["id"]), None)

    document = _wait(invoice, "the order's invoice")
    payment = httpx.post(f"{base}/v1/documents/{document['id']}:pay", json={}, headers=auth)
    assert payment.status_code == 201, payment.text
    page_url = payment.json()["redirectUrl"]
    assert httpx.get(page_url).status_code == 200
    httpx.post(f"{page_url}/complete", data={"outcome": "success"})
    _wait(
        lambda: (
            httpx.get(f"{base}/v1/orders/{order['id']}", headers=auth).json()["status"]
            == "ORDER_STATUS_PAID"
        ),
        "the order paid",
    )
    pdf = httpx.get(f"{base}/v1/documents/{document['id']}/pdf", headers=auth)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def _collect_the_demo_direct_debit(base: str) -> None:
    """The operator collects the demo customer's service fee invoice under its SEPA
    mandate: the batch file is a pain.008.001.02 valid against the official XSD."""
    operator = httpx.post(
        f"{base}/v1/auth/login",
        json={"login": seed.OPERATOR_EMAIL, "password": seed.OPERATOR_PASSWORD},
    ).json()["accessToken"]
    auth = {"Authorization": f"Bearer {operator}"}
    day = (datetime.now(UTC).date() + timedelta(days=31)).isoformat()
    batch = httpx.post(
        f"{base}/v1/admin/direct-debits:collect", json={"collectionDate": day}, headers=auth
    )
    assert batch.status_code == 201, batch.text
    assert [int(d["amount"]["amountCents"]) for d in batch.json()["debits"]] == [14_400]
    file = httpx.get(
        f"{base}/v1/admin/direct-debit-batches/{batch.json()['id']}/file", headers=auth
    )
    assert file.status_code == 200, file.text
    xsd = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
    xmlschema.XMLSchema(str(xsd)).validate(file.text)
    assert "FR7630006000011234567890189" in file.text


def _login(base: str, login: str, password: str) -> dict[str, str]:
    answer = httpx.post(f"{base}/v1/auth/login", json={"login": login, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['accessToken']}"}


def _check_the_assets_demo_customers(base: str, banner: str) -> None:
    """assets' two demo customers, whose logins the banner prints: the maintenance
    customer's park of machines and quotes, the parking customer's statements."""
    maintenance = (seed_assets.MAINTENANCE_EMAIL, seed_assets.MAINTENANCE_PASSWORD)
    parking = (seed_assets.PARKING_EMAIL, seed_assets.PARKING_PASSWORD)
    for login, password in (maintenance, parking):
        assert f"{login} / {password}" in banner
    auth = _login(base, *maintenance)
    park = httpx.get(f"{base}/v1/equipment", params={"pageSize": 100}, headers=auth)
    assert park.status_code == 200, park.text  # assets is served through the gateway
    assert len(park.json()["equipment"]) == seed_assets.DEMO_MACHINES
    quotes = httpx.get(f"{base}/v1/quotes", headers=auth)
    assert quotes.status_code == 200, quotes.text
    assert quotes.json().get("quotes"), "the maintenance customer has quotes"

    auth = _login(base, *parking)
    statements = httpx.get(f"{base}/v1/parking/statements", headers=auth)
    assert statements.status_code == 200, statements.text
    # Low-usage statements for the two months whose exits were imported.
    months = {s["month"] for s in statements.json().get("statements", [])}
    assert len(months) == 2, statements.text


def _sign_in_through_the_portal(portal: str) -> None:
    """The demo manager signs in on the portal's form as a browser does: the login
    page (French by default), its CSRF token, the session cookie, then the redirect
    to the dashboard of the manager's account."""
    with httpx.Client(base_url=portal, follow_redirects=True, timeout=30) as browser:
        page = browser.get("/login")
        assert page.status_code == 200, page.text
        assert '<html lang="fr">' in page.text
        assert "Connexion à votre espace client" in page.text
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, "the login form carries a CSRF token"
        cookie = page.headers["set-cookie"]
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower(), cookie
        dashboard = browser.post(
            "/login",
            data={
                "login": seed.MANAGER_EMAIL,
                "password": seed.MANAGER_PASSWORD,
                "csrf": found.group(1),
                "next": "/",
            },
        )
        assert dashboard.status_code == 200, dashboard.text
        assert [r.status_code for r in dashboard.history] == [303], dashboard.history
        assert dashboard.url.path == "/"
        account = seed.DEMO_ACCOUNT
        assert (
            f"Vous agissez pour {account['name']} (n° client {account['clientNumber']})."
            in dashboard.text
        ), dashboard.text
        # Without the form's token, the same sign-in is refused.
        browser.cookies.clear()
        browser.get("/login")
        refused = browser.post(
            "/login", data={"login": seed.MANAGER_EMAIL, "password": seed.MANAGER_PASSWORD}
        )
        assert refused.status_code == 403, refused.text


def _make_run(tmp_path: Path, **extra_env: str) -> tuple[subprocess.Popen, dict[str, str]]:
    """`make run`'s launcher on free ports; (its process, the environment it was
    given: the gateway's address is PORTAL_GATEWAY_ADDR, the portal's
    PORTAL_WEB_ADDR) once it printed its banner."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env["PORTAL_VAR_DIR"] = str(tmp_path / "var")
    gateway = f"127.0.0.1:{free_port()}"
    env["PORTAL_GATEWAY_ADDR"] = gateway
    # The web portal would otherwise take its default port, 8000.
    env["PORTAL_WEB_ADDR"] = f"127.0.0.1:{free_port()}"
    for name in SERVICES:
        env[f"PORTAL_{name.upper()}_ADDR"] = f"127.0.0.1:{free_port()}"
    env["PORTAL_PAYMENT_PROVIDER_ADDR"] = f"127.0.0.1:{free_port()}"
    # The provisioning simulator would otherwise take its default port, 8091.
    env["PORTAL_PROVISIONING_SIMULATOR_ADDR"] = f"127.0.0.1:{free_port()}"
    env.update(extra_env)
    out = open(tmp_path / "run.out", "w+b")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.local.run"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while b"Portail is running" not in (tmp_path / "run.out").read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError((tmp_path / "run.out").read_text())
        time.sleep(0.2)
    return proc, env


def _ctrl_c(proc: subprocess.Popen, tmp_path: Path) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert code == 0, (tmp_path / "run.out").read_text()


def test_make_run_starts_the_suite_with_demo_data_and_stops_on_ctrl_c(tmp_path: Path):
    proc, env = _make_run(tmp_path)
    gateway = env["PORTAL_GATEWAY_ADDR"]
    try:
        banner = (tmp_path / "run.out").read_text()
        assert f"http://{gateway}" in banner
        assert seed.MANAGER_EMAIL in banner and seed.OPERATOR_EMAIL in banner
        # The portal runs on the port it was given, as the banner says.
        portal = f"http://{env['PORTAL_WEB_ADDR']}"
        assert f"Portal     {portal}   (the customer web portal: open it in a browser)" in banner
        _sign_in_through_the_portal(portal)
        # fleet's provisioning simulator runs on the port it was given, as the banner says.
        simulator = f"http://{env['PORTAL_PROVISIONING_SIMULATOR_ADDR']}"
        assert f"Network    {simulator}   (provisioning simulator: GET /v1/received)" in banner
        assert httpx.get(f"{simulator}/v1/received").status_code == 200

        base = f"http://{gateway}"
        manager = httpx.post(
            f"{base}/v1/auth/login",
            json={"login": seed.MANAGER_EMAIL, "password": seed.MANAGER_PASSWORD},
        )
        assert manager.status_code == 200, manager.text
        me = httpx.get(
            f"{base}/v1/me", headers={"Authorization": f"Bearer {manager.json()['accessToken']}"}
        )
        assert me.json()["currentEntity"]["clientNumber"] == seed.DEMO_ACCOUNT["clientNumber"]
        orders = httpx.get(
            f"{base}/v1/orders",
            headers={"Authorization": f"Bearer {manager.json()['accessToken']}"},
        )
        assert [o["lineCount"] for o in orders.json()["orders"]] == [3], orders.text
        fleet = httpx.get(
            f"{base}/v1/fleet/lines",
            params={"pageSize": 500},
            headers={"Authorization": f"Bearer {manager.json()['accessToken']}"},
        )
        assert fleet.status_code == 200, fleet.text  # fleet is served through the gateway
        # The demo customer's fleet: a few hundred lines, with two months of usage.
        assert len(fleet.json()["lines"]) == seed.DEMO_FLEET_LINES
        usage, page_token = [], ""
        while True:
            answer = httpx.get(
                f"{base}/v1/fleet/usage",
                params={"pageSize": 500, "pageToken": page_token},
                headers={"Authorization": f"Bearer {manager.json()['accessToken']}"},
            ).json()
            usage += answer["usage"]
            page_token = answer.get("nextPageToken", "")
            if not page_token:
                break
        assert len(usage) == 2 * seed.DEMO_FLEET_LINES
        assert len({u["month"] for u in usage}) == 2
        _check_the_assets_demo_customers(base, banner)
        _pay_the_demo_order_by_card(base, manager.json()["accessToken"], orders.json()["orders"][0])
        _collect_the_demo_direct_debit(base)
        assert httpx.get(f"{base}/openapi.json").status_code == 200
        # The activation e-mail landed in the mailbox folder as an .eml file.
        mails = list((tmp_path / "var" / "mailbox").glob("*.eml"))
        assert mails, "the mailbox folder holds the e-mails sent"
    finally:
        _ctrl_c(proc, tmp_path)
    # Every child is gone: nothing listens on the gateway's or the portal's port any more.
    for what, url in (
        ("the gateway", f"http://{gateway}/healthz"),
        ("the portal", f"http://{env['PORTAL_WEB_ADDR']}/login"),
    ):
        try:
            httpx.get(url, timeout=1)
            raise AssertionError(f"{what} still answers after Ctrl-C")
        except httpx.TransportError:
            pass


def test_make_run_seeds_as_the_configured_operator_and_restarts_a_crashed_service(
    tmp_path: Path,
):
    email, password = "chief@operator.example", "Configured-Operator-Pass-1"
    proc, env = _make_run(
        tmp_path,
        PORTAL_BOOTSTRAP_OPERATOR_EMAIL=email,
        PORTAL_BOOTSTRAP_OPERATOR_PASSWORD=password,
    )
    gateway = env["PORTAL_GATEWAY_ADDR"]
    base = f"http://{gateway}"
    try:
        banner = (tmp_path / "run.out").read_text()
        assert f"operator          {email} / (the password you configured)" in banner
        assert seed.OPERATOR_EMAIL not in banner and password not in banner
        assert seed.MANAGER_EMAIL in banner
        manager = httpx.post(
            f"{base}/v1/auth/login",
            json={"login": seed.MANAGER_EMAIL, "password": seed.MANAGER_PASSWORD},
        )
        assert manager.status_code == 200, manager.text  # the demo data loaded
        auth = {"Authorization": f"Bearer {manager.json()['accessToken']}"}

        # A service dies: the launcher starts it again, the rest keeps running.
        [pid] = subprocess.run(
            ["pgrep", "-P", str(proc.pid), "-f", "services.ordering"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        os.kill(int(pid), signal.SIGKILL)
        _wait(lambda: b"ordering exited" in (tmp_path / "run.out").read_bytes(), "the crash logged")
        orders = _wait(
            lambda: (
                (answer := httpx.get(f"{base}/v1/orders", headers=auth)).status_code == 200
                and answer
            ),
            "ordering answering again",
        )
        assert len(orders.json()["orders"]) == 1
        assert proc.poll() is None
        assert b"restarting ordering" in (tmp_path / "run.out").read_bytes()
    finally:
        _ctrl_c(proc, tmp_path)
