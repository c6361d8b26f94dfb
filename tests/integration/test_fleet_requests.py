"""The guide's fleet flows through the gateway: a customer looks a number up,
reads which options it may take, changes options on one line or forty, is
refused a mixed selection or incompatible options (each line named), suspends
and reactivates lines, orders SIMs and activates one; every change is processed
in the background through the provisioning simulator and followed line by line."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from deploy.local.suite import Suite
from tests.support.api import Api, error_reason, field_violations
from tests.support.fleet import (
    Simulator,
    completed,
    fleet_customer,
    import_lines,
    lines_by_number,
    load_catalogue,
    numbered_rows,
)
from tests.support.orders import wait_for
from tests.unit.fleet.helpers import iccid, line_row


@pytest.fixture(scope="module")
def simulator(suite: Suite) -> Iterator[Simulator]:
    client = Simulator(suite.provisioning_url)
    yield client
    client.control(delay_ms=0, fail_numbers=[], unavailable=False)
    client.close()


@pytest.fixture()
def customer(api: Api) -> dict[str, Any]:
    load_catalogue(api)
    return fleet_customer(api)


def violations(answer) -> list[tuple[str, str]]:
    """Every field violation in order (a field may have several)."""
    for detail in answer.json()["error"].get("details", []):
        if detail.get("@type", "").endswith("google.rpc.BadRequest"):
            return [(v["field"], v["description"]) for v in detail["fieldViolations"]]
    return []


def _accepted(answer) -> dict[str, Any]:
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["state"] == "REQUEST_STATE_IN_PROGRESS"
    return body


def _applied(simulator: Simulator, request_id: str) -> list[dict[str, Any]]:
    return [op for op in simulator.received() if op["key"].startswith(f"{request_id}:")]


def test_one_line_roaming_pass_in_and_sms_bundle_out(
    api: Api, customer: dict, simulator: Simulator
) -> None:
    rows = [
        line_row("0470 12 34 56", 101, "Ada Lovelace", options="DATA 5GB|SMS_100"),
        line_row("0470 65 43 21", 102, "Bob Martin", options="DATA_5GB"),
    ]
    import_lines(api, customer["id"], rows)
    token = customer["token"]
    # Found by a partial number, and by the user's name.
    (by_digits,) = api.get("/v1/fleet/lines", token, params={"q": "12 34"}).json()["lines"]
    (by_name,) = api.get("/v1/fleet/lines", token, params={"q": "lovelace"}).json()["lines"]
    assert by_digits["id"] == by_name["id"]
    line_id = by_name["id"]

    # What the line may take, and why not.
    options = api.get("/v1/fleet/options", token, params={"lineId": line_id}).json()["options"]
    offered = {o["code"]: o for o in options}
    assert offered["ROAM_EU"]["available"] is True
    assert offered["SMS_100"]["activeOnLine"] is True and offered["SMS_100"]["available"]
    assert offered["DATA_20GB"]["available"] is False
    assert offered["DATA_20GB"]["unavailableReason"] == "DATA_20GB is not available on plan BUS_M"
    roaming = api.get("/v1/fleet/options", token, params={"type": "OPTION_TYPE_ROAMING"}).json()
    assert [o["code"] for o in roaming["options"]] == ["ROAMING", "ROAM_EU"]

    change = {"lineIds": [line_id], "activate": ["ROAM_EU"], "deactivate": ["SMS_100"]}
    preview = api.post("/v1/fleet/option-changes:preview", change, token)
    assert preview.status_code == 200, preview.text
    assert preview.json()["changes"] == 2
    # ROAM_EU is one-off (15.00), SMS_100 was 3.00 a month.
    assert preview.json()["monthlyDifference"]["amountCents"] == "-300"
    assert preview.json()["oneOffTotal"]["amountCents"] == "1500"

    request = _accepted(api.post("/v1/fleet/option-changes", change, token))
    done = completed(api, token, request["id"])
    assert (done["linesDone"], done.get("linesFailed", 0)) == (1, 0)
    assert done["lines"][0]["state"] == "LINE_CHANGE_STATE_DONE"
    line = api.get(f"/v1/fleet/lines/{line_id}", token).json()
    assert line["options"] == ["DATA_5GB", "ROAM_EU"]
    assert not line.get("pendingRequestId")
    history = api.get(f"/v1/fleet/lines/{line_id}/history", token).json()["entries"]
    assert history[0]["description"] == "+ROAM_EU -SMS_100" and history[0]["succeeded"]
    # The same route API.md names follows it too.
    same = api.get(f"/v1/fleet/option-changes/{request['id']}", token)
    assert same.status_code == 200 and same.json()["id"] == request["id"]
    (operation,) = _applied(simulator, request["id"])
    assert operation["receipts"] == 1 and operation["status"] == "APPLIED"
    assert operation["operation"]["activate"] == ["ROAM_EU"]
    assert operation["operation"]["number"] == "+32470123456"

    # The confirmation e-mail, in the account's language (French).
    def confirmation() -> dict[str, Any] | None:
        mails = api.messages(customer["managerEmail"])
        return next((m for m in mails if m["template"] == "fleet_change_completed"), None)

    mail = wait_for(confirmation, what="the confirmation e-mail")
    assert mail["subject"] == "Votre demande sur 1 ligne est traitée"

    # The roaming pass is one-off: billing invoices it once (15.00 + 20 % VAT).
    def invoice() -> dict[str, Any] | None:
        docs = api.get("/v1/documents", token, params={"type": "DOCUMENT_TYPE_INVOICE"}).json()
        return next(iter(docs.get("documents", [])), None)

    issued = wait_for(invoice, what="the roaming pass's invoice")
    assert issued["totalExclTax"]["amountCents"] == "1500"
    assert issued["totalInclTax"]["amountCents"] == "1800"
    (charged,) = issued["lines"]
    assert charged["quantity"] == "1" and "Roaming pass EU" in charged["label"]


def test_forty_lines_of_one_plan_change_their_data_option(
    api: Api, customer: dict, simulator: Simulator
) -> None:
    import_lines(api, customer["id"], numbered_rows(200, 40, plan="Business L", options="DATA 5GB"))
    token = customer["token"]
    ids = [line["id"] for line in lines_by_number(api, token).values()]
    assert len(ids) == 40
    change = {"lineIds": ids, "activate": ["DATA_20GB"], "deactivate": ["DATA_5GB"]}
    preview = api.post("/v1/fleet/option-changes:preview", change, token).json()
    assert preview["changes"] == 80
    assert preview["monthlyDifference"]["amountCents"] == str(40 * (2000 - 1000))
    request = _accepted(api.post("/v1/fleet/option-changes", change, token))
    assert request["linesTotal"] == 40
    done = completed(api, token, request["id"])
    assert done["linesDone"] == 40
    assert {tuple(line["options"]) for line in lines_by_number(api, token).values()} == {
        ("DATA_20GB",)
    }
    applied = _applied(simulator, request["id"])
    assert len(applied) == 40 and {op["receipts"] for op in applied} == {1}
    listed = api.get("/v1/fleet/requests", token).json()["requests"]
    assert [r["id"] for r in listed] == [request["id"]]


def test_a_mixed_selection_is_refused_naming_each_line(api: Api, customer: dict) -> None:
    rows = [
        line_row("0470 11 11 11", 301, "Ann", plan="Business M"),
        line_row("0470 22 22 22", 302, "Ben", plan="Business L"),
        line_row("0470 33 33 33", 303, "Cat", plan="Business M", status="SUSPENDED"),
        line_row("0470 44 44 44", 304, "Dan", plan="Business M"),
    ]
    import_lines(api, customer["id"], rows)
    token = customer["token"]
    lines = lines_by_number(api, token)
    ids = [lines[n]["id"] for n in ("+32470111111", "+32470222222", "+32470333333", "+32470444444")]
    answer = api.post("/v1/fleet/option-changes", {"lineIds": ids, "activate": ["SMS_100"]}, token)
    assert answer.status_code == 400, answer.text
    assert error_reason(answer) == "LINES_NOT_ALIKE"
    assert field_violations(answer) == {
        "lineIds[1]": "line 0470 22 22 22 has plan BUS_L (the first line's: BUS_M): "
        "select lines of the same plan and status",
        "lineIds[2]": "line 0470 33 33 33 has status SUSPENDED (the first line's: ACTIVE): "
        "select lines of the same plan and status",
    }
    suspend = api.post(
        "/v1/fleet/lines:suspend", {"lineIds": ids, "reason": "SUSPENSION_REASON_THEFT"}, token
    )
    assert error_reason(suspend) == "LINES_NOT_ALIKE"
    assert api.get("/v1/fleet/requests", token).json().get("requests", []) == []


def test_incompatible_options_are_refused_with_the_reason_per_line(
    api: Api, customer: dict
) -> None:
    rows = [
        line_row("0470 55 55 01", 401, "Eve", options="ROAMING"),
        line_row("0470 55 55 02", 402, "Fay", options="ROAMING|SMS_100"),
    ]
    import_lines(api, customer["id"], rows)
    token = customer["token"]
    ids = [line["id"] for line in lines_by_number(api, token).values()]

    def refused(activate: list[str], deactivate: list[str], line_ids=ids) -> list[tuple[str, str]]:
        body = {"lineIds": line_ids, "activate": activate, "deactivate": deactivate}
        answer = api.post("/v1/fleet/option-changes", body, token)
        assert answer.status_code == 400, answer.text
        assert error_reason(answer) == "LINE_CHANGE_REFUSED"
        return violations(answer)

    # A roaming pass needs a data option; the lines have none.
    assert refused(["ROAM_EU"], []) == [
        ("lineIds[0]", "line 0470 55 55 01: ROAM_EU needs one of DATA_20GB, DATA_5GB"),
        ("lineIds[1]", "line 0470 55 55 02: ROAM_EU needs one of DATA_20GB, DATA_5GB"),
    ]
    # A plan the option does not fit; two data bundles at once.
    assert refused(["DATA_20GB"], []) == [
        (f"lineIds[{n}]", f"line 0470 55 55 0{n + 1}: DATA_20GB is not available on plan BUS_M")
        for n in range(2)
    ]
    assert refused(["DATA_5GB", "DATA_20GB"], [], ids[:1]) == [
        ("lineIds[0]", "line 0470 55 55 01: DATA_20GB is not available on plan BUS_M"),
        ("lineIds[0]", "line 0470 55 55 01: DATA_20GB and DATA_5GB exclude each other"),
    ]
    # Already active; not active.
    assert refused(["ROAMING"], ["SMS_100"], ids[:1]) == [
        ("lineIds[0]", "line 0470 55 55 01: ROAMING is already active"),
        ("lineIds[0]", "line 0470 55 55 01: SMS_100 is not active on this line"),
    ]
    unknown = api.post("/v1/fleet/option-changes", {"lineIds": ids, "activate": ["TELEX"]}, token)
    assert field_violations(unknown) == {"activate[0]": "no option 'TELEX' in the catalogue"}
    # Nothing was accepted.
    assert api.get("/v1/fleet/requests", token).json().get("requests", []) == []


def test_three_lines_suspended_for_theft_and_one_reactivated(
    api: Api, customer: dict, simulator: Simulator
) -> None:
    import_lines(api, customer["id"], numbered_rows(500, 3))
    token = customer["token"]
    lines = lines_by_number(api, token)
    ids = [line["id"] for line in lines.values()]
    missing_reason = api.post("/v1/fleet/lines:suspend", {"lineIds": ids}, token)
    assert missing_reason.status_code == 400
    assert field_violations(missing_reason) == {"reason": "is required: LOSS, THEFT or TEMPORARY"}
    request = _accepted(
        api.post(
            "/v1/fleet/lines:suspend", {"lineIds": ids, "reason": "SUSPENSION_REASON_THEFT"}, token
        )
    )
    done = completed(api, token, request["id"])
    assert done["linesDone"] == 3 and done["suspensionReason"] == "SUSPENSION_REASON_THEFT"
    after = lines_by_number(api, token)
    assert {line["status"] for line in after.values()} == {"LINE_STATUS_SUSPENDED"}
    assert {line["suspensionReason"] for line in after.values()} == {"SUSPENSION_REASON_THEFT"}

    again = api.post(
        "/v1/fleet/lines:suspend", {"lineIds": ids[:1], "reason": "SUSPENSION_REASON_LOSS"}, token
    )
    assert again.status_code == 400
    assert error_reason(again) == "LINE_CHANGE_REFUSED"
    reactivated = _accepted(api.post("/v1/fleet/lines:reactivate", {"lineIds": ids[:1]}, token))
    completed(api, token, reactivated["id"])
    statuses = {n: line["status"] for n, line in lines_by_number(api, token).items()}
    first = next(n for n, line in lines.items() if line["id"] == ids[0])
    assert statuses.pop(first) == "LINE_STATUS_ACTIVE"
    assert set(statuses.values()) == {"LINE_STATUS_SUSPENDED"}
    history = api.get(f"/v1/fleet/lines/{ids[0]}/history", token).json()["entries"]
    assert [e["description"] for e in history] == ["reactivated", "suspended (THEFT)"]


def test_a_line_with_a_change_in_progress_takes_no_second_one(
    api: Api, customer: dict, simulator: Simulator
) -> None:
    import_lines(api, customer["id"], numbered_rows(600, 1))
    token = customer["token"]
    (line,) = lines_by_number(api, token).values()
    simulator.control(delay_ms=1500)
    try:
        first = _accepted(
            api.post(
                "/v1/fleet/option-changes",
                {"lineIds": [line["id"]], "activate": ["SMS_100"]},
                token,
            )
        )
        second = api.post("/v1/fleet/lines:switch-to-prepaid", {"lineIds": [line["id"]]}, token)
        assert second.status_code == 400, second.text
        assert error_reason(second) == "LINE_CHANGE_IN_PROGRESS"
        assert field_violations(second) == {
            "lineIds[0]": f"line {line['nationalNumber']} already has a change in progress "
            f"(request {first['id']})"
        }
    finally:
        simulator.control(delay_ms=0)
    completed(api, token, first["id"])
    prepaid = _accepted(
        api.post("/v1/fleet/lines:switch-to-prepaid", {"lineIds": [line["id"]]}, token)
    )
    completed(api, token, prepaid["id"])
    assert api.get(f"/v1/fleet/lines/{line['id']}", token).json()["status"] == "LINE_STATUS_PREPAID"


def test_a_refused_line_is_reported_failed_with_the_reason(
    api: Api, customer: dict, simulator: Simulator
) -> None:
    import_lines(api, customer["id"], numbered_rows(700, 3, plan="Business L"))
    token = customer["token"]
    lines = lines_by_number(api, token)
    failing = sorted(lines)[1]
    simulator.control(fail_numbers=[failing])
    try:
        ids = [line["id"] for line in lines.values()]
        request = _accepted(
            api.post("/v1/fleet/lines:change-plan", {"lineIds": ids, "plan": "BUS_M"}, token)
        )
        done = completed(api, token, request["id"])
    finally:
        simulator.control(fail_numbers=[])
    assert (done["linesDone"], done["linesFailed"]) == (2, 1)
    (failed,) = [item for item in done["lines"] if item["state"] == "LINE_CHANGE_STATE_FAILED"]
    assert failed["number"] == failing
    assert failed["failureReason"] == "the network refused the change for this number"
    plans = {n: line["plan"] for n, line in lines_by_number(api, token).items()}
    assert plans.pop(failing) == "BUS_L" and set(plans.values()) == {"BUS_M"}
    # The failed line is free again.
    assert not lines_by_number(api, token)[failing].get("pendingRequestId")


def test_a_provisioning_outage_delays_lines_then_they_complete(
    api: Api, customer: dict, simulator: Simulator
) -> None:
    import_lines(api, customer["id"], numbered_rows(800, 2))
    token = customer["token"]
    ids = [line["id"] for line in lines_by_number(api, token).values()]
    simulator.control(unavailable=True)
    try:
        request = _accepted(api.post("/v1/fleet/lines:switch-to-prepaid", {"lineIds": ids}, token))

        def retried() -> bool:
            body = api.get(f"/v1/fleet/requests/{request['id']}", token).json()
            return all(item.get("attempts", 0) >= 2 for item in body["lines"])

        wait_for(retried, timeout=20, what="retries during the outage")
        body = api.get(f"/v1/fleet/requests/{request['id']}", token).json()
        assert body["state"] == "REQUEST_STATE_IN_PROGRESS"
        assert {item["state"] for item in body["lines"]} <= {
            "LINE_CHANGE_STATE_PENDING",
            "LINE_CHANGE_STATE_SENT",
        }
    finally:
        simulator.control(unavailable=False)
    done = completed(api, token, request["id"])
    assert (done["linesDone"], done.get("linesFailed", 0)) == (2, 0)
    assert {op["receipts"] for op in _applied(simulator, request["id"])} == {1}


def test_sim_cards_ordered_shipped_and_one_activated(
    api: Api, customer: dict, simulator: Simulator
) -> None:
    import_lines(api, customer["id"], numbered_rows(900, 1))
    token = customer["token"]
    (line,) = lines_by_number(api, token).values()
    order = {
        "quantity": 2,
        "esim": False,
        "recipient": "Ada Lovelace",
        "deliveryAddress": {
            "line1": "Rue Haute 1",
            "postalCode": "1000",
            "city": "Bruxelles",
            "country": "be",
        },
    }
    bad = api.post("/v1/fleet/sim-orders", {**order, "quantity": 0, "deliveryAddress": {}}, token)
    assert bad.status_code == 400
    assert set(field_violations(bad)) == {
        "quantity",
        "deliveryAddress.line1",
        "deliveryAddress.postalCode",
        "deliveryAddress.city",
        "deliveryAddress.country",
    }
    created = api.post("/v1/fleet/sim-orders", order, token)
    assert created.status_code == 201, created.text
    sim_order = created.json()
    assert sim_order["status"] == "SIM_ORDER_STATUS_ORDERED"
    assert sim_order["reference"].startswith("SIM-")
    assert sim_order["deliveryAddress"]["country"] == "BE"
    # ICCIDs are unique across the operator's SIMs: fresh ones for each run.
    serial = secrets.randbelow(10**10)
    cards = [iccid(f"89329{serial:010d}{n:03d}") for n in (1, 2)]

    # Not yet shipped: the card is unknown to the account.
    early = api.post(f"/v1/fleet/lines/{line['id']}:activate-sim", {"iccid": cards[0]}, token)
    assert early.status_code == 400 and error_reason(early) == "SIM_UNKNOWN"
    pending = api.get(
        "/v1/admin/fleet/sim-orders", api.operator, params={"status": "SIM_ORDER_STATUS_ORDERED"}
    )
    assert sim_order["id"] in [o["id"] for o in pending.json()["simOrders"]]
    short = api.post(
        f"/v1/admin/fleet/sim-orders/{sim_order['id']}:ship", {"iccids": cards[:1]}, api.operator
    )
    assert field_violations(short) == {"iccids": "give one ICCID per card ordered (2)"}
    shipped = api.post(
        f"/v1/admin/fleet/sim-orders/{sim_order['id']}:ship",
        {"iccids": cards, "carrier": "bpost", "trackingUrl": "https://track.example/1"},
        api.operator,
    )
    assert shipped.status_code == 200, shipped.text
    followed = api.get(f"/v1/fleet/sim-orders/{sim_order['id']}", token).json()
    assert followed["status"] == "SIM_ORDER_STATUS_SHIPPED"
    assert [c["iccid"] for c in followed["cards"]] == sorted(cards)

    typo = cards[0][:-1] + str((int(cards[0][-1]) + 1) % 10)
    wrong = api.post(f"/v1/fleet/lines/{line['id']}:activate-sim", {"iccid": typo}, token)
    assert field_violations(wrong).keys() == {"iccid"}
    request = _accepted(
        api.post(f"/v1/fleet/lines/{line['id']}:activate-sim", {"iccid": cards[0]}, token)
    )
    done = completed(api, token, request["id"])
    assert done["linesDone"] == 1
    after = api.get(f"/v1/fleet/lines/{line['id']}", token).json()
    assert after["iccid"] == cards[0]
    (operation,) = _applied(simulator, request["id"])
    assert operation["operation"]["iccid"] == line["iccid"]
    assert operation["operation"]["new_iccid"] == cards[0]
    card = {
        c["iccid"]: c
        for c in api.get(f"/v1/fleet/sim-orders/{sim_order['id']}", token).json()["cards"]
    }
    assert card[cards[0]]["lineId"] == line["id"] and not card[cards[1]].get("lineId")
    twice = api.post(f"/v1/fleet/lines/{line['id']}:activate-sim", {"iccid": cards[0]}, token)
    assert twice.status_code == 400


def test_another_entity_gets_404_for_lines_and_requests(
    api: Api, customer: dict, simulator: Simulator
) -> None:
    import_lines(api, customer["id"], numbered_rows(950, 1))
    token = customer["token"]
    (line,) = lines_by_number(api, token).values()
    request = _accepted(
        api.post(
            "/v1/fleet/lines:suspend",
            {"lineIds": [line["id"]], "reason": "SUSPENSION_REASON_LOSS"},
            token,
        )
    )
    other = fleet_customer(api)["token"]
    assert api.get(f"/v1/fleet/requests/{request['id']}", other).status_code == 404
    assert api.get(f"/v1/fleet/option-changes/{request['id']}", other).status_code == 404
    assert api.get(f"/v1/fleet/lines/{line['id']}/history", other).status_code == 404
    assert api.get("/v1/fleet/options", other, params={"lineId": line["id"]}).status_code == 404
    stolen = api.post("/v1/fleet/lines:reactivate", {"lineIds": [line["id"]]}, other)
    assert stolen.status_code == 404, stolen.text
    assert api.get("/v1/fleet/requests", other).json().get("requests", []) == []
    completed(api, token, request["id"])
