"""One captured message taken apart for the browser: header fields, the text and HTML
bodies, the attachments. Everything here is peer input: bounded, never trusted, and
rendered escaped (text) or sandboxed (HTML) by the pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage, Message

from smtpcheck.checks.message_parse import parse_message
from smtpcheck.sink.store import decode_mime_words

MAX_BODY = 1024 * 1024  # characters of a text or HTML body shown
MAX_PARTS = 500


@dataclass(frozen=True)
class Attachment:
    index: int  # position among the message's leaf parts (the download URL uses it)
    filename: str
    content_type: str
    size: int


@dataclass
class MessageView:
    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str | None = None
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)


def _leaves(tree: Message) -> list[Message]:
    try:
        return [part for part in tree.walk() if not part.is_multipart()][:MAX_PARTS]
    except Exception:  # the stdlib's walk over a hostile tree
        return []


def _payload(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return b""
    return payload if isinstance(payload, bytes) else b""


def _text(part: Message) -> str:
    try:
        if isinstance(part, EmailMessage):
            content = part.get_content()
            if isinstance(content, str):
                return content[:MAX_BODY]
    except (LookupError, ValueError, AssertionError, TypeError):
        pass  # an unknown charset or a broken encoding: the bytes as UTF-8
    return _payload(part)[:MAX_BODY].decode("utf-8", "replace")


def view_message(raw: bytes) -> MessageView:
    """Take the message apart; never raises for what it contains."""
    parsed = parse_message(raw)
    view = MessageView(headers=[(n, decode_mime_words(v) or "") for n, v in parsed.fields])
    if parsed.tree is None:
        view.text = raw[:MAX_BODY].decode("utf-8", "replace")
        return view
    for index, part in enumerate(_leaves(parsed.tree)):
        kind = part.get_content_type()
        attached = part.get_content_disposition() == "attachment" or part.get_filename()
        if not attached and kind == "text/plain" and view.text is None:
            view.text = _text(part)
        elif not attached and kind == "text/html" and view.html is None:
            view.html = _text(part)
        else:
            name = part.get_filename() or f"part-{index + 1}"
            view.attachments.append(Attachment(index, name, kind, len(_payload(part))))
    return view


def part_bytes(raw: bytes, index: int) -> tuple[str, bytes] | None:
    """(file name, decoded bytes) of leaf part `index`, or None."""
    tree = parse_message(raw).tree
    if tree is None:
        return None
    leaves = _leaves(tree)
    if not 0 <= index < len(leaves):
        return None
    part = leaves[index]
    return part.get_filename() or f"part-{index + 1}", _payload(part)
