"""Pages from Jinja2 templates (autoescaped), in the reader's language.

The language comes from `?lang=` (kept in a cookie), else the cookie, else the
browser's Accept-Language. Templates get `_` for the web texts (knowledge/web.toml),
`rt` for the report's own labels (the same as the HTML report's), the CSRF token and
where they are.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from smtpcheck.knowledge._data import SUPPORTED_LANGUAGES
from smtpcheck.knowledge.i18n import t
from smtpcheck.knowledge.web import pick_web_language, web_table, web_text

LANG_COOKIE = "smtpcheck_lang"
TEMPLATES = Path(__file__).parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(timestamp: float | str | None) -> str:
    if timestamp is None or timestamp == "":
        return ""
    if isinstance(timestamp, str):
        return timestamp.replace("T", " ")
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def _first_line(step: dict[str, Any]) -> str:
    reply = step.get("reply") or {}
    lines = reply.get("lines") or []
    return f"{reply.get('code', '')} {lines[0] if lines else ''}".strip()


environment.filters["when"] = _when
environment.filters["first_line"] = _first_line
environment.filters["tojson_attr"] = lambda value: json.dumps(value, ensure_ascii=False)


def request_language(request: Request) -> tuple[str, bool]:
    """(language, chosen now by ?lang=: remember it in a cookie)."""
    asked = request.query_params.get("lang")
    if asked in SUPPORTED_LANGUAGES:
        return asked, True
    kept = request.cookies.get(LANG_COOKIE)
    if kept in SUPPORTED_LANGUAGES:
        return kept, False
    return pick_web_language(request.headers.get("accept-language")), False


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang, chosen = request_language(request)
    report_lang = str(context.get("report_lang") or lang)
    state = request.app.state.web
    html = environment.get_template(template).render(
        _=lambda key, **fmt: web_text(key, lang, **fmt),
        rt=lambda key, **fmt: t(key, report_lang, **fmt),
        js_texts=web_table("live", lang),
        lang=lang,
        other_langs=[code for code in SUPPORTED_LANGUAGES if code != lang],
        csrf=request.scope.get("state", {}).get("csrf", ""),
        path=request.url.path,
        mailbox=state.mailbox is not None,
        token_required=bool(state.settings.token),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    if chosen:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict")
    return response


def page_language(request: Request) -> str:
    return request_language(request)[0]
