"""The web portal's application: routes of every area (`web/pages/*.py`, each
exporting `routes`), static files, security headers, the language switch."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web import i18n, pages
from web.api import Api
from web.session import SessionCodec, load_keys
from web.settings import WebSettings

HERE = Path(__file__).parent


def content_security_policy(form_targets: tuple[str, ...] = ()) -> str:
    """No inline script or style: every script and stylesheet is a file of ours.
    Forms post here only, and (through the 303 that follows) to the payment
    provider's origins (`form_targets`), where the customer pays."""
    targets = " ".join(("'self'", *form_targets))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"font-src 'self'; connect-src 'self'; form-action {targets}; base-uri 'self'; "
        "frame-ancestors 'none'; object-src 'none'"
    )


OTHER_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, form_targets: tuple[str, ...] = ()) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", content_security_policy(form_targets).encode()),
            *OTHER_SECURITY_HEADERS,
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in self.headers if n not in present]
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def environments() -> dict[str, Environment]:
    """One Jinja environment per language (gettext installed in each)."""
    envs = {}
    for language in i18n.LANGUAGES:
        env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_gettext_translations(i18n.translations(language), newstyle=True)  # type: ignore[attr-defined]
        env.filters.update(money=i18n.money, day=i18n.day, moment=i18n.moment, number=i18n.number)
        envs[language] = env
    return envs


def collect_routes() -> list[BaseRoute]:
    """Every `web/pages/<area>.py` module's `routes`."""
    routes: list[BaseRoute] = []
    for module in sorted(pkgutil.iter_modules(pages.__path__), key=lambda m: m.name):
        loaded = importlib.import_module(f"{pages.__name__}.{module.name}")
        routes += getattr(loaded, "routes", [])
    return routes


def create_app(
    settings: WebSettings, *, transport: httpx.AsyncBaseTransport | None = None
) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # One API client per run of the app (its connections live with it).
        app.state.api = Api(
            settings.gateway_url, timeout=settings.timeout_seconds, transport=transport
        )
        yield
        await app.state.api.aclose()

    app = Starlette(
        routes=[
            *collect_routes(),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders, form_targets=settings.payment_origins)],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.codec = SessionCodec(
        load_keys(settings.session_keys, settings.session_key_file),
        max_age=settings.session_max_age_seconds,
        secure=settings.secure_cookies,
    )
    app.state.envs = environments()
    return app
