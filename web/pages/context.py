"""What every page handler gets (`Ctx`) and the decorator that builds it: the
session read from its cookie and written back, the language of the request,
the API bound to the session, rendering, redirects, and forms checked against
CSRF. A page handler reads: call the API -> render (or redirect)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from jinja2 import Environment
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from web.api import Api, ApiError, SignedOut
from web.i18n import _, current_language, from_accept_language, normalise_language, use_language
from web.pages.nav import nav_items
from web.session import Session, SessionCodec


class CsrfRefused(Exception):
    """A form posted without this session's CSRF token."""


class Ctx:
    def __init__(self, request: Request) -> None:
        self.request = request
        state = request.app.state
        self.codec: SessionCodec = state.codec
        self.api_client: Api = state.api
        self.envs: dict[str, Environment] = state.envs
        self.session: Session = self.codec.read(request)
        self._form: FormData | None = None

    # ---- the API with this session's tokens ---------------------------------------------

    async def api(self, method: str, path: str, **kw: Any) -> dict:
        return await self.api_client.json(self.session, method, path, **kw)

    async def api_raw(self, method: str, path: str, **kw: Any):
        return await self.api_client.call(self.session, method, path, **kw)

    # ---- answers ------------------------------------------------------------------------------

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        env = self.envs[current_language()]
        html = env.get_template(template).render(
            request=self.request,
            session=self.session,
            csrf=self.session.csrf,
            language=current_language(),
            flashes=self.session.take_flashes(),
            path=self.request.url.path,
            nav_items=nav_items(self.session),
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    async def form(self) -> FormData:
        """The posted form, once its CSRF token matches the session's."""
        if self._form is None:
            self._form = await self.request.form()
            given = str(self._form.get("csrf", ""))
            if not given or not hmac.compare_digest(given, self.session.csrf):
                raise CsrfRefused()
        return self._form

    async def field(self, name: str, default: str = "") -> str:
        value = (await self.form()).get(name, default)
        return value if isinstance(value, str) else default


Handler = Callable[[Ctx], Awaitable[Response]]


def page(
    *, signed_in: bool = True
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wraps a handler: builds its Ctx, sets the language, sends a signed-out
    user to the login page (and back after), answers a form without its CSRF
    token with 403, and writes the session cookie back."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            ctx = Ctx(request)
            use_language(
                ctx.session.language
                or normalise_language(
                    from_accept_language(request.headers.get("accept-language", ""))
                )
            )
            if not ctx.session.language:
                ctx.session.language = current_language()
            try:
                if signed_in and not ctx.session.signed_in:
                    if ctx.session.first_login_token:
                        # A first login under way (its link worked once): finish it.
                        response = ctx.redirect("/first-login")
                        ctx.codec.write(response, ctx.session)
                        return response
                    raise SignedOut()
                response = await handler(ctx)
            except SignedOut:
                ctx.session.sign_out()
                ctx.session.flash(_("Please sign in to continue."), "info")
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                response = ctx.redirect(f"/login?next={quote(target)}")
            except CsrfRefused:
                response = ctx.render(
                    "errors/forbidden.html",
                    status=403,
                    message=_(
                        "This form has expired. Please go back, reload the page and try again."
                    ),
                )
            except ApiError as error:
                if error.status == 404:
                    response = ctx.render("errors/not_found.html", status=404)
                elif error.status == 403:
                    response = ctx.render(
                        "errors/forbidden.html", status=403, message=_("You may not do this.")
                    )
                else:  # what no page expects: said plainly, nothing typed is kept
                    response = ctx.render(
                        "errors/unavailable.html",
                        status=502 if error.status >= 500 else 400,
                        message=error.message,
                    )
            ctx.codec.write(response, ctx.session)
            return response

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    return wrap


def field_errors(error: ApiError, mapping: dict[str, str] | None = None) -> dict[str, str]:
    """The API's field violations keyed by form field (`mapping` renames API
    field names to the form's), each field's descriptions joined."""
    errors: dict[str, str] = {}
    for name, descriptions in error.violations.items():
        key = (mapping or {}).get(name, name)
        errors[key] = "; ".join(d for d in descriptions if d)
    return errors
