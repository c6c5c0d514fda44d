"""The ASGI application: FastAPI with the pages, the JSON API and the static files.

    app = create_app(WebSettings(), mailbox=None)

The OpenAPI description is at /api/openapi.json (no interactive documentation page:
its scripts would come from a CDN, and this server serves nothing from elsewhere).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from smtpcheck import __version__
from smtpcheck.web.checks import CheckService
from smtpcheck.web.history import History
from smtpcheck.web.mailbox import Mailbox
from smtpcheck.web.render import page
from smtpcheck.web.security import SecurityMiddleware
from smtpcheck.web.settings import WebSettings

STATIC = Path(__file__).parent / "static"


@dataclass
class WebState:
    """What the routes share (request.app.state.web)."""

    settings: WebSettings
    history: History
    checks: CheckService
    mailbox: Mailbox | None


def create_app(settings: WebSettings, mailbox: Mailbox | None = None) -> FastAPI:
    from smtpcheck.web import api, pages

    history = History(settings.history_path)
    state = WebState(settings, history, CheckService(settings, history), mailbox)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await state.checks.close()
            history.close()

    app = FastAPI(
        title="smtpcheck web",
        version=__version__,
        description=(
            "Run `check`, read its history, explain replies, look up MX records and read "
            "the sink's mailbox. Reports follow the `smtpcheck.report/1` schema "
            "(docs/json-report.md); MX documents `smtpcheck.mx/1` (docs/json-mx.md)."
        ),
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.web = state
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SecurityMiddleware, settings=settings)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """The API answers JSON; a page answers a page."""
        if request.url.path.startswith("/api/"):
            body = {"detail": exc.detail}
            return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
        return page(request, "error.html", exc.status_code, status=exc.status_code,
                    message=exc.detail)  # fmt: skip

    return app
