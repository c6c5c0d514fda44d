"""Helpers both the pages and the API use: the state, CSRF on forms, Server-Sent Events,
the live form of a report, downloads."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from starlette.responses import Response, StreamingResponse

from smtpcheck.web.security import CSRF_COOKIE, CSRF_FIELD, DOWNLOAD_CSP, same

FORM_LIMITS = {"max_files": 0, "max_fields": 50}


def web_state(request: Request) -> Any:
    return request.app.state.web


def mailbox_of(request: Request) -> Any:
    """The mailbox, or 404 when the server runs without the sink."""
    mailbox = web_state(request).mailbox
    if mailbox is None:
        raise HTTPException(404, "no mailbox: start with `smtpcheck web --sink`")
    return mailbox


def message_of(request: Request, message_id: str) -> tuple[Any, dict[str, Any]]:
    """(the mailbox, the message `message_id`), or 404."""
    mailbox = mailbox_of(request)
    message = mailbox.message(message_id)
    if message is None:
        raise HTTPException(404, "no such message")
    return mailbox, message


def stored_pair(request: Request, a: str, b: str) -> tuple[Any, Any]:
    """Two stored runs of one domain, older first (404 / 400 otherwise)."""
    history = web_state(request).history
    first, second = history.get(a), history.get(b)
    if first is None or second is None:
        raise HTTPException(404, "choose two stored checks")
    if first.domain != second.domain:
        raise HTTPException(400, "compare two runs of the same domain")
    return (second, first) if first.started_at > second.started_at else (first, second)


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF field matches the cookie (403 otherwise)."""
    form = await request.form(**FORM_LIMITS)
    field = form.get(CSRF_FIELD)
    if not isinstance(field, str) or not same(field, request.cookies.get(CSRF_COOKIE)):
        raise HTTPException(403, "the form has expired or came from another site: reload it")
    return form


def event_stream(events: AsyncIterator[tuple[str, Any] | None]) -> StreamingResponse:
    """Server-Sent Events from (event name, JSON data); None sends a comment (keep-alive)."""

    async def body() -> AsyncIterator[bytes]:
        yield b"retry: 2000\n\n"
        async for item in events:
            if item is None:
                yield b": keep-alive\n\n"
                continue
            name, data = item
            text = json.dumps(data, ensure_ascii=False)
            yield f"event: {name}\ndata: {text}\n\n".encode()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


def live_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The step tree as the live page draws it (no transcripts, no capability leaves)."""
    out = []
    for step in steps:
        reply = step.get("reply") or {}
        lines = reply.get("lines") or []
        out.append(
            {
                "name": step.get("name"),
                "title": step.get("title"),
                "status": step.get("status"),
                "line": f"{reply.get('code')} {lines[0] if lines else ''}" if reply else "",
                "detail": step.get("detail") or "",
                "problems": [
                    f.get("message")
                    for f in step.get("findings", [])
                    if f.get("status") in ("fail", "warn")
                ],
                "children": live_steps(
                    [c for c in step.get("children", []) if c.get("name") != "capability"]
                ),
            }
        )
    return out


def download(body: bytes | str, filename: str, media_type: str) -> Response:
    """A file to save, never shown in our origin (attachment, sandboxed, nosniff)."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)[:100] or "file"
    return Response(
        body,
        media_type=media_type,
        headers={
            "content-disposition": f'attachment; filename="{safe}"',
            "content-security-policy": DOWNLOAD_CSP,
            "cache-control": "no-store",
        },
    )
