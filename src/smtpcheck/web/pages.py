"""The HTML pages: Check (live), a stored result, History and comparison, Explain, MX,
the Mailbox, and the login form when a token is set. Every value shown is escaped by
the templates; a message's HTML is only ever served by its own sandboxed route."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from smtpcheck.web.checks import CheckRefused, CheckRequest
from smtpcheck.web.compare import compare
from smtpcheck.web.explain_view import MODES, explain_query
from smtpcheck.web.message_view import MAX_BODY, part_bytes, view_message
from smtpcheck.web.mx_view import mx_document
from smtpcheck.web.render import page, page_language
from smtpcheck.web.security import (
    CSRF_FIELD,
    MESSAGE_CSP,
    SESSION_COOKIE,
    client_of,
    safe_next,
    same,
    session_value,
)
from smtpcheck.web.shared import (
    checked_form,
    download,
    mailbox_of,
    message_of,
    stored_pair,
    web_state,
)

router = APIRouter(include_in_schema=False)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- check ------------------------------------------------------------------------------


@router.get("/")
async def check_form(request: Request) -> Response:
    state = web_state(request)
    lang = page_language(request)
    form = {"target": "", "server": "", "port": 25, "tls": "starttls", "send": False, "lang": lang}
    return page(request, "check.html", form=form, recent=state.history.search(limit=8))


@router.post("/checks")
async def start_check(request: Request) -> Response:
    state = web_state(request)
    form = await checked_form(request)
    port = str(form.get("port") or "25")
    values: dict[str, Any] = {
        "target": str(form.get("target") or ""),
        "server": str(form.get("server") or ""),
        "port": int(port) if port.isdigit() else 0,
        "tls": str(form.get("tls") or "starttls"),
        "send": form.get("send") == "on",
        "lang": str(form.get("lang") or page_language(request)),
    }
    try:
        live = state.checks.start(CheckRequest(**values).validate(), client_of(request.scope))
    except ValueError as exc:
        return page(request, "check.html", 400, form=values, error=str(exc), recent=[])
    except CheckRefused as exc:
        return page(request, "check.html", exc.status, form=values, error=exc.message, recent=[])
    return _see_other(f"/checks/{live.id}")


def _found(request: Request, check_id: str) -> tuple[CheckRequest, dict[str, Any] | None, Any]:
    """(request, final report or None while running, the stored row or None)."""
    state = web_state(request)
    live = state.checks.live.get(check_id)
    if live is not None:
        return live.request, live.report, None
    stored = state.history.get(check_id)
    if stored is None:
        raise HTTPException(404, "no such check")
    return CheckRequest.from_dict(stored.options), stored.report, stored


@router.get("/checks/{check_id}.json")
async def check_json(request: Request, check_id: str) -> Response:
    import json

    _, report, _ = _found(request, check_id)
    if report is None:
        raise HTTPException(409, "the check is still running")
    body = json.dumps(report, ensure_ascii=False, indent=2)
    return download(body, f"smtpcheck-{check_id}.json", "application/json")


@router.get("/checks/{check_id}.html")
async def check_html(request: Request, check_id: str) -> Response:
    html = web_state(request).history.html(check_id)
    if html is None:
        raise HTTPException(404, "no stored report with this id")
    return download(html, f"smtpcheck-{check_id}.html", "text/html; charset=utf-8")


@router.get("/checks/{check_id}")
async def show_check(request: Request, check_id: str) -> Response:
    asked, report, _ = _found(request, check_id)
    if report is None:
        return page(request, "live.html", check_id=check_id, asked=asked)
    stored = web_state(request).history.get(check_id)
    return page(
        request,
        "report.html",
        check_id=check_id,
        asked=asked,
        report=report,
        stored=stored is not None,
        report_lang=asked.lang,
    )


@router.post("/checks/{check_id}/rerun")
async def rerun_check(request: Request, check_id: str) -> Response:
    await checked_form(request)
    asked, _, _ = _found(request, check_id)
    try:
        live = web_state(request).checks.start(asked, client_of(request.scope))
    except CheckRefused as exc:
        raise HTTPException(exc.status, exc.message) from None
    return _see_other(f"/checks/{live.id}")


# -- history ----------------------------------------------------------------------------


@router.get("/history")
async def history(request: Request, q: str = "") -> Response:
    rows = web_state(request).history.search(q[:200], limit=200)
    return page(request, "history.html", rows=rows, query=q)


@router.get("/history/compare")
async def compare_runs(request: Request, a: str = "", b: str = "") -> Response:
    first, second = stored_pair(request, a, b)
    diff = compare(first.report, second.report)
    return page(request, "compare.html", before=first, after=second, diff=diff)


# -- explain and MX ---------------------------------------------------------------------


@router.get("/explain")
async def explain(request: Request, q: str = "", mode: str = "reply") -> Response:
    lang = page_language(request)
    mode = mode if mode in MODES else "reply"
    result, error = None, None
    if q.strip():
        try:
            result = explain_query(q, mode, lang)
        except ValueError as exc:
            error = str(exc)
    return page(request, "explain.html", query=q, mode=mode, result=result, error=error)


@router.get("/mx")
async def mx(request: Request, domain: str = "") -> Response:
    lang = page_language(request)
    result, error = None, None
    if domain.strip():
        try:
            result = await mx_document(domain[:300], web_state(request).settings, lang)
        except ValueError as exc:
            error = str(exc)
    return page(request, "mx.html", domain=domain, result=result, error=error)


# -- mailbox ----------------------------------------------------------------------------


@router.get("/mailbox")
async def mailbox_list(request: Request, q: str = "") -> Response:
    if web_state(request).mailbox is None:
        return page(request, "no_mailbox.html", status_code=404)
    messages = mailbox_of(request).messages(q[:200])
    return page(request, "mailbox.html", messages=messages, query=q)


@router.get("/mailbox/{message_id}/html")
async def mailbox_html(request: Request, message_id: str) -> Response:
    mailbox, message = message_of(request, message_id)
    html = view_message(mailbox.raw(message)).html or ""
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "content-security-policy": MESSAGE_CSP,
            "x-frame-options": "SAMEORIGIN",
            "cache-control": "no-store",
        },
    )


@router.get("/mailbox/{message_id}/raw")
async def mailbox_raw(request: Request, message_id: str) -> Response:
    mailbox, message = message_of(request, message_id)
    return Response(
        mailbox.raw(message),
        media_type="text/plain; charset=utf-8",
        headers={"content-security-policy": "default-src 'none'; sandbox"},
    )


@router.get("/mailbox/{message_id}.eml")
async def mailbox_eml(request: Request, message_id: str) -> Response:
    mailbox, message = message_of(request, message_id)
    return download(mailbox.store.raw(message), f"{message_id}.eml", "message/rfc822")


@router.get("/mailbox/{message_id}")
async def mailbox_message(request: Request, message_id: str) -> Response:
    mailbox, message = message_of(request, message_id)
    raw = mailbox.raw(message)
    view = view_message(raw)
    raw_text = raw[:MAX_BODY].decode("utf-8", "replace")
    session = mailbox.session(message)
    return page(
        request, "message.html", message=message, view=view, session=session, raw_text=raw_text
    )


@router.get("/mailbox/{message_id}/parts/{index}")
async def mailbox_part(request: Request, message_id: str, index: int) -> Response:
    mailbox, message = message_of(request, message_id)
    found = part_bytes(mailbox.raw(message), index)
    if found is None:
        raise HTTPException(404, "no such part")
    name, data = found
    return download(data, name, "application/octet-stream")


@router.post("/mailbox/{message_id}/delete")
async def mailbox_delete(request: Request, message_id: str) -> Response:
    await checked_form(request)
    mailbox_of(request).delete(message_id)
    return _see_other("/mailbox")


# -- login ------------------------------------------------------------------------------


@router.get("/login")
async def login_form(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", next=safe_next(next), error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await checked_form(request)
    token = web_state(request).settings.token
    target = safe_next(str(form.get("next") or "/"))
    given = form.get("token")
    if token is None:
        return _see_other(target)
    if not isinstance(given, str) or not same(given, token):
        return page(request, "login.html", 401, next=target, error=True)
    response = _see_other(target)
    secure = web_state(request).settings.tls_cert is not None
    response.set_cookie(
        SESSION_COOKIE, session_value(token), httponly=True, samesite="strict", secure=secure
    )
    return response


__all__ = ["CSRF_FIELD", "router"]
