"""The main menu: the areas the signed-in user may open (the API still decides
every call; a menu entry is a convenience, not a permission)."""

from __future__ import annotations

from dataclasses import dataclass

from web.i18n import _
from web.session import Session


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    # Where the entry is the current one: under `href` unless it names its area.
    prefix: str = ""

    def current(self, path: str) -> bool:
        prefix = (self.prefix or self.href).rstrip("/")
        return path == prefix or path.startswith(prefix + "/")


def nav_items(session: Session) -> list[NavItem]:
    if not session.signed_in:
        return []
    if session.operator:
        return [
            NavItem("/admin/accounts", _("Accounts")),
            NavItem("/admin/messages", _("Messages sent")),
            NavItem("/admin/orders", _("Orders")),
            NavItem("/admin/claims", _("Claims")),
            NavItem("/admin/transfers", _("Transfers")),
            NavItem("/admin/service-requests", _("Service requests")),
            NavItem("/admin/contact-requests", _("Change requests")),
            NavItem("/admin/dead-letters", _("Dead letters")),
        ]
    items = []
    for permission, href, label, prefix in (
        ("orders.read", "/orders", _("Cards and orders"), ""),
        ("billing.read", "/documents", _("Invoices"), ""),
        ("fleet.read", "/fleet/lines", _("Mobile fleet"), "/fleet"),
        ("assets.read", "/equipment", _("Equipment"), ""),
        ("assets.read", "/quotes", _("Quotes"), ""),
        ("assets.read", "/parking", _("Parking"), ""),
    ):
        if session.may(permission):
            items.append(NavItem(href, label, prefix))
    items.append(NavItem("/account", _("My account")))
    items.append(NavItem("/contact", _("Contact us")))
    return items
