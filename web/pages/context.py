"""What every page handler gets (`Ctx`) and the decorator that builds it: the
session read from its cookie and written back, the language of the request,
the API bound to the session, rendering, redirects, and forms checked against
CSRF. A page handler reads: call the API -> render (or redirect)."""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from jinja2 import Environment
from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from web.api import Api, ApiError, SignedOut
from web.i18n import _, current_language, from_accept_language, normalise_language, use_language
from web.pages.nav import nav_items
from web.session import Session, SessionCodec

# The API's largest page, and how many of them a whole list may take.
PAGE_SIZE = 500
MAX_PAGES = 20
_UNSAFE_IN_HEADER = re.compile(r"[^A-Za-z0-9._-]+")


def attachment(filename: str) -> str:
    """A `Content-Disposition` to save a file as `filename`: an ASCII name any
    browser takes, and the exact one (RFC 6266 `filename*`) when they differ;
    nothing from the name can break out of the header."""
    fallback = _UNSAFE_IN_HEADER.sub("_", filename).strip("_.") or "download"
    if fallback == filename:
        return f'attachment; filename="{fallback}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


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

    async def api_all(
        self,
        path: str,
        key: str,
        *,
        params: dict[str, Any] | None = None,
        max_pages: int = MAX_PAGES,
    ) -> list[dict]:
        """Every item of a list the API pages (`key` names the items in its
        answer), for pages that need a whole list (a select, one item the API
        has no route for); at most `max_pages` pages of the API's largest size,
        so a huge account cannot hold a request forever."""
        items: list[dict] = []
        token = ""
        for _page in range(max_pages):
            answer = await self.api(
                "GET", path, params={**(params or {}), "pageSize": PAGE_SIZE, "pageToken": token}
            )
            items += answer.get(key) or []
            token = answer.get("nextPageToken") or ""
            if not token:
                break
        return items

    async def download(
        self,
        path: str,
        filename: str,
        *,
        params: dict[str, Any] | None = None,
        method: str = "GET",
        json: Any = None,
        headers: dict[str, str] | None = None,
        media_type: str = "application/octet-stream",
    ) -> StreamingResponse:
        """The API's file passed on to the browser as it arrives, to be saved
        as `filename`; `media_type` when the API names none."""
        answer = await self.api_client.stream(
            self.session, method, path, params=params, json=json, headers=headers
        )
        return StreamingResponse(
            answer.aiter_bytes(),
            media_type=answer.headers.get("content-type", media_type),
            headers={"Content-Disposition": attachment(filename)},
            background=BackgroundTask(answer.aclose),
        )

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
