"""Attachments for the test message: `--attach`, `--attach-inline` and `--attach-body`
make a multipart message (multipart/mixed, or multipart/alternative for extra bodies)
laid out as swaks lays it out, with a charset on text parts and a Content-ID on inline
parts. Loaded only when a message has attachments (`scenarios.send.message` calls it).
"""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass

from smtpcheck.scenarios.send.sources import read_source


@dataclass
class Attachment:
    """One `--attach` (or `--attach-body` / inline part)."""

    source: str  # @file, -, or literal text
    content_type: str | None = None
    name: str | None = None
    inline: bool = False
    body: bool = False  # an alternative body part (--attach-body)


def _text_part(body: bytes, subtype: str = "plain") -> bytes:
    charset = "us-ascii" if body.isascii() else "utf-8"
    encoding = "7bit" if body.isascii() else "8bit"
    return (
        f"Content-Type: text/{subtype}; charset={charset}\n"
        f"Content-Transfer-Encoding: {encoding}\n\n"
    ).encode() + body


def _b64_lines(data: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + b"\n"


def _attachment_part(item: Attachment, index: int) -> bytes:
    data = read_source(item.source)
    name = item.name
    if name is None and item.source.startswith("@"):
        name = os.path.basename(item.source[1:])
    content_type = item.content_type
    if content_type is None:
        import mimetypes  # only when attaching

        guessed = mimetypes.guess_type(name or "")[0] if name else None
        content_type = guessed or "application/octet-stream"
    if content_type.startswith("text/") and "charset" not in content_type:
        content_type += "; charset=" + ("us-ascii" if data.isascii() else "utf-8")
    disposition = "inline" if item.inline else "attachment"
    lines = [f"Content-Type: {content_type}" + (f'; name="{name}"' if name else "")]
    lines.append(f"Content-Disposition: {disposition}" + (f'; filename="{name}"' if name else ""))
    if item.inline:
        lines.append(f"Content-ID: <part{index}.{uuid.uuid4().hex[:12]}@smtpcheck>")
    lines.append("Content-Transfer-Encoding: base64")
    return ("\n".join(lines) + "\n\n").encode() + _b64_lines(data)


def _multipart(subtype: str, parts: list[bytes]) -> tuple[str, bytes]:
    boundary = f"----=_smtpcheck_{uuid.uuid4().hex}"
    out = b"This is a multi-part message in MIME format.\n\n"
    for part in parts:
        out += f"--{boundary}\n".encode() + part.rstrip(b"\n") + b"\n\n"
    out += f"--{boundary}--\n".encode()
    return f'multipart/{subtype}; boundary="{boundary}"', out


def build_mime(body: bytes, attachments: list[Attachment]) -> tuple[list[str], bytes]:
    """(headers to add, new body): the text body plus attachments, as swaks lays it out."""
    alternatives = [a for a in attachments if a.body]
    files = [a for a in attachments if not a.body]
    first: bytes = _text_part(body)
    if alternatives:
        parts = [first]
        for alt in alternatives:
            subtype = (alt.content_type or "text/plain").split("/", 1)[-1].split(";")[0]
            parts.append(_text_part(read_source(alt.source), subtype))
        content_type, alt_body = _multipart("alternative", parts)
        first = f"Content-Type: {content_type}\n\n".encode() + alt_body
    if not files:
        content_type, rest = _multipart("alternative", [first]) if not alternatives else ("", b"")
        if alternatives:
            head, _, rest = first.partition(b"\n\n")
            return ["MIME-Version: 1.0", head.decode()], rest
        return ["MIME-Version: 1.0", f"Content-Type: {content_type}"], rest
    parts = [first] + [_attachment_part(a, i) for i, a in enumerate(files, 1)]
    content_type, mixed = _multipart("mixed", parts)
    return ["MIME-Version: 1.0", f"Content-Type: {content_type}"], mixed
