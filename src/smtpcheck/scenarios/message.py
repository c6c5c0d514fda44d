"""Building the test message that `send` transmits after DATA.

A default message names smtpcheck and the time, so it can be found in a mailbox. The
user can replace all of it (`--data`: text, `@file` or `-` for standard input), only the
body (`--body`), or set headers (`--header "Name: value"` replaces a header of that name
or adds one). Line endings are left to the protocol layer, which normalises to CRLF.
"""

from __future__ import annotations

import sys
import time
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate

from smtpcheck import __version__


class MessageSourceError(ValueError):
    """A `@file` could not be read."""


def read_source(value: str) -> bytes:
    """Text as given (with `\\n` escapes turned into newlines), `@file`, or `-` (stdin)."""
    if value == "-":
        return sys.stdin.buffer.read()
    if value.startswith("@"):
        try:
            with open(value[1:], "rb") as handle:
                return handle.read()
        except OSError as exc:
            raise MessageSourceError(f"cannot read {value[1:]}: {exc.strerror}") from None
    return value.replace("\\n", "\n").encode("utf-8")


@dataclass
class MessageSpec:
    """What the user said about the message."""

    sender: str
    recipients: list[str]
    data: str | None = None
    body: str | None = None
    headers: list[str] = field(default_factory=list)
    helo_name: str = "localhost"


def default_body() -> bytes:
    return (
        b"This is a test message sent by smtpcheck.\n"
        b"If you can read it, mail from this sender to this recipient was accepted.\n"
    )


def build_message(spec: MessageSpec, now: float | None = None) -> bytes:
    """The complete message (headers and body) as bytes with LF line ends."""
    if spec.data is not None:
        message = read_source(spec.data)
        return _apply_headers(message, spec.headers) if spec.headers else message
    stamp = time.time() if now is None else now
    domain = spec.sender.rpartition("@")[2] or spec.helo_name
    headers = [
        f"Date: {formatdate(stamp, localtime=True)}",
        f"To: {', '.join(spec.recipients)}",
        f"From: {spec.sender or 'MAILER-DAEMON'}",
        f"Subject: smtpcheck test {formatdate(stamp, localtime=True)}",
        f"Message-Id: <{uuid.uuid4().hex}@{domain}>",
        f"X-Mailer: smtpcheck {__version__}",
    ]
    body = read_source(spec.body) if spec.body is not None else default_body()
    message = ("\n".join(headers) + "\n\n").encode("utf-8") + body
    return _apply_headers(message, spec.headers) if spec.headers else message


def _apply_headers(message: bytes, overrides: list[str]) -> bytes:
    """Replace headers of the same name (all their continuation lines too) or add them."""
    head, sep, body = message.replace(b"\r\n", b"\n").partition(b"\n\n")
    if not sep:  # no body: the whole thing is headers
        head, body = message.rstrip(b"\n"), b""
    lines = head.split(b"\n") if head else []
    for override in overrides:
        name = override.split(":", 1)[0].strip().encode().lower()
        kept: list[bytes] = []
        skipping = False
        for line in lines:
            if line[:1] in (b" ", b"\t") and skipping:
                continue
            skipping = line.split(b":", 1)[0].strip().lower() == name
            if not skipping:
                kept.append(line)
        kept.append(override.encode("utf-8"))
        lines = kept
    return b"\n".join(lines) + b"\n\n" + body
