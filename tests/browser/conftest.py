"""Browser tests: the whole suite started as `make run` starts it (its web portal
served by uvicorn on a random port), driven by a real headless Chromium through
Playwright. Data is prepared through the public API, as the integration tests
do; each step of a test leaves a screenshot under the test's tmp dir (or under
`--browser-shots DIR`), listed at the end of the run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from deploy.local.suite import Suite
from tests.browser.mailbox import Mailbox
from tests.support.api import Api

OPERATOR_EMAIL = "ops@portail.test"
OPERATOR_PASSWORD = "Operator-Test-Password-1"
BROWSER_GROUP = "browser"
HERE = Path(__file__).resolve().parent

# The size of the screenshots (and of the README's): a laptop screen.
VIEWPORT = {"width": 1280, "height": 800}

INSTALL_HINT = (
    "The browser tests need Chromium. Install it: on Debian/Ubuntu "
    "`sudo apt-get install chromium chromium-driver` (CI's .ci/run does it), elsewhere "
    "`.venv/bin/playwright install chromium`; or point PORTAL_CHROMIUM at a "
    "Chromium/Chrome executable."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--browser-shots",
        default="",
        help="write the browser screenshots under this folder (default: each test's tmp dir)",
    )


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist the browser tests share one worker, so their suite
    and their Chromium start once."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.xdist_group(name=BROWSER_GROUP))


# -- where the screenshots went (reports travel from xdist workers) -----------
_SHOT_DIRS: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, value in report.user_properties:
        if name == "browser screenshots":
            _SHOT_DIRS[report.nodeid] = str(value)


def pytest_terminal_summary(terminalreporter) -> None:
    if _SHOT_DIRS:
        terminalreporter.write_sep("-", "browser screenshots")
        for nodeid, folder in sorted(_SHOT_DIRS.items()):
            terminalreporter.write_line(f"{nodeid}: {folder}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Lets the `page` fixture know whether the test failed (to photograph it)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# -- the suite -----------------------------------------------------------------
@pytest.fixture(scope="session")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    running = Suite(
        tmp_path_factory.mktemp("browser-suite"),
        env={
            "PORTAL_BOOTSTRAP_OPERATOR_EMAIL": OPERATOR_EMAIL,
            "PORTAL_BOOTSTRAP_OPERATOR_PASSWORD": OPERATOR_PASSWORD,
            "PORTAL_GATEWAY_AUTH_RATE_LIMIT": "10000/minute",
            # E-mails are written to the mailbox within a fraction of a second.
            "PORTAL_NOTIFICATIONS_POLL_SECONDS": "0.2",
            "PORTAL_LOG_LEVEL": "INFO",
        },
        random_ports=True,
    )
    try:
        try:
            running.start()
        except (RuntimeError, TimeoutError) as exc:
            pytest.fail(f"the suite did not start: {exc}; its logs: {running.logs_dir}")
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def api(suite: Suite) -> Iterator[Api]:
    client = Api(suite.gateway_url, OPERATOR_EMAIL, OPERATOR_PASSWORD)
    yield client
    client.close()


@pytest.fixture(scope="session")
def mailbox(suite: Suite) -> Mailbox:
    return Mailbox(Path(suite.env["PORTAL_MAILBOX_DIR"]))


# -- the browser -----------------------------------------------------------------
def _chromium_executable() -> str | None:
    """The system's Chromium (Debian's package in CI), None to use Playwright's own."""
    given = os.environ.get("PORTAL_CHROMIUM", "")
    if given:
        return given
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: run `make install` (it is in the dev extras).")
    playwright = sync_playwright().start()
    try:
        executable = _chromium_executable()
        try:
            # No sandbox: CI runs as root in a container, where Chromium's
            # sandbox cannot start; the pages loaded are only the portal's.
            launched = playwright.chromium.launch(
                executable_path=executable, headless=True, args=["--no-sandbox"]
            )
        except Error as exc:
            pytest.fail(f"{INSTALL_HINT}\n(launching {executable or 'Playwright Chromium'}: {exc})")
        yield launched
        launched.close()
    finally:
        playwright.stop()


@pytest.fixture()
def context(browser, suite: Suite) -> Iterator[object]:
    """A fresh browser profile (no cookies) speaking French, like most customers."""
    opened = browser.new_context(
        base_url=suite.web_url, viewport=VIEWPORT, locale="fr-FR", accept_downloads=True
    )
    opened.set_default_timeout(10_000)
    yield opened
    opened.close()


@pytest.fixture()
def shots_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    chosen = request.config.getoption("--browser-shots", default="")
    folder = Path(chosen) / request.node.name if chosen else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    request.node.user_properties.append(("browser screenshots", str(folder.resolve())))
    return folder


@pytest.fixture()
def console() -> list[str]:
    """What the browser itself complains of while the test runs: console
    errors (a CSP refusal), script errors, answers of 400 and more."""
    return []


@pytest.fixture()
def page(
    context, shots_dir: Path, console: list[str], request: pytest.FixtureRequest
) -> Iterator[object]:
    opened = context.new_page()

    def here() -> str:
        return urlsplit(opened.url).path

    opened.on("console", lambda m: m.type == "error" and console.append(f"{here()}: {m.text}"))
    opened.on("pageerror", lambda e: console.append(f"{here()}: script error: {e}"))
    opened.on("response", lambda r: r.status >= 400 and console.append(f"{r.status} {r.url}"))
    yield opened
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed and not opened.is_closed():
        # What the browser showed when the test failed.
        opened.screenshot(path=shots_dir / "failure.png")
        print(f"failure screenshot: {shots_dir / 'failure.png'} (at {opened.url})")
        print("browser console:", *console[-20:], sep="\n  ")


@pytest.fixture()
def shot(page, shots_dir: Path) -> Callable[[str], Path]:
    """`shot("login")` photographs the page as the user sees it now (numbered)."""
    taken: list[Path] = []

    def take(name: str) -> Path:
        path = shots_dir / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=path)
        taken.append(path)
        return path

    return take
