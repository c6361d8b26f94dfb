"""`GET /docs`: Swagger UI served from the `openapi-ui-bundles` package, so the
page works without reaching a CDN (Swagger UI 5, which reads OpenAPI 3.1)."""

from __future__ import annotations

from openapi_ui_bundles import swagger_ui
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

# Inline script kept tiny; the page's only dynamic part is the document URL.
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>Portail API</title>
  <link rel="stylesheet" type="text/css" href="/docs/static/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js" charset="UTF-8"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      persistAuthorization: true
    });
  </script>
</body>
</html>
"""


async def _page(request: Request) -> HTMLResponse:
    return HTMLResponse(_PAGE)


def routes() -> list[BaseRoute]:
    return [
        Route("/docs", _page, methods=["GET"]),
        Mount("/docs/static", StaticFiles(directory=str(swagger_ui.static_path)), name="docs"),
    ]
