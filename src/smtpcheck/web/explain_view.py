"""The Explain page's data: a pasted reply, enhanced code or EHLO keyword, explained by
the knowledge layer (the same functions as `smtpcheck explain`), as plain dictionaries
shaped like `explain --output json` (`kind` and `result`)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from smtpcheck.knowledge.codes import explain_enhanced
from smtpcheck.knowledge.ehlo import explain_ehlo_keyword, explain_ehlo_reply
from smtpcheck.knowledge.explain import explain_reply
from smtpcheck.knowledge.hints import find_hint
from smtpcheck.knowledge.i18n import t
from smtpcheck.knowledge.parse import parse_reply_text

JSON_SCHEMA = "smtpcheck.explain/1"
MODES = ("reply", "ehlo")
MAX_QUERY = 8192
_CODE = re.compile(r"^\d{3}$")
_ENHANCED = re.compile(r"^\d+\.\d+\.\d+$")
_REPLY_PREFIX = re.compile(r"^\d{3}[ -]")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return [_plain(item) for item in value]


def explain_query(query: str, mode: str, lang: str) -> dict[str, Any]:
    """`{"schema", "kind", "result"}`; ValueError (a sentence in `lang`) when the query
    is not something to explain."""
    raw = query.strip()[:MAX_QUERY]
    if not raw:
        raise ValueError(t("errors.empty", lang))
    if mode == "ehlo":
        if "\n" not in raw and _REPLY_PREFIX.match(raw):
            raw = raw[4:].strip()  # one line copied from an EHLO reply: its keyword
        if "\n" in raw:
            kind, result = "ehlo_reply", _plain(explain_ehlo_reply(raw, lang))
        else:
            keyword, *params = raw.split()
            kind, result = "ehlo_keyword", _plain(explain_ehlo_keyword(keyword, params, lang))
        return {"schema": JSON_SCHEMA, "kind": kind, "result": result}
    if _CODE.match(raw):
        if not 200 <= int(raw) <= 599:
            raise ValueError(t("errors.bad_code", lang, value=raw))
        return _reply(int(raw), None, "", lang)
    if _ENHANCED.match(raw):
        return _enhanced(raw, "", lang)
    parsed = parse_reply_text(raw)
    if parsed.code is None and parsed.enhanced is not None:
        return _enhanced(parsed.enhanced, parsed.text, lang)
    if parsed.code is None:
        raise ValueError(t("errors.no_code", lang))
    return _reply(parsed.code, parsed.enhanced, parsed.text, lang)


def _reply(code: int, enhanced: str | None, text: str, lang: str) -> dict[str, Any]:
    result = _plain(explain_reply(code, enhanced, text, None, lang))
    return {"schema": JSON_SCHEMA, "kind": "reply", "result": result}


def _enhanced(code: str, text: str, lang: str) -> dict[str, Any]:
    info = explain_enhanced(code, lang)
    # the class's generic reply code (250/450/550) stands in for the hint rules
    hint = find_hint(None, int(info.code[0]) * 100 + 50, info.code, text, lang)
    result = {"enhanced": _plain(info), "step_hint": hint and _plain(hint)}
    return {"schema": JSON_SCHEMA, "kind": "enhanced", "result": result}
