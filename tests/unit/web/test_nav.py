"""The menu entry of an area is the current one on every page of that area."""

from __future__ import annotations

from web.i18n import use_language
from web.pages.nav import nav_items
from web.session import Session


def _current(path: str) -> list[str]:
    use_language("en")
    session = Session(access_token="a", permissions=["fleet.read", "orders.read"])
    return [item.href for item in nav_items(session) if item.current(path)]


def test_mobile_fleet_is_current_under_every_fleet_path() -> None:
    for path in ("/fleet/lines", "/fleet/requests/r1", "/fleet/sim-orders/new", "/fleet/usage"):
        assert _current(path) == ["/fleet/lines"], path


def test_an_entry_is_current_under_its_path_only() -> None:
    assert _current("/orders/o1") == ["/orders"]
    assert _current("/orders-archive") == []
    assert _current("/fleetwood") == []
