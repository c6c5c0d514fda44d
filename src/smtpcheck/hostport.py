"""Parsing `host[:port]` the way every smtpcheck option writes it.

One parser for `--server` (send, check), `--listen` (sink), `--dns` and the console's
`open`: a name or IPv4 address with an optional `:port`, an IPv6 address in brackets
(`[::1]:25`), a bare IPv6 address (`::1`, no port possible), and, where swaks accepts it,
`host/port`. Callers wrap HostPortError in their own error, keeping its `kind` or text.
"""

from __future__ import annotations

from typing import Literal

HostPortProblem = Literal["missing_bracket", "port_after_bracket", "empty_port", "bad_port"]


class HostPortError(ValueError):
    """The text is not `host[:port]`; the message says why, in one line."""

    def __init__(self, message: str, kind: HostPortProblem) -> None:
        super().__init__(message)
        self.kind: HostPortProblem = kind


def split_host_port(
    text: str, default_port: int, *, allow_slash: bool = False, allow_port_zero: bool = False
) -> tuple[str, int]:
    """Split `text` into (host, port); the host may come back empty for `:port`."""
    value = text.strip()
    host, port_text = value, ""
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            raise HostPortError(f"{text!r}: missing ']' after the IPv6 address", "missing_bracket")
        host, rest = value[1:end], value[end + 1 :]
        if rest:
            separators = ":/" if allow_slash else ":"
            if rest[0] not in separators:
                raise HostPortError(f"{text!r}: expected ':port' after ']'", "port_after_bracket")
            if len(rest) == 1:
                raise HostPortError(f"{text!r}: empty port after {rest!r}", "empty_port")
            port_text = rest[1:]
    elif allow_slash and "/" in value:
        host, _, port_text = value.rpartition("/")
        if not port_text:
            raise HostPortError(f"{text!r}: empty port after '/'", "empty_port")
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
        if not port_text:
            raise HostPortError(f"{text!r}: empty port after ':'", "empty_port")
    if not port_text:
        return host, default_port
    return host, parse_port(port_text, text, allow_zero=allow_port_zero)


def parse_port(port_text: str, context: str = "", *, allow_zero: bool = False) -> int:
    """A port number 1-65535 (0 too when `allow_zero`: "pick a free port")."""
    low = 0 if allow_zero else 1
    if not port_text.isdigit() or not low <= int(port_text) <= 65535:
        where = f"{context!r}: " if context else ""
        raise HostPortError(
            f"{where}port must be a number from {low} to 65535, not {port_text!r}", "bad_port"
        )
    return int(port_text)
