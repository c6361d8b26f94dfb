"""A new customer's first visit, in a real browser: activate the account from the
e-mail's link, sign in, import an order file whose two bad lines are both named,
fix it and submit, pay by card on the provider's page and come back to a paid
order, download the invoice's PDF, switch to English, sign out. Then signing in
by keyboard alone and at a phone's width, and every page of the menu checked for
what only a browser sees (security-policy refusals, script errors, overflow)."""

from __future__ import annotations

import re
import time
import uuid
from decimal import Decimal
from pathlib import Path

from babel.numbers import format_currency
from playwright.sync_api import Page, expect

from tests.browser.mailbox import Mailbox
from tests.support.api import Api, csv_file
from web.i18n import translations

# The portal's own catalogue names what the French customer reads (labels,
# buttons): the test targets what is on screen, not the markup.
fr = translations("fr").gettext
en = translations("en").gettext

PASSWORD = "Correct-Horse-42!"


def _open(page: Page, path: str) -> None:
    """Goes to `path`, which must be a page (a missing one fails here, named)."""
    answer = page.goto(path)
    assert answer is not None and answer.status < 400, f"GET {path}: {answer and answer.status}"


def _activate(page: Page, mailbox: Mailbox, account: dict, shot) -> None:
    """From the e-mail's link: the numbers it gives, a password; then signed in."""
    _open(page, mailbox.link(account["managerEmail"], "/activate"))
    expect(page.get_by_role("heading", level=1)).to_have_text(fr("Activate your account"))
    page.get_by_label(fr("Client number")).fill(account["clientNumber"])
    page.get_by_label(fr("Contract number")).fill(account["contractNumber"])
    page.get_by_label(fr("Create a password")).fill(PASSWORD)
    page.get_by_label(fr("Confirm the password")).fill(PASSWORD)
    shot("activation-form")
    page.get_by_role("button", name=fr("Activate my account")).click()
    welcome = fr("Your account is activated. Welcome to your customer area!")
    expect(page.get_by_role("status").filter(has_text=welcome)).to_be_visible()
    expect(page.get_by_role("heading", name="Bonjour Ada")).to_be_visible()
    shot("activated")


def _sign_out(page: Page, language=fr) -> None:
    page.get_by_role("button", name=language("Sign out")).click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_have_text(language("You are signed out."))


def _sign_in(page: Page, login: str, shot) -> None:
    _open(page, "/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion à votre espace client")
    page.get_by_label(fr("E-mail or client number")).fill(login)
    page.get_by_label(fr("Password")).fill(PASSWORD)
    shot("login")
    page.get_by_role("button", name=fr("Sign in")).click()
    expect(page.get_by_role("heading", name="Bonjour Ada")).to_be_visible()
    shot("dashboard")


def _delivery_point(api: Api, login: str) -> None:
    """The account's delivery point, where the cards are sent (the file names it)."""
    token = api.login(login, PASSWORD).json()["accessToken"]
    answer = api.post(
        "/v1/delivery-points",
        {
            "name": "Siège",
            "code": "HQ",
            "address": {
                "line1": "1 rue A",
                "postalCode": "75001",
                "city": "Paris",
                "country": "FR",
            },
        },
        token,
    )
    assert answer.status_code == 201, answer.text


def _upload(page: Page, rows: list[list[str]]) -> None:
    _open(page, "/orders/new/file")
    page.get_by_label(fr("Order file (CSV, separated by ; or ,)")).set_input_files(
        files=[{"name": "commande.csv", "mimeType": "text/csv", "buffer": csv_file(rows)}]
    )
    page.get_by_role("button", name=fr("Import the file")).click()


def _reload_until_heading_says(page: Page, text: str, seconds: float = 20.0) -> None:
    """Reloads the page until its title says `text` (what an event changes
    arrives within seconds, and the page is not live)."""
    heading = page.get_by_role("heading", level=1)
    deadline = time.monotonic() + seconds
    while text not in heading.inner_text() and time.monotonic() < deadline:
        page.wait_for_timeout(300)
        page.reload()
    expect(heading).to_contain_text(text)


def euros(cents: int) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale="fr_FR")


def test_a_new_customer_orders_cards_pays_by_card_and_gets_the_invoice(
    page: Page, api: Api, mailbox: Mailbox, shot
) -> None:
    account = api.new_account(language="fr")
    _activate(page, mailbox, account, shot)
    # The password chosen opens the customer area.
    _sign_out(page)
    _sign_in(page, account["managerEmail"], shot)
    _delivery_point(api, account["managerEmail"])

    # A file with two bad lines: both are named (line, column), nothing is created.
    good = ["E-1", "Durand", "Léa", "lea@example.com", "1990-01-02", "HQ", "oui", "50,00"]
    bad_email = ["E-2", "Martin", "Paul", "not-an-e-mail", "", "HQ", "oui", "20,00"]
    bad_amount = ["E-3", "Petit", "Luc", "", "", "HQ", "oui", "beaucoup"]
    _upload(page, [good, bad_email, bad_amount])
    problems = page.get_by_role("table", name=fr("Problems found in the file"))
    rows = problems.locator("tbody").get_by_role("row")
    expect(rows).to_have_count(2)
    anything = re.compile(".+")
    expect(rows.nth(0).get_by_role("cell")).to_have_text(["3", fr("E-mail"), anything])
    expect(rows.nth(1).get_by_role("cell")).to_have_text(["4", fr("Amount"), anything])
    shot("file-with-two-bad-lines")

    # Fixed, the file makes a draft order.
    fixed_email = [*bad_email[:3], "paul@example.com", *bad_email[4:]]
    fixed_amount = [*bad_amount[:7], "30,00"]
    _upload(page, [good, fixed_email, fixed_amount])
    expect(page).to_have_url(re.compile(r"/orders/[^/]+$"))
    expect(page.get_by_role("status")).to_have_text(
        fr("Your draft order is ready: review it, then choose how to pay.")
    )
    order_url = page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text(fr("Draft"))
    expect(page.get_by_text(euros(10_000), exact=True)).to_be_visible()  # 50 + 20 + 30
    shot("draft-order")
    # The dashboard says a draft waits; its link leads back to it.
    page.get_by_role("link", name=fr("Dashboard")).click()
    expect(page.get_by_role("heading", name=fr("Drafts to submit"))).to_be_visible()
    shot("dashboard-with-a-draft")
    page.get_by_role("main").get_by_role("link", name=re.compile(r"^CMD-")).click()
    expect(page).to_have_url(order_url)

    # Submitted for payment by card: the provider's page, then back to the portal.
    page.get_by_label(fr("By card, now: your order is handled sooner")).check()
    page.get_by_role("button", name=fr("Submit the order")).click()
    # The portal waits (a few seconds at most) for billing to issue the invoice it pays.
    pay = page.get_by_role("button", name="Pay (success)")
    expect(pay).to_be_visible(timeout=15_000)
    shot("payment-provider")
    pay.click()
    expect(page).to_have_url(re.compile(r"/payments/[^/]+$"))
    # The provider's webhook confirms it: the page follows (it refreshes itself).
    expect(page.get_by_text(fr("Thank you: your payment succeeded."))).to_be_visible(timeout=20_000)
    shot("payment-succeeded")

    # Back to the order: paid.
    _open(page, order_url)
    _reload_until_heading_says(page, fr("Paid"))
    shot("order-paid")

    # Its invoice, and the invoice's PDF downloaded.
    page.get_by_role("link", name=fr("See the invoice")).click()
    expect(page).to_have_url(re.compile(r"/documents/[^/]+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(fr("Invoice"))
    shot("invoice")
    with page.expect_download() as download:
        page.get_by_role("link", name=fr("Download the PDF")).click()
    pdf = Path(download.value.path())
    assert pdf.read_bytes().startswith(b"%PDF"), download.value.suggested_filename
    assert download.value.suggested_filename.endswith(".pdf")

    # The dashboard, then the same in English, then signing out.
    page.get_by_role("link", name=fr("Dashboard")).click()
    # Paid: nothing waits any more.
    expect(page.get_by_text(fr("Nothing needs your attention right now."))).to_be_visible()
    shot("dashboard-after-the-order")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Nothing needs your attention right now.")).to_be_visible()
    shot("english")
    _sign_out(page, en)
    shot("signed-out")
    # The session is over: the dashboard asks to sign in again.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))


def _customer(api: Api) -> dict:
    account = api.new_account(email=f"keyboard-{uuid.uuid4().hex[:8]}@example.com")
    api.activate(account, PASSWORD)
    return account


def _focused(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            const box = el.getBoundingClientRect();
            return {
                tag: el.tagName.toLowerCase(), id: el.id, text: el.textContent.trim(),
                type: el.getAttribute("type") || "",
                outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
                inView: box.right > 0 && box.bottom > 0 && box.left < innerWidth
                    && box.top < innerHeight,
            };
        }"""
    )


def _tab_to(page: Page, wanted, limit: int = 8) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if wanted(focused):
            return focused
    raise AssertionError(f"Tab never reached the element; last focused: {focused}")


def _no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url}: {widths[0]}px wide in a {widths[1]}px screen"


def test_the_login_by_keyboard_alone_and_on_a_phone(page: Page, api: Api, shot) -> None:
    account = _customer(api)
    page.goto("/login")

    # The first Tab reaches the skip link, shown and outlined when focused.
    page.keyboard.press("Tab")
    skip = _focused(page)
    assert (skip["tag"], skip["text"]) == ("a", fr("Skip to content"))
    assert skip["inView"] and skip["outline"], skip
    shot("skip-link-focused")

    login = _tab_to(page, lambda f: f["id"] == "f-login")
    assert login["outline"], login
    page.keyboard.type(account["managerEmail"])
    page.keyboard.press("Tab")
    password = _focused(page)
    assert (password["id"], password["outline"]) == ("f-password", True)
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    button = _focused(page)
    assert (button["tag"], button["text"], button["outline"]) == ("button", fr("Sign in"), True)
    shot("sign-in-button-focused")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Bonjour Ada")).to_be_visible()

    # A phone's width: nothing wider than the screen.
    page.set_viewport_size({"width": 375, "height": 740})
    _no_horizontal_scroll(page)
    shot("dashboard-phone")
    _sign_out(page)
    _no_horizontal_scroll(page)
    shot("login-phone")


def test_every_page_of_the_menu_opens_within_the_security_policy_and_a_phone_width(
    page: Page, api: Api, console: list[str], shot
) -> None:
    """The pages forbid inline scripts and styles (CSP): the browser refuses
    them and says so in its console. Every page of the customer's menu opens
    with nothing refused and no script error, and fits a phone's width."""
    account = _customer(api)
    _sign_in(page, account["managerEmail"], shot)
    menu = page.get_by_role("navigation", name=fr("Main menu")).get_by_role("link")
    paths = [link.get_attribute("href") or "" for link in menu.all()]
    assert "/orders" in paths and "/documents" in paths, paths
    page.set_viewport_size({"width": 375, "height": 740})
    too_wide = []
    for path in paths:
        _open(page, path)
        shot(f"phone-{path.strip('/').replace('/', '-') or 'dashboard'}")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 375:
            too_wide.append(f"{path}: {width}px")
    # The browser's complaints, each once with the pages it was made on.
    complaints: dict[str, list[str]] = {}
    for entry in console:
        path, _, text = entry.partition(": ")
        if "Content Security Policy" in text or text.startswith("script error"):
            complaints.setdefault(text, []).append(path)
    problems = [f"{text} (on {', '.join(dict.fromkeys(on))})" for text, on in complaints.items()]
    problems += [f"wider than a 375px phone: {page}" for page in too_wide]
    assert not problems, "\n".join(problems)
