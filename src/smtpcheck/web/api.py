"""The JSON API under /api (OpenAPI: /api/openapi.json): every page's data, for scripts.

Reports are `smtpcheck.report/1` documents (docs/json-report.md), MX results
`smtpcheck.mx/1` (docs/json-mx.md), explanations `smtpcheck.explain/1`. Live progress
and new mail come as Server-Sent Events. Write calls take JSON bodies (or, from a
browser page, the X-CSRF-Token header); with a token set, send
`Authorization: Bearer TOKEN`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from smtpcheck.web.checks import CheckRefused, CheckRequest, LiveCheck
from smtpcheck.web.compare import compare
from smtpcheck.web.explain_view import explain_query
from smtpcheck.web.mailbox import summary
from smtpcheck.web.message_view import view_message
from smtpcheck.web.mx_view import mx_document
from smtpcheck.web.render import page_language
from smtpcheck.web.security import client_of
from smtpcheck.web.shared import (
    download,
    event_stream,
    live_steps,
    mailbox_of,
    message_of,
    stored_pair,
    web_state,
)

router = APIRouter(prefix="/api", tags=["api"])

Json = dict[str, Any]


class CheckBody(BaseModel):
    """What to check: as on the Check page."""

    target: str = Field(description="An address (kate@example.com) or a domain.", max_length=320)
    server: str | None = Field(None, description="Test this HOST[:PORT] only, without MX lookup.")
    port: int = Field(25, ge=1, le=65535)
    tls: Literal["starttls", "none"] = Field("starttls", description="STARTTLS when offered.")
    send: bool = Field(False, description="Send a uniquely identified test message (DATA).")
    lang: Literal["en", "it"] = "en"


def _started(live: LiveCheck) -> Json:
    return {
        "id": live.id,
        "state": "running",
        "url": f"/checks/{live.id}",
        "api": f"/api/checks/{live.id}",
        "events": f"/api/checks/{live.id}/events",
    }


def _start(request: Request, asked: CheckRequest) -> Json:
    try:
        live = web_state(request).checks.start(asked.validate(), client_of(request.scope))
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    except CheckRefused as exc:
        raise HTTPException(exc.status, exc.message) from None
    return _started(live)


@router.post("/checks", status_code=202, summary="Start a check")
async def start_check(request: Request, body: CheckBody) -> Json:
    """Starts the check and answers at once; follow `events` (SSE) or poll `api`."""
    return _start(request, CheckRequest(**body.model_dump()))


@router.get("/checks/{check_id}", summary="A check: running, or its report")
async def get_check(request: Request, check_id: str) -> Json:
    state = web_state(request)
    live = state.checks.live.get(check_id)
    if live is not None:
        running = not live.done
        return {
            "id": check_id,
            "state": "running" if running else "done",
            "request": live.request.to_dict(),
            "report": live.snapshot(),
        }
    stored = state.history.get(check_id)
    if stored is None:
        raise HTTPException(404, "no such check")
    return {"id": check_id, "state": "done", "request": stored.options, "report": stored.report}


@router.get("/checks/{check_id}/events", summary="Live progress (Server-Sent Events)")
async def check_events(request: Request, check_id: str) -> Response:
    """`progress` events carry the step tree so far (`steps`, without transcripts);
    the last event is `done` with the report's `url`, `verdict` and `status`."""
    live = web_state(request).checks.live.get(check_id)
    if live is None:
        if web_state(request).history.get(check_id) is None:
            raise HTTPException(404, "no such check")

        async def finished() -> AsyncIterator[tuple[str, Any] | None]:
            yield "done", {"url": f"/checks/{check_id}"}

        return event_stream(finished())

    async def events() -> AsyncIterator[tuple[str, Any] | None]:
        async for snapshot in live.updates():
            if snapshot is None:
                yield None
            elif live.done:
                yield "progress", {"steps": live_steps(snapshot.get("steps", []))}
                yield (
                    "done",
                    {
                        "url": f"/checks/{check_id}",
                        "verdict": snapshot.get("verdict"),
                        "status": snapshot.get("status"),
                    },
                )
            else:
                yield "progress", {"steps": live_steps(snapshot.get("steps", []))}

    return event_stream(events())


@router.post("/checks/{check_id}/rerun", status_code=202, summary="Run a check again")
async def rerun_check(request: Request, check_id: str) -> Json:
    state = web_state(request)
    live = state.checks.live.get(check_id)
    if live is not None:
        return _start(request, live.request)
    stored = state.history.get(check_id)
    if stored is None:
        raise HTTPException(404, "no such check")
    return _start(request, CheckRequest.from_dict(stored.options))


@router.get("/checks/{check_id}/html", summary="The self-contained HTML report")
async def check_html(request: Request, check_id: str) -> Response:
    html = web_state(request).history.html(check_id)
    if html is None:
        raise HTTPException(404, "no stored report with this id")
    return download(html, f"smtpcheck-{check_id}.html", "text/html; charset=utf-8")


@router.get("/history", summary="Past checks, newest first")
async def history(request: Request, q: str = "", limit: int = 100) -> Json:
    rows = web_state(request).history.search(q[:200], limit=max(1, min(limit, 1000)))
    return {"checks": rows}


@router.get("/history/compare", summary="What changed between two runs of one domain")
async def compare_runs(request: Request, a: str, b: str) -> Json:
    first, second = stored_pair(request, a, b)
    return {
        "domain": first.domain,
        "before": first.summary(),
        "after": second.summary(),
        "changes": compare(first.report, second.report).to_dict(),
    }


@router.get("/explain", summary="Explain a reply, an enhanced code or an EHLO keyword")
async def explain(
    request: Request, q: str, mode: Literal["reply", "ehlo"] = "reply", lang: str | None = None
) -> Json:
    language = lang if lang in ("en", "it") else page_language(request)
    try:
        return explain_query(q, mode, language)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/mx", summary="Where a domain's mail goes (as `smtpcheck mx`)")
async def mx(request: Request, domain: str, lang: str | None = None) -> Json:
    language = lang if lang in ("en", "it") else page_language(request)
    try:
        return await mx_document(domain[:300], web_state(request).settings, language)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


# -- mailbox ----------------------------------------------------------------------------


@router.get("/messages", summary="Captured messages, newest first")
async def messages(request: Request, q: str = "") -> Json:
    return {"messages": mailbox_of(request).messages(q[:200])}


@router.get("/messages/events", summary="New messages as they arrive (Server-Sent Events)")
async def message_events(request: Request) -> Response:
    """One `message` event per message stored, with its summary."""
    mailbox = mailbox_of(request)

    async def events() -> AsyncIterator[tuple[str, Any] | None]:
        async for batch in mailbox.arrivals():
            if batch is None:
                yield None
                continue
            for item in batch:
                yield "message", item

    return event_stream(events())


@router.get("/messages/{message_id}", summary="One message: envelope, headers, bodies, session")
async def message(request: Request, message_id: str) -> Json:
    mailbox, found = message_of(request, message_id)
    view = view_message(mailbox.raw(found))
    return {
        **summary(found),
        "headers": [list(pair) for pair in view.headers],
        "text": view.text,
        "html": view.html,
        "attachments": [dataclasses.asdict(a) for a in view.attachments],
        "session": mailbox.session(found),
    }


@router.get("/messages/{message_id}/raw", summary="The message as received (.eml)")
async def message_raw(request: Request, message_id: str) -> Response:
    mailbox, found = message_of(request, message_id)
    return download(mailbox.store.raw(found), f"{message_id}.eml", "message/rfc822")


@router.delete("/messages/{message_id}", summary="Delete a message")
async def delete_message(request: Request, message_id: str) -> Json:
    if not mailbox_of(request).delete(message_id):
        raise HTTPException(404, "no such message")
    return {"deleted": message_id}
