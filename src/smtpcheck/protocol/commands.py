"""Validating builders for client commands.

Every builder refuses CR, LF and NUL in what it is given (`LocalProtocolError`), so user
input can never smuggle a second command onto the wire. `raw()` is the explicit escape
hatch: it sends the line as typed. ESMTP parameters are given as a dict
(`{"SIZE": 1234, "SMTPUTF8": None}`) or a list (`["BODY=8BITMIME", ("NOTIFY", "NEVER")]`).
ENVID and ORCPT values must already be xtext (RFC 3461): encode them with `xtext()`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from smtpcheck.protocol.errors import LocalProtocolError
from smtpcheck.protocol.events import Command

__all__ = [
    "Command",
    "Params",
    "auth",
    "auth_response",
    "bdat",
    "data",
    "ehlo",
    "expn",
    "format_params",
    "helo",
    "help",
    "lhlo",
    "mail",
    "noop",
    "quit",
    "raw",
    "rcpt",
    "rset",
    "starttls",
    "vrfy",
    "xtext",
    "xtext_decode",
]

ParamValue = str | int | None
Params = Mapping[str, ParamValue] | Sequence[str | tuple[str, ParamValue]]

_FORBIDDEN = re.compile(r"[\r\n\0]")
# Patterns for parameters and AUTH are compiled on first use (re's own cache keeps
# them): most commands have neither, and each compile costs start-up time.
_KEYWORD = r"[A-Za-z0-9][A-Za-z0-9-]*\Z"
_MECHANISM = r"[A-Za-z0-9_-]{1,20}\Z"
#: RFC 5321 esmtp-value (plus UTF-8 for SMTPUTF8): no space, no "=", no controls
_VALUE = r"[^\x00-\x20=\x7f]+\Z"
_XTEXT = r"(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})*\Z"
#: parameters whose value RFC 3461 defines as xtext
XTEXT_PARAMS = frozenset({"ENVID", "ORCPT"})


def _check(what: str, value: str) -> str:
    match = _FORBIDDEN.search(value)
    if match is not None:
        raise LocalProtocolError(
            f"{what} contains {match[0]!r} (CR, LF and NUL would inject commands): {value!r}"
        )
    return value


def _check_name(what: str, name: str) -> str:
    _check(what, name)
    if not name or any(ch.isspace() for ch in name):
        raise LocalProtocolError(f"{what} must be one non-empty word: {name!r}")
    return name


def xtext(text: str) -> str:
    """Encode `text` as RFC 3461 xtext ("+", "=", controls, space, 8-bit -> +HH)."""
    out = []
    for byte in text.encode("utf-8"):
        if 0x21 <= byte <= 0x7E and byte not in (0x2B, 0x3D):
            out.append(chr(byte))
        else:
            out.append(f"+{byte:02X}")
    return "".join(out)


def xtext_decode(text: str) -> str:
    """Decode RFC 3461 xtext; raises `ValueError` on a malformed `+HH`."""
    if re.match(_XTEXT, text) is None:
        raise ValueError(f"not valid xtext: {text!r}")
    return (
        re.sub(r"\+([0-9A-F]{2})", lambda m: chr(int(m[1], 16)), text)
        .encode("latin-1")
        .decode("utf-8", "replace")
    )


def _param_items(params: Params | None) -> list[tuple[str, ParamValue]]:
    if params is None:
        return []
    if isinstance(params, Mapping):
        return list(params.items())
    items: list[tuple[str, ParamValue]] = []
    for item in params:
        if isinstance(item, str):
            keyword, equals, value = item.partition("=")
            items.append((keyword, value if equals else None))
        else:
            items.append(item)
    return items


def format_params(params: Params | None) -> str:
    """ESMTP parameters as they go on the wire: `SIZE=100 SMTPUTF8`."""
    words = []
    for keyword, value in _param_items(params):
        if re.match(_KEYWORD, keyword) is None:
            raise LocalProtocolError(f"invalid ESMTP parameter keyword: {keyword!r}")
        if value is None:
            words.append(keyword.upper())
            continue
        text = str(value)
        _check(f"parameter {keyword}", text)
        if re.match(_VALUE, text) is None:
            raise LocalProtocolError(
                f"invalid value for {keyword.upper()} (no spaces, '=' or controls): {text!r}"
            )
        if keyword.upper() in XTEXT_PARAMS and re.match(_XTEXT, text) is None:
            raise LocalProtocolError(
                f"{keyword.upper()} must be xtext (RFC 3461): pass xtext({text!r})"
            )
        words.append(f"{keyword.upper()}={text}")
    return " ".join(words)


def _path(what: str, address: str) -> str:
    _check(what, address)
    if "<" in address or ">" in address:
        raise LocalProtocolError(f"{what} must be given without angle brackets: {address!r}")
    return f"<{address}>"


def _with_params(head: str, params: Params | None) -> str:
    formatted = format_params(params)
    return f"{head} {formatted}" if formatted else head


def ehlo(name: str) -> Command:
    return Command("EHLO", _check_name("EHLO name", name))


def helo(name: str) -> Command:
    return Command("HELO", _check_name("HELO name", name))


def lhlo(name: str) -> Command:
    return Command("LHLO", _check_name("LHLO name", name))


def mail(address: str, params: Params | None = None) -> Command:
    """`MAIL FROM:<address> params`; `mail("")` is the null sender `<>`."""
    return Command("MAIL", _with_params("FROM:" + _path("sender", address), params))


def rcpt(address: str, params: Params | None = None) -> Command:
    if not address:
        raise LocalProtocolError("a recipient address cannot be empty")
    return Command("RCPT", _with_params("TO:" + _path("recipient", address), params))


def data() -> Command:
    return Command("DATA")


def bdat(size: int, last: bool = False) -> Command:
    """The BDAT command line only; `ClientConnection.send_bdat` adds the chunk."""
    if size < 0:
        raise LocalProtocolError(f"BDAT size cannot be negative: {size}")
    return Command("BDAT", f"{size} LAST" if last else str(size))


def rset() -> Command:
    return Command("RSET")


def noop(argument: str = "") -> Command:
    return Command("NOOP", _check("NOOP argument", argument))


def quit() -> Command:
    return Command("QUIT")


def starttls() -> Command:
    return Command("STARTTLS")


def auth(mechanism: str, initial_response: str | None = None) -> Command:
    """`AUTH mechanism [initial-response]`; the response is base64 already ("=" if empty)."""
    if re.match(_MECHANISM, mechanism) is None:
        raise LocalProtocolError(f"invalid SASL mechanism name: {mechanism!r}")
    argument = mechanism.upper()
    if initial_response is not None:
        _check_name("AUTH initial response", initial_response or "=")
        argument += " " + (initial_response or "=")
    return Command("AUTH", argument, secret=True)


def auth_response(text: str) -> Command:
    """One line answering a 334 challenge (base64, or `*` to cancel)."""
    return Command("", _check("AUTH response", text), secret=True)


def vrfy(argument: str) -> Command:
    return Command("VRFY", _check("VRFY argument", argument))


def expn(argument: str) -> Command:
    return Command("EXPN", _check("EXPN argument", argument))


def help(argument: str = "") -> Command:
    return Command("HELP", _check("HELP argument", argument))


def raw(line: str | bytes) -> Command:
    """Send `line` exactly as given (CRLF appended unless it ends with LF): no checks."""
    text = line.decode("utf-8", "surrogateescape") if isinstance(line, bytes) else line
    verb, _, argument = text.strip().partition(" ")
    return Command(verb.upper(), argument, line=text)
