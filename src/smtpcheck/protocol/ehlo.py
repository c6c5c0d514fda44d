"""Parse the reply to EHLO / LHLO into the server's name and its extension keywords."""

from __future__ import annotations

from dataclasses import dataclass, field

from smtpcheck.protocol.errors import LocalProtocolError
from smtpcheck.protocol.events import Reply


@dataclass(frozen=True, slots=True)
class EhloInfo:
    """What a server announced in its EHLO reply.

    `keywords` maps each upper-cased keyword to its parameters, in the order sent (the
    first occurrence wins if a keyword repeats). The pre-RFC form `AUTH=PLAIN LOGIN`
    counts as `AUTH` when no standard `AUTH` line is present; `legacy_auth` says it was
    seen. `auth_mechanisms` merges both forms, upper-cased, without duplicates.
    """

    hostname: str
    greeting: str
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    size: int | None = None
    auth_mechanisms: tuple[str, ...] = ()
    legacy_auth: bool = False

    def has(self, keyword: str) -> bool:
        return keyword.upper() in self.keywords

    def params(self, keyword: str) -> tuple[str, ...]:
        """The parameters of `keyword` (empty if absent or without parameters)."""
        return self.keywords.get(keyword.upper(), ())


def parse_ehlo(reply: Reply) -> EhloInfo:
    """Parse a 2xx reply to EHLO/LHLO; `LocalProtocolError` for any other reply."""
    if not reply.is_success:
        raise LocalProtocolError(f"parse_ehlo needs a 2xx reply, got {reply.code}")
    first = reply.lines[0] if reply.lines else ""
    hostname, _, greeting = first.strip().partition(" ")
    keywords: dict[str, tuple[str, ...]] = {}
    legacy: dict[str, tuple[str, ...]] = {}
    for line in reply.lines[1:]:
        words = line.split()
        if not words:
            continue
        keyword = words[0].upper()
        params = tuple(words[1:])
        if "=" in keyword:
            # "AUTH=PLAIN LOGIN" (old Microsoft / Netscape form): mechanisms after "="
            base, _, first_param = keyword.partition("=")
            legacy.setdefault(base, (first_param, *params) if first_param else params)
            continue
        keywords.setdefault(keyword, params)
    for base, params in legacy.items():
        keywords.setdefault(base, params)
    size: int | None = None
    size_params = keywords.get("SIZE", ())
    if size_params and size_params[0].isdigit():
        size = int(size_params[0])
    mechanisms: list[str] = []
    for mechanism in (*keywords.get("AUTH", ()), *legacy.get("AUTH", ())):
        upper = mechanism.upper()
        if upper not in mechanisms:
            mechanisms.append(upper)
    return EhloInfo(
        hostname=hostname,
        greeting=greeting,
        keywords=keywords,
        size=size,
        auth_mechanisms=tuple(mechanisms),
        legacy_auth="AUTH" in legacy,
    )
