"""EHLO keywords (SMTP service extensions): what each one means for the user."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from smtpcheck.knowledge._data import (
    DEFAULT_LANGUAGE,
    check_language,
    lookup_str,
    neutral,
)
from smtpcheck.knowledge.models import EhloLineInfo, KeywordInfo

_CODE_PREFIX = re.compile(r"^\s*(?:<[-~]\s*)?\d{3}[ -]?")
_CLIENT_ADDRESS = re.compile(r"\[([0-9A-Fa-f:.]+|IPv6:[0-9A-Fa-f:.]+)\]")
_MECHANISM_KEYWORDS = frozenset({"AUTH", "AUTH=", "X-EXPS"})


def _registry_key(keyword: str, params: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """Fold the legacy "AUTH=LOGIN PLAIN" form into ("AUTH=", ("LOGIN", "PLAIN"))."""
    if keyword.startswith("AUTH="):
        first = keyword[len("AUTH=") :]
        return "AUTH=", ((first,) if first else ()) + params
    return keyword, params


def _t(lang: str, *path: str, **fmt: object) -> str:
    template = lookup_str(lang, "ehlo", *path) or ""
    return template.format(**fmt) if fmt else template


def _mechanisms_meaning(mechanisms: tuple[str, ...], lang: str) -> str:
    parts = []
    for mechanism in mechanisms:
        meaning = lookup_str(lang, "ehlo", "mechanism", mechanism.upper())
        parts.append(f"{mechanism}: {meaning}" if meaning else mechanism)
    if not parts:
        return _t(lang, "params", "auth_none")
    return _t(lang, "params", "auth", mechanisms="; ".join(parts))


def _size_meaning(params: tuple[str, ...], lang: str) -> str:
    if not params or not params[0].isdigit():
        return _t(lang, "params", "size_unannounced")
    limit = int(params[0])
    if limit == 0:
        return _t(lang, "params", "size_unlimited")
    return _t(lang, "params", "size", bytes=limit, mib=f"{limit / 1048576:.1f}")


def _limits_meaning(params: tuple[str, ...], lang: str) -> str:
    parts = []
    for param in params:
        name, _, value = param.partition("=")
        template = lookup_str(lang, "ehlo", "limits", name.upper())
        parts.append(template.format(value=value) if template else param)
    return "; ".join(parts)


def _params_meaning(keyword: str, params: tuple[str, ...], lang: str) -> str:
    if keyword in _MECHANISM_KEYWORDS:
        return _mechanisms_meaning(params, lang)
    if keyword == "SIZE":
        return _size_meaning(params, lang)
    if keyword == "LIMITS" and params:
        return _limits_meaning(params, lang)
    if keyword == "DELIVERBY" and params:
        return _t(lang, "params", "deliverby", seconds=params[0])
    if keyword == "FUTURERELEASE" and len(params) >= 2:
        return _t(lang, "params", "futurerelease", interval=params[0], until=params[1])
    if params:
        return _t(lang, "params", "generic", params=" ".join(params))
    return ""


_PRIVATE_KEYWORD = re.compile(r"^X-[A-Z0-9][A-Z0-9-]*$")


def is_ehlo_keyword(text: str) -> bool:
    """Does `text` start with an EHLO keyword, as a person types it (`CHUNKING`,
    `AUTH PLAIN LOGIN`, `X-ANONYMOUSTLS`)? True for a registered keyword, and for a
    private one written in capitals with the X- prefix (RFC 5321 §4.1.5)."""
    words = text.split()
    if not words:
        return False
    keyword, _ = _registry_key(words[0].upper(), ())
    if keyword in neutral("registry")["ehlo_keywords"]:
        return True
    return len(words) == 1 and bool(_PRIVATE_KEYWORD.match(words[0]))


def explain_ehlo_keyword(
    keyword: str, params: Iterable[str] = (), lang: str = DEFAULT_LANGUAGE
) -> KeywordInfo:
    """What an advertised keyword (and its parameters) means for the user."""
    check_language(lang)
    advertised = keyword.strip().upper()
    key, parameters = _registry_key(advertised, tuple(params))
    entry = neutral("registry")["ehlo_keywords"].get(key)
    name = lookup_str(lang, "ehlo", "keyword", key, "name")
    meaning = lookup_str(lang, "ehlo", "keyword", key, "meaning")
    if entry is not None and name is not None and meaning is not None:
        return KeywordInfo(
            keyword=advertised,
            params=parameters,
            name=name,
            meaning=meaning,
            params_meaning=_params_meaning(key, parameters, lang),
            reference=str(entry.get("ref", "")),
            status=str(entry.get("status", "standard")),
            vendor=str(entry["vendor"]) if "vendor" in entry else None,
            known=True,
        )
    private = advertised.startswith("X")
    status = "private" if private else "unknown"
    return KeywordInfo(
        keyword=advertised,
        params=parameters,
        name=_t(lang, "unknown", status, "name"),
        meaning=_t(lang, "unknown", status, "meaning", keyword=advertised),
        params_meaning=_params_meaning(key, parameters, lang),
        reference="",
        status=status,
        vendor=None,
        known=False,
    )


def _greeting_meaning(text: str, lang: str) -> str:
    host = text.split()[0] if text.split() else "?"
    client = _CLIENT_ADDRESS.search(text)
    if client is not None:
        return _t(lang, "greeting", "with_client", host=host, client=client.group(1))
    return _t(lang, "greeting", "plain", host=host)


def explain_ehlo_reply(
    reply: str | Sequence[str], lang: str = DEFAULT_LANGUAGE
) -> tuple[EhloLineInfo, ...]:
    """Explain every line of an EHLO reply, given as text or as lines, with or
    without the "250-" prefixes. The first line is the server's greeting."""
    check_language(lang)
    raw_lines = reply.splitlines() if isinstance(reply, str) else list(reply)
    result = []
    for index, raw_line in enumerate(line for line in raw_lines if line.strip()):
        body = _CODE_PREFIX.sub("", raw_line, count=1).strip()
        if index == 0:
            result.append(EhloLineInfo(raw_line.strip(), _greeting_meaning(body, lang), None))
            continue
        if not body:  # smtp-sink ends its list with an empty "250 " line
            result.append(EhloLineInfo(raw_line.strip(), _t(lang, "empty_line"), None))
            continue
        keyword, *params = body.split()
        info = explain_ehlo_keyword(keyword, params, lang)
        meaning = f"{info.name}: {info.meaning}"
        if info.params_meaning:
            meaning = f"{meaning} {info.params_meaning}"
        result.append(EhloLineInfo(raw_line.strip(), meaning, info))
    return tuple(result)
