"""Parse the reply to EHLO / LHLO into the server's name and its extension keywords.

The one place that reads an EHLO reply: `send`, `check` and `console` use `EhloInfo`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smtpcheck.protocol.errors import LocalProtocolError
from smtpcheck.protocol.events import Reply


@dataclass(frozen=True, slots=True)
class EhloInfo:
    """What a server announced in its EHLO reply.

    `keywords` maps each upper-cased keyword to its parameters. A keyword advertised on
    several lines gets the union of their parameters, in the order first seen, without
    duplicates (compared case-insensitively): `AUTH PLAIN` + `AUTH LOGIN` gives
    `AUTH: (PLAIN, LOGIN)`. The pre-RFC form `AUTH=LOGIN PLAIN` (old Exchange/Netscape)
    counts as `AUTH` too; `legacy_auth` says it was seen. `auth_mechanisms` is AUTH's
    parameters upper-cased. `lines` keeps the keyword lines exactly as received.
    """

    hostname: str
    greeting: str
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    size: int | None = None
    auth_mechanisms: tuple[str, ...] = ()
    legacy_auth: bool = False
    lines: tuple[str, ...] = ()

    def has(self, keyword: str) -> bool:
        return keyword.upper() in self.keywords

    def params(self, keyword: str) -> tuple[str, ...]:
        """The parameters of `keyword` (empty if absent or without parameters)."""
        return self.keywords.get(keyword.upper(), ())


def _merge(known: tuple[str, ...], more: list[str]) -> tuple[str, ...]:
    seen = {param.upper() for param in known}
    merged = list(known)
    for param in more:
        if param.upper() not in seen:
            seen.add(param.upper())
            merged.append(param)
    return tuple(merged)


def parse_ehlo(reply: Reply) -> EhloInfo:
    """Parse a 2xx reply to EHLO/LHLO; `LocalProtocolError` for any other reply."""
    if not reply.is_success:
        raise LocalProtocolError(f"parse_ehlo needs a 2xx reply, got {reply.code}")
    first = reply.lines[0] if reply.lines else ""
    hostname, _, greeting = first.strip().partition(" ")
    keywords: dict[str, tuple[str, ...]] = {}
    legacy_auth = False
    for line in reply.lines[1:]:
        words = line.split()
        if not words:
            continue
        name, equals, first_param = words[0].partition("=")
        keyword = name.upper()
        params = words[1:]
        if equals:
            # "AUTH=LOGIN PLAIN" (old Microsoft / Netscape form): parameters after "="
            legacy_auth = legacy_auth or keyword == "AUTH"
            params = [first_param, *params] if first_param else params
        keywords[keyword] = _merge(keywords.get(keyword, ()), params)
    size: int | None = None
    size_params = keywords.get("SIZE", ())
    if size_params and size_params[0].isdigit():
        size = int(size_params[0])
    return EhloInfo(
        hostname=hostname,
        greeting=greeting,
        keywords=keywords,
        size=size,
        auth_mechanisms=tuple(mechanism.upper() for mechanism in keywords.get("AUTH", ())),
        legacy_auth=legacy_auth,
        lines=tuple(reply.lines[1:]),
    )
