"""The mobile fleet pages through the real API, as the guide walks them: a
manager finds a line by part of its number, opens it, changes its options
(choose, review the price, drop a line from the batch, confirm) and follows the
request until it completes; a mixed selection or incompatible options are
refused with each line's reason; the list exports; SIM cards are ordered and
one activated; usage is read with thresholds; another account's line, request
or order is the not-found page; the pages speak French and English."""

from __future__ import annotations

import html
import io
import re
import secrets
from typing import Any

import openpyxl
import pytest

from deploy.local.suite import Suite
from tests.support.api import Api, bearer
from tests.support.fleet import (
    Simulator,
    completed,
    fleet_customer,
    import_lines,
    load_catalogue,
    numbered_rows,
)
from tests.support.web import Portal
from tests.unit.fleet.helpers import iccid, line_row

PASSWORD = "Correct-Horse-42!"
LINE_LINK = re.compile(r'href="/fleet/lines/([0-9a-f]{32})"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _rows(*specs: tuple[str, str, dict[str, str]]) -> list[list[str]]:
    # SIM numbers from a random base: ICCIDs stay unique whatever ran before.
    base = secrets.randbelow(10**8) * 100
    return [
        line_row(number, base + n, user, **fields) for n, (number, user, fields) in enumerate(specs)
    ]


@pytest.fixture()
def customer(api: Api) -> dict[str, Any]:
    load_catalogue(api)
    return fleet_customer(api)


def _signed_in(portal: Portal, customer: dict[str, Any]) -> Portal:
    portal.sign_in(customer["managerEmail"], PASSWORD)
    return portal


def _line_ids(page_html: str) -> list[str]:
    return list(dict.fromkeys(LINE_LINK.findall(page_html)))


def _text(page_html: str) -> str:
    """The page's text as a reader gets it: no tags, entities decoded, spaces plain."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", page_html))
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def _key(page_html: str) -> str:
    found = KEY.search(page_html)
    assert found, "no idempotency key in the form"
    return found.group(1)


def test_find_a_line_change_its_options_and_follow_the_request(
    api: Api, portal: Portal, customer: dict[str, Any]
) -> None:
    import_lines(
        api,
        customer["id"],
        _rows(
            ("0470 12 34 56", "Ada Lovelace", {"options": "DATA 5GB|SMS_100"}),
            ("0470 65 43 21", "Bob Martin", {"options": "DATA_5GB"}),
        ),
    )
    _signed_in(portal, customer)

    # A partial number finds one line; the list says when the data last changed.
    found = portal.get("/fleet/lines", params={"q": "12 34"})
    assert found.status_code == 200
    text = _text(found.text)
    assert "Gérer mes numéros" in text and "Dernière mise à jour :" in text
    assert "0470 12 34 56" in text and "0470 65 43 21" not in text
    (line_id,) = _line_ids(found.text)

    # The line: its options, and why one is not available to it.
    line = _text(portal.get(f"/fleet/lines/{line_id}").text)
    assert "Ada Lovelace" in line and "Business M" in line
    assert "Indisponible : DATA_20GB is not available on plan BUS_M" in line

    # Choose: what it has may be removed, the rest added.
    picker = portal.get("/fleet/option-changes/new", params={"line": line_id})
    assert picker.status_code == 200
    assert 'name="deactivate" value="SMS_100"' in picker.text
    assert 'name="activate" value="ROAM_EU"' in picker.text
    assert 'name="activate" value="SMS_100"' not in picker.text

    # Review: a roaming pass (15.00 once) in, the SMS bundle (3.00 a month) out.
    change = {"line": line_id, "activate": "ROAM_EU", "deactivate": "SMS_100"}
    review = portal.get("/fleet/option-changes/review", params=change)
    assert review.status_code == 200, review.text[:2000]
    reviewed = _text(review.text)
    assert "-3,00 €" in reviewed and "15,00 €" in reviewed
    assert "Roaming pass EU" in reviewed and "SMS 100" in reviewed

    key = _key(review.text)
    confirmed = portal.post("/fleet/option-changes", {**change, "idempotency_key": key})
    assert confirmed.status_code == 200
    assert "Nous avons bien reçu votre demande" in _text(confirmed.text)
    request_id = str(confirmed.url).rsplit("/", 1)[1]
    assert str(confirmed.url).endswith(f"/fleet/requests/{request_id}")
    # The same form posted twice makes one request.
    again = portal.post("/fleet/option-changes", {**change, "idempotency_key": key})
    assert str(again.url).endswith(f"/fleet/requests/{request_id}")

    completed(api, customer["token"], request_id)
    done = portal.get(f"/fleet/requests/{request_id}")
    text = _text(done.text)
    assert 'http-equiv="refresh"' not in done.text
    assert "Toutes les lignes ont été traitées." in text and "Effectuée" in text
    assert "0470 12 34 56" in text and "Roaming pass EU" in text
    listed = portal.get("/fleet/requests")
    assert f"/fleet/requests/{request_id}" in listed.text
    assert "Modification d\u2019options" in _text(listed.text)

    after = _text(portal.get(f"/fleet/lines/{line_id}").text)
    assert "+ROAM_EU -SMS_100" in after
    assert "Data 5GB, Roaming pass EU" in after


def test_a_request_in_progress_refreshes_itself(
    api: Api, portal: Portal, customer: dict[str, Any], suite: Suite
) -> None:
    import_lines(api, customer["id"], _rows(("0470 31 00 01", "Ann", {})))
    _signed_in(portal, customer)
    (line_id,) = _line_ids(portal.get("/fleet/lines").text)
    simulator = Simulator(suite.provisioning_url)
    simulator.control(delay_ms=1500)  # the network answers slowly: the request stays open
    try:
        answer = api.post(
            "/v1/fleet/option-changes",
            {"lineIds": [line_id], "activate": ["SMS_100"]},
            customer["token"],
        )
        assert answer.status_code == 202, answer.text
        request_id = answer.json()["id"]
        page = portal.get(f"/fleet/requests/{request_id}")
        assert '<meta http-equiv="refresh" content="3">' in page.text
        assert "En cours" in _text(page.text)
    finally:
        simulator.control(delay_ms=0)
        simulator.close()
    completed(api, customer["token"], request_id)
    assert 'http-equiv="refresh"' not in portal.get(f"/fleet/requests/{request_id}").text


def test_dropping_a_line_from_the_batch_previews_again(
    api: Api, portal: Portal, customer: dict[str, Any]
) -> None:
    import_lines(
        api,
        customer["id"],
        _rows(("0470 41 00 01", "Ann", {}), ("0470 41 00 02", "Ben", {})),
    )
    _signed_in(portal, customer)
    ids = _line_ids(portal.get("/fleet/lines").text)
    assert len(ids) == 2
    both = portal.get("/fleet/option-changes/review", params={"line": ids, "activate": "SMS_100"})
    assert "6,00 €" in _text(both.text)  # 2 lines x 3.00 a month
    dropped = portal.get(
        "/fleet/option-changes/review",
        params={"line": ids, "activate": "SMS_100", "drop": ids[1]},
    )
    assert dropped.status_code == 200
    text = _text(dropped.text)
    assert "0470 41 00 01" in text and "0470 41 00 02" not in text
    assert "6,00 €" not in text and "3,00 €" in text


def test_a_mixed_selection_is_refused_with_each_lines_reason(
    api: Api, portal: Portal, customer: dict[str, Any]
) -> None:
    import_lines(
        api,
        customer["id"],
        _rows(
            ("0470 11 11 11", "Ann", {"plan": "Business M"}),
            ("0470 22 22 22", "Ben", {"plan": "Business L"}),
            ("0470 33 33 33", "Cat", {"plan": "Business M", "status": "SUSPENDED"}),
        ),
    )
    _signed_in(portal, customer)
    ids = _line_ids(portal.get("/fleet/lines").text)
    assert len(ids) == 3

    refused = portal.get(
        "/fleet/option-changes/review", params={"line": ids, "activate": "SMS_100"}
    )
    assert refused.status_code == 400
    text = _text(refused.text)
    assert "Seules les lignes qui partagent un même plan tarifaire" in text
    assert (
        "line 0470 22 22 22 has plan BUS_L (the first line's: BUS_M): "
        "select lines of the same plan and status"
    ) in text
    assert "line 0470 33 33 33 has status SUSPENDED" in text
    # The first line is not refused, and the choice is kept.
    table = text[text.index("Lignes refusées") : text.index("Lignes sélectionnées")]
    assert "0470 11 11 11" not in table
    assert re.search(r'value="SMS_100"[^>]*checked', refused.text)
    # On without the refused lines: the first one alone, the choice kept.
    onward = re.search(r'href="(/fleet/option-changes/new\?[^"]+)">Continuer sans', refused.text)
    assert onward
    assert html.unescape(onward.group(1)).endswith(f"?line={ids[0]}&activate=SMS_100")

    # Suspending them: the missing reason by its field, then the lines refused.
    form = portal.get("/fleet/actions/suspend", params={"line": ids})
    assert form.status_code == 200
    no_reason = portal.post(
        "/fleet/actions/suspend", {"line": ids, "idempotency_key": _key(form.text)}
    )
    assert no_reason.status_code == 400
    assert re.search(r'id="f-reason-error" role="alert">is required', no_reason.text)
    mixed = portal.post(
        "/fleet/actions/suspend",
        {"line": ids, "reason": "SUSPENSION_REASON_THEFT", "idempotency_key": _key(no_reason.text)},
    )
    assert mixed.status_code == 400
    assert "line 0470 22 22 22 has plan BUS_L" in _text(mixed.text)
    assert api.get("/v1/fleet/requests", customer["token"]).json().get("requests", []) == []


def test_incompatible_options_are_refused_per_line_and_a_line_suspended(
    api: Api, portal: Portal, customer: dict[str, Any]
) -> None:
    import_lines(api, customer["id"], _rows(("0470 55 55 01", "Eve", {"options": "ROAMING"})))
    _signed_in(portal, customer)
    (line_id,) = _line_ids(portal.get("/fleet/lines").text)
    refused = portal.get(
        "/fleet/option-changes/review", params={"line": line_id, "activate": "ROAM_EU"}
    )
    assert refused.status_code == 400
    text = _text(refused.text)
    assert "Cette modification est impossible sur certaines des lignes sélectionnées." in text
    assert "line 0470 55 55 01: ROAM_EU needs one of DATA_20GB, DATA_5GB" in text
    nothing = portal.get("/fleet/option-changes/review", params={"line": line_id})
    assert nothing.status_code == 400
    assert "au moins une à ajouter ou à supprimer" in _text(nothing.text)

    # A plan move offers the other plans of the line's product only.
    plans = portal.get(f"/fleet/actions/change-plan?line={line_id}").text
    assert 'value="BUS_L"' in plans
    assert 'value="BUS_M"' not in plans and 'value="DATA_ONLY"' not in plans

    form = portal.get(f"/fleet/actions/suspend?line={line_id}")
    suspended = portal.post(
        "/fleet/actions/suspend",
        {"line": line_id, "reason": "SUSPENSION_REASON_THEFT", "idempotency_key": _key(form.text)},
    )
    assert suspended.status_code == 200 and "/fleet/requests/" in str(suspended.url)
    completed(api, customer["token"], str(suspended.url).rsplit("/", 1)[1])
    line = _text(portal.get(f"/fleet/lines/{line_id}").text)
    assert "Suspendue (Vol)" in line and "suspended (THEFT)" in line


def test_the_list_filters_and_exports_as_csv_and_xlsx(
    api: Api, portal: Portal, customer: dict[str, Any]
) -> None:
    import_lines(
        api,
        customer["id"],
        _rows(
            ("0470 10 00 01", "Ada Lovelace", {"customer": "C-100"}),
            ("0470 10 00 02", "Bob Martin", {"customer": "C-200", "plan": "Business L"}),
            ("0470 10 00 03", "Carla Diaz", {"customer": "C-200", "status": "SUSPENDED"}),
        ),
    )
    _signed_in(portal, customer)
    by_customer = _text(portal.get("/fleet/lines", params={"customer_number": "C-200"}).text)
    assert "Bob Martin" in by_customer and "Ada Lovelace" not in by_customer
    suspended = _text(portal.get("/fleet/lines", params={"status": "LINE_STATUS_SUSPENDED"}).text)
    assert "Carla Diaz" in suspended and "Bob Martin" not in suspended
    by_plan = _text(portal.get("/fleet/lines", params={"plan": "BUS_L"}).text)
    assert "Bob Martin" in by_plan and "Carla Diaz" not in by_plan
    # 28 lines, 25 a page: the next page holds the last 3.
    import_lines(api, customer["id"], numbered_rows(600, 25))
    first = portal.get("/fleet/lines", params={"size": "25"})
    assert len(_line_ids(first.text)) == 25
    following = re.search(r'href="(/fleet/lines\?[^"]*page=[^"]+)" rel="next"', first.text)
    assert following
    second = portal.get(html.unescape(following.group(1)))
    assert len(_line_ids(second.text)) == 3
    assert 'rel="next"' not in second.text and "Première page" in _text(second.text)

    exported = portal.get(
        "/fleet/lines/export", params={"format": "csv", "customer_number": "C-200"}
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    disposition = exported.headers["content-disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith('.csv"')
    text = exported.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Number")
    assert "Bob Martin" in text and "Carla Diaz" in text and "Ada Lovelace" not in text

    sheet = portal.get("/fleet/lines/export", params={"format": "xlsx", "q": "Ada"})
    assert sheet.status_code == 200
    assert sheet.headers["content-disposition"].endswith('.xlsx"')
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.content)).active.values)
    assert [row[3] for row in rows[1:]] == ["Ada Lovelace"]


def test_sim_cards_ordered_shipped_and_one_activated(
    api: Api, portal: Portal, customer: dict[str, Any]
) -> None:
    import_lines(api, customer["id"], _rows(("0470 90 00 01", "Ada Lovelace", {})))
    _signed_in(portal, customer)
    (line_id,) = _line_ids(portal.get("/fleet/lines").text)

    form = portal.get("/fleet/sim-orders/new")
    assert form.status_code == 200
    not_a_number = portal.post(
        "/fleet/sim-orders",
        {"quantity": "deux", "recipient": "Ada", "idempotency_key": _key(form.text)},
    )
    assert not_a_number.status_code == 400
    assert 'id="f-quantity-error" role="alert">Indiquez un nombre entier de cartes.' in (
        not_a_number.text
    )
    assert 'value="Ada"' in not_a_number.text  # what was typed is kept
    empty = portal.post(
        "/fleet/sim-orders",
        {"quantity": "0", "recipient": "Ada", "idempotency_key": _key(form.text)},
    )
    assert empty.status_code == 400
    for name in ("quantity", "line1", "postalCode", "city", "country"):
        assert f'id="f-{name}-error" role="alert"' in empty.text, name
    order = {
        "quantity": "2",
        "recipient": "Ada Lovelace",
        "line1": "Rue Haute 1",
        "postalCode": "1000",
        "city": "Bruxelles",
        "country": "be",
        "idempotency_key": _key(empty.text),
    }
    created = portal.post("/fleet/sim-orders", order)
    assert created.status_code == 200
    text = _text(created.text)
    assert "Votre commande de cartes SIM SIM-" in text and "Commandée" in text
    order_id = str(created.url).rsplit("/", 1)[1]
    assert f"/fleet/sim-orders/{order_id}" in portal.get("/fleet/sim-orders").text

    serial = secrets.randbelow(10**10)
    cards = [iccid(f"89329{serial:010d}{n:03d}") for n in (1, 2)]
    shipped = api.post(
        f"/v1/admin/fleet/sim-orders/{order_id}:ship",
        {"iccids": cards, "carrier": "bpost", "trackingUrl": "https://track.example/1"},
        api.operator,
    )
    assert shipped.status_code == 200, shipped.text
    followed = _text(portal.get(f"/fleet/sim-orders/{order_id}").text)
    assert "Expédiée" in followed and cards[0] in followed and "bpost" in followed

    line_page = portal.get(f"/fleet/lines/{line_id}")
    typo = cards[0][:-1] + str((int(cards[0][-1]) + 1) % 10)
    wrong = portal.post(
        f"/fleet/lines/{line_id}/activate-sim",
        {"iccid": typo, "idempotency_key": _key(line_page.text)},
    )
    assert wrong.status_code == 400
    assert 'id="f-iccid-error" role="alert"' in wrong.text
    assert f'value="{typo}"' in wrong.text
    activated = portal.post(
        f"/fleet/lines/{line_id}/activate-sim",
        {"iccid": cards[0], "idempotency_key": _key(wrong.text)},
    )
    assert activated.status_code == 200 and "/fleet/requests/" in str(activated.url)
    completed(api, customer["token"], str(activated.url).rsplit("/", 1)[1])
    assert cards[0] in portal.get(f"/fleet/lines/{line_id}").text


def test_usage_with_thresholds(api: Api, portal: Portal, customer: dict[str, Any]) -> None:
    import_lines(
        api,
        customer["id"],
        _rows(("0470 20 00 01", "Ada Lovelace", {}), ("0470 20 00 02", "Bob Martin", {})),
    )
    usage = (
        "Number;Month;Voice minutes;SMS;Data MB;Out of bundle\r\n"
        "0470 20 00 01;2026-10;120;30;2048;0\r\n"
        "0470 20 00 02;2026-10;900;12;9000;42,50\r\n"
    )
    imported = api.http.post(
        "/v1/admin/fleet/usage:import",
        params={"entityId": customer["id"]},
        content=usage.encode(),
        headers={**bearer(api.operator), "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    _signed_in(portal, customer)
    over = portal.get("/fleet/usage", params={"month": "2026-10", "min_out_of_bundle": "10,00"})
    assert over.status_code == 200
    text = _text(over.text)
    assert "Bob Martin" in text and "42,50 €" in text and "Ada Lovelace" not in text
    every = _text(portal.get("/fleet/usage", params={"month": "2026-10"}).text)
    assert "Ada Lovelace" in every and "Bob Martin" in every

    bad_amount = portal.get("/fleet/usage", params={"min_out_of_bundle": "beaucoup"})
    assert bad_amount.status_code == 400
    assert 'id="f-min_out_of_bundle-error" role="alert"' in bad_amount.text
    assert 'value="beaucoup"' in bad_amount.text
    bad_month = portal.get("/fleet/usage", params={"month": "13-2026"})
    assert bad_month.status_code == 400
    assert re.search(r'id="f-month-error" role="alert">must be a month YYYY-MM', bad_month.text)


def test_another_accounts_line_request_and_order_are_not_found(
    api: Api, portal: Portal, customer: dict[str, Any]
) -> None:
    import_lines(api, customer["id"], _rows(("0470 95 00 01", "Ada Lovelace", {})))
    token = customer["token"]
    line_id = api.get("/v1/fleet/lines", token).json()["lines"][0]["id"]
    request = api.post(
        "/v1/fleet/lines:suspend",
        {"lineIds": [line_id], "reason": "SUSPENSION_REASON_LOSS"},
        token,
    )
    assert request.status_code == 202, request.text
    order = api.post(
        "/v1/fleet/sim-orders",
        {
            "quantity": 1,
            "recipient": "Ada",
            "deliveryAddress": {
                "line1": "Rue Haute 1",
                "postalCode": "1000",
                "city": "Bruxelles",
                "country": "BE",
            },
        },
        token,
    )
    assert order.status_code == 201, order.text

    _signed_in(portal, fleet_customer(api))
    for path in (
        f"/fleet/lines/{line_id}",
        f"/fleet/requests/{request.json()['id']}",
        f"/fleet/sim-orders/{order.json()['id']}",
        f"/fleet/option-changes/new?line={line_id}",
        f"/fleet/actions/reactivate?line={line_id}",
        "/fleet/lines/not.an.id",
    ):
        answer = portal.get(path)
        assert answer.status_code == 404, path
        assert "Cette page n" in answer.text
    assert "Ada Lovelace" not in portal.get("/fleet/lines").text
    completed(api, token, request.json()["id"])


def test_the_pages_in_english(api: Api, portal: Portal) -> None:
    load_catalogue(api)
    customer = fleet_customer(api, language="en")
    import_lines(api, customer["id"], _rows(("0470 77 00 01", "Ada Lovelace", {})))
    _signed_in(portal, customer)
    lines = portal.get("/fleet/lines")
    assert 'lang="en"' in lines.text
    text = _text(lines.text)
    assert "Manage my lines" in text and "Last updated:" in text and "Change options" in text
    (line_id,) = _line_ids(lines.text)
    line = _text(portal.get(f"/fleet/lines/{line_id}").text)
    assert "Activate a SIM card" in line and "a month, excl. VAT" in line
    picker = _text(portal.get("/fleet/option-changes/new", params={"line": line_id}).text)
    assert "Options to remove" in picker and "Options to add: SMS" in picker
    for path, heading in (
        ("/fleet/requests", "Requests on my lines"),
        ("/fleet/sim-orders", "SIM card orders"),
        ("/fleet/sim-orders/new", "Order SIM cards"),
        ("/fleet/usage", "Usage of my lines"),
    ):
        page = portal.get(path)
        assert page.status_code == 200, path
        assert heading in page.text, path


def test_the_french_pages_render(api: Api, portal: Portal, customer: dict[str, Any]) -> None:
    _signed_in(portal, customer)
    for path, heading in (
        ("/fleet/lines", "Gérer mes numéros"),
        ("/fleet/requests", "Demandes sur mes lignes"),
        ("/fleet/sim-orders", "Commandes de cartes SIM"),
        ("/fleet/sim-orders/new", "Commander des cartes SIM"),
        ("/fleet/usage", "Consommation de mes lignes"),
    ):
        page = portal.get(path)
        assert page.status_code == 200, path
        assert heading in _text(page.text), path
        assert "<script>" not in page.text and "style=" not in page.text
    # Nothing selected: back to the list, saying so.
    nothing = portal.get("/fleet/option-changes/new")
    assert str(nothing.url).endswith("/fleet/lines")
    assert "Sélectionnez au moins une ligne." in _text(nothing.text)
