"""What a typed line means: one of the console's own commands, or a line for the server.

The console's words (`open`, `close`, `quit`, `set`, `auth`, `raw`, ...) are recognised
case-insensitively by their first word; everything else is an SMTP line, sent as typed.
`parse_line` is pure, so the engine, the completer and the tests share one reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smtpcheck.hostport import HostPortError, parse_port, split_host_port

#: SMTP verbs offered by completion (RFC 5321 and the common extensions' verbs)
SMTP_VERBS = (
    "EHLO", "HELO", "LHLO", "MAIL FROM:", "RCPT TO:", "DATA", "BDAT", "RSET", "NOOP",
    "VRFY", "EXPN", "HELP", "QUIT", "STARTTLS", "AUTH", "ETRN",
)  # fmt: skip

#: the console's own commands -> one-line synopsis (shown by `help`)
CONSOLE_COMMANDS = (
    "open", "close", "quit", "exit", "set", "unset", "starttls", "auth", "data", "bdat",
    "explain", "raw", "smtp", "status", "help",
)  # fmt: skip

#: settings `set` knows, with the values completion offers
SETTINGS: dict[str, tuple[str, ...]] = {
    "localecho": (),
    "logfile": (),
    "explain": ("on", "off"),
    "timeout": (),
    "lang": ("en", "it"),
    "tls-verify": ("on", "off"),
    "ca-file": (),
    "sni": (),
    "dns": (),
    "raw-wait": (),
}

#: SASL mechanisms the `auth` helper can answer itself
AUTH_HELPER_MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5")


class CommandError(ValueError):
    """A console command with wrong arguments; the message says what is expected."""


@dataclass(frozen=True)
class Open:
    target: str  # a host name, an IP address, or an e-mail address (MX lookup)
    port: int | None = None
    tls: bool = False  # implicit TLS from the first byte


@dataclass(frozen=True)
class Close:
    pass


@dataclass(frozen=True)
class Quit:
    """QUIT to the server when connected; leave the console when not."""


@dataclass(frozen=True)
class Exit:
    pass


@dataclass(frozen=True)
class Set:
    name: str | None = None  # None: show every setting
    value: str | None = None  # None: show (or, for localecho, switch on)
    unset: bool = False


@dataclass(frozen=True)
class StartTls:
    pass


@dataclass(frozen=True)
class AuthHelper:
    mechanism: str | None  # None: the best the server offers among AUTH_HELPER_MECHANISMS


@dataclass(frozen=True)
class Data:
    pass


@dataclass(frozen=True)
class Bdat:
    pass


@dataclass(frozen=True)
class Explain:
    text: str = ""  # empty: the last reply


@dataclass(frozen=True)
class Raw:
    data: bytes | None  # None: switch raw mode on (or off, when `on` is False)
    on: bool = True


@dataclass(frozen=True)
class Status:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class SmtpLine:
    text: str  # sent as typed, CRLF appended


@dataclass(frozen=True)
class Empty:
    pass


Parsed = (
    Open | Close | Quit | Exit | Set | StartTls | AuthHelper | Data | Bdat | Explain | Raw
    | Status | Help | SmtpLine | Empty
)  # fmt: skip

_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|[rnt0\\])")
_SIMPLE_ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\x00", "\\": b"\\"}


def decode_escapes(text: str) -> bytes:
    """`EHLO a\\r\\n` -> b"EHLO a\\r\\n": \\r \\n \\t \\0 \\\\ and \\xHH; nothing appended."""
    out = bytearray()
    position = 0
    while position < len(text):
        backslash = text.find("\\", position)
        if backslash < 0:
            out += text[position:].encode("utf-8")
            break
        out += text[position:backslash].encode("utf-8")
        match = _ESCAPE.match(text, backslash)
        if match is None:
            raise CommandError(
                f"unknown escape {text[backslash : backslash + 2]!r} "
                "(use \\r \\n \\t \\0 \\\\ or \\xHH)"
            )
        code = match[1]
        out += bytes([int(code[1:], 16)]) if code[0] == "x" else _SIMPLE_ESCAPES[code]
        position = match.end()
    return bytes(out)


def show_bytes(data: bytes) -> str:
    """The inverse of `decode_escapes` for display: controls and non-ASCII made visible."""
    out = []
    for byte in data:
        char = chr(byte)
        if char == "\\":
            out.append("\\\\")
        elif char in "\r\n\t":
            out.append({"\r": "\\r", "\n": "\\n", "\t": "\\t"}[char])
        elif byte == 0:
            out.append("\\0")
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    return "".join(out)


def _on_off(value: str) -> bool:
    word = value.strip().lower()
    if word in ("on", "yes", "true", "1"):
        return True
    if word in ("off", "no", "false", "0"):
        return False
    raise CommandError(f"expected on or off, not {value!r}")


def parse_on_off(value: str) -> bool:
    return _on_off(value)


def _parse_port(text: str) -> int:
    try:
        return parse_port(text)
    except HostPortError:
        raise CommandError(f"{text!r} is not a port number (1-65535)") from None


def _parse_open(words: list[str]) -> Open:
    tls = False
    rest = []
    for word in words:
        if word.lower() in ("--tls", "-tls", "tls"):
            tls = True
        else:
            rest.append(word)
    if not rest or len(rest) > 2:
        raise CommandError("usage: open [--tls] HOST [PORT]  or  open [--tls] user@domain")
    target = rest[0]
    port = _parse_port(rest[1]) if len(rest) == 2 else None
    if "@" not in target:
        try:
            target, given = split_host_port(target, 0)  # 0: no port in the text
        except HostPortError as exc:
            raise CommandError(str(exc)) from None
        if given and port is None:
            port = given
    return Open(target, port, tls)


def _parse_auth(arguments: str) -> AuthHelper | SmtpLine | None:
    words = arguments.split()
    if not words:
        return AuthHelper(None)
    if len(words) == 1 and words[0].upper() in AUTH_HELPER_MECHANISMS:
        return AuthHelper(words[0].upper())
    return None  # an initial response, or a mechanism we cannot answer: sent as typed


def parse_line(line: str, *, raw_mode: bool = False) -> Parsed:
    """Classify one typed line (trailing newline already removed)."""
    stripped = line.strip()
    if not stripped:
        return Empty()
    first, _, arguments = stripped.partition(" ")
    word = first.lower()
    arguments = arguments.strip()
    if raw_mode:
        if word == "raw" and arguments.lower() in ("", "off"):
            return Raw(None, on=False)
        return Raw(decode_escapes(line))
    if word in ("open", "o"):
        return _parse_open(arguments.split())
    if word == "close":
        return Close()
    if word == "quit" and not arguments:
        return Quit()
    if word == "exit":
        return Exit()
    if word in ("set", "unset"):
        name, _, value = arguments.partition(" ")
        return Set(name.lower() or None, value.strip() or None, unset=word == "unset")
    if word == "starttls" and not arguments:
        return StartTls()
    if word == "auth":
        auth = _parse_auth(arguments)
        if auth is not None:
            return auth
    if word == "data" and not arguments:
        return Data()
    if word == "bdat" and not arguments:
        return Bdat()
    if word == "explain":
        return Explain(arguments)
    if word == "raw":
        if not arguments or arguments.lower() == "on":
            return Raw(None, on=True)
        if arguments.lower() == "off":
            return Raw(None, on=False)
        return Raw(decode_escapes(line.lstrip()[4:]))
    if word == "smtp":
        if not arguments:
            raise CommandError("usage: smtp LINE  (sends LINE to the server as typed)")
        return SmtpLine(line.lstrip()[5:])
    if word == "status":
        return Status()
    if word in ("help", "?"):
        return Help()
    return SmtpLine(line.strip("\r\n"))


def is_console_command(parsed: Parsed) -> bool:
    """True for the console's own commands (echoed in script mode), False for SMTP."""
    return not isinstance(parsed, SmtpLine | Empty | Raw | Data | StartTls)
