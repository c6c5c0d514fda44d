"""Building the test message that `send` transmits after DATA.

A default message names smtpcheck and the time, so it can be found in a mailbox. The
user can replace all of it (`--data`: text, `@file` or `-` for standard input), only the
body (`--body`), set headers (`--header "Name: value"` replaces a header of that name
or adds one; `--add-header` always adds). `--data` may use swaks' tokens
(`%FROM_ADDRESS%`, `%TO_ADDRESS%`, `%CC_ADDRESS%`, `%BCC_ADDRESS%`, `%DATE%`,
`%MESSAGEID%`, `%SWAKS_VERSION%`, `%NEW_HEADERS%`, `%BODY%`, `%NEWLINE%`). Attachments
(`--attach`) make a multipart/mixed message with a charset on the text part and a
Content-ID on inline parts. Line endings are left to the protocol layer, which
normalises to CRLF.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from smtpcheck import __version__
from smtpcheck.scenarios.send.sources import read_source

if TYPE_CHECKING:
    from smtpcheck.scenarios.send.mime import Attachment


@dataclass
class MessageSpec:
    """What the user said about the message."""

    sender: str
    recipients: list[str]
    data: str | None = None
    body: str | None = None
    headers: list[str] = field(default_factory=list)
    helo_name: str = "localhost"
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    add_headers: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    fixup: bool = True  # tokens, From_ stripping (the protocol layer stuffs and ends)
    strip_from: bool = True


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(stamp: float) -> str:
    """An RFC 5322 date in local time, as `email.utils.formatdate(stamp, localtime=True)`
    writes it ("Tue, 03 Mar 2026 14:05:09 +0100"), without importing `email.utils`, which
    would bring urllib, ipaddress, random and the email charset machinery into every
    `send` for one header (tests/unit/test_message_date.py holds the two together)."""
    local = datetime.fromtimestamp(stamp, UTC).astimezone()
    return (
        f"{_DAYS[local.weekday()]}, {local.day:02d} {_MONTHS[local.month - 1]} "
        f"{local.year:04d} {local.hour:02d}:{local.minute:02d}:{local.second:02d} "
        f"{local.strftime('%z')}"
    )


def default_body() -> bytes:
    return (
        b"This is a test message sent by smtpcheck.\n"
        b"If you can read it, mail from this sender to this recipient was accepted.\n"
    )


DEFAULT_TEMPLATE = (
    "Date: %DATE%\n"
    "To: %TO_ADDRESS%\n"
    "%CC_HEADER%"
    "From: %FROM_ADDRESS%\n"
    "Subject: smtpcheck test %DATE%\n"
    "Message-Id: <%MESSAGEID%>\n"
    "X-Mailer: smtpcheck %SWAKS_VERSION%\n"
    "%NEW_HEADERS%\n"
    "%BODY%"
)


def build_message(spec: MessageSpec, now: float | None = None) -> bytes:
    """The complete message (headers and body) as bytes with LF line ends."""
    if spec.data is not None and not spec.fixup:
        return read_source(spec.data)  # --no-data-fixup: exactly as given
    stamp = time.time() if now is None else now
    domain = spec.sender.rpartition("@")[2] or spec.helo_name
    body = read_source(spec.body) if spec.body is not None else default_body()
    if spec.attachments:
        from smtpcheck.scenarios.send.mime import build_mime  # only with attachments

        mime_headers, body = build_mime(body, spec.attachments)
    else:
        mime_headers = []
    tokens = {
        b"%FROM_ADDRESS%": (spec.sender or "MAILER-DAEMON").encode(),
        b"%TO_ADDRESS%": ", ".join(spec.recipients).encode(),
        b"%CC_ADDRESS%": ", ".join(spec.cc).encode(),
        b"%BCC_ADDRESS%": ", ".join(spec.bcc).encode(),
        b"%CC_HEADER%": f"Cc: {', '.join(spec.cc)}\n".encode() if spec.cc else b"",
        b"%DATE%": format_date(stamp).encode(),
        b"%MESSAGEID%": f"{uuid.uuid4().hex}@{domain}".encode(),
        b"%SWAKS_VERSION%": __version__.encode(),
        b"%NEWLINE%": b"\n",
    }
    new_headers = [*mime_headers, *spec.add_headers, *spec.headers]
    template = read_source(spec.data) if spec.data is not None else DEFAULT_TEMPLATE.encode()
    if spec.strip_from and template.startswith(b"From "):
        template = template.split(b"\n", 1)[1] if b"\n" in template else b""
    has_new = b"%NEW_HEADERS%" in template
    message = template
    for token, value in tokens.items():
        message = message.replace(token, value)
    if has_new:
        joined = "".join(h + "\n" for h in new_headers if h not in spec.headers).encode()
        # as in swaks: the token alone is replaced; the newline after it stays (in the
        # default template it is the blank line that ends the header section)
        message = message.replace(b"%NEW_HEADERS%", joined)
        message = message.replace(b"%BODY%", body)
        return _apply_headers(message, spec.headers) if spec.headers else message
    message = message.replace(b"%BODY%", body)
    extra = [*mime_headers, *spec.add_headers]
    if extra:
        message = _insert_headers(message, extra)
    return _apply_headers(message, spec.headers) if spec.headers else message


def _insert_headers(message: bytes, headers: list[str]) -> bytes:
    head, sep, body = message.replace(b"\r\n", b"\n").partition(b"\n\n")
    added = b"\n".join(h.encode("utf-8") for h in headers)
    if not sep:
        return head.rstrip(b"\n") + b"\n" + added + b"\n\n"
    return head + b"\n" + added + b"\n\n" + body


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
