"""A received message taken apart for the checks of `smtpcheck receive`: its header
fields exactly as sent (unfolded, in order), the parsed MIME tree, the From address and
domain, the text and HTML bodies as words, and the domains its links point to.

Everything here is peer input and bounded: at most `MAX_HEADER_FIELDS` fields are kept,
undecodable bytes are replaced, and nothing raises on a malformed message (the parser's
own defects are kept for `checks.message_format`).
"""

from __future__ import annotations

import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

MAX_HEADER_FIELDS = 1000
#: text read from one body part for words and links (the rest is not looked at)
MAX_PART_TEXT = 1024 * 1024
MAX_LINK_DOMAINS = 20

_URL = re.compile(
    r"\bhttps?://([A-Za-z0-9.-]+\.[A-Za-z]{2,63})(?::\d+)?(?:[/?#][^\s<>\"']*)?", re.I
)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class ParsedMessage:
    """What the checks read from a message (see the module docstring)."""

    raw: bytes
    fields: list[tuple[str, str]] = field(default_factory=list)
    tree: Message | None = None
    header_bytes: bytes = b""
    text_words: int | None = None
    html_words: int | None = None
    link_domains: list[str] = field(default_factory=list)

    def values(self, name: str) -> list[str]:
        """Every value of the header field `name` (case-insensitive), in order."""
        wanted = name.lower()
        return [value for field_name, value in self.fields if field_name.lower() == wanted]

    def first(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None

    @property
    def from_addresses(self) -> list[str]:
        """The addr-specs of the (first) From field, as written."""
        value = self.first("From")
        if value is None:
            return []
        return [address for _, address in getaddresses([value]) if address]

    @property
    def from_domain(self) -> str | None:
        """The domain of the single From address, lower-cased; None when there is not
        exactly one address with a domain."""
        addresses = self.from_addresses
        if len(self.values("From")) != 1 or len(addresses) != 1 or "@" not in addresses[0]:
            return None
        domain = addresses[0].rpartition("@")[2].strip().strip(".").lower()
        return domain or None


def split_header_block(raw: bytes) -> tuple[bytes, list[tuple[str, str]]]:
    """The header block (up to the first empty line) and its fields, unfolded, in order.

    Lines may end in CRLF or a bare LF (a fault reported elsewhere). A line that is
    neither a field nor a continuation ends the header block, as for receivers.
    """
    fields: list[tuple[str, str]] = []
    position = 0
    end = len(raw)
    while position < end and len(fields) <= MAX_HEADER_FIELDS:
        newline = raw.find(b"\n", position)
        line_end = end if newline < 0 else newline + 1
        line = raw[position:line_end].rstrip(b"\r\n")
        if not line:
            position = line_end
            break
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + " " + _decode(line).strip())
        elif b":" in line:
            raw_name, _, raw_value = line.partition(b":")
            if not raw_name.strip() or len(fields) == MAX_HEADER_FIELDS:
                break
            fields.append((_decode(raw_name).strip(), _decode(raw_value).strip()))
        else:
            break
        position = line_end
    return raw[:position], fields


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


class _HtmlText(HTMLParser):
    """Words and link targets of an HTML body (script and style skipped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words = 0
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.words += len(_WORD.findall(data))


def _part_text(part: Message) -> str:
    try:
        if isinstance(part, EmailMessage):
            content = part.get_content()
            if isinstance(content, str):
                return content[:MAX_PART_TEXT]
    except (LookupError, ValueError, AssertionError, TypeError):
        pass  # an unknown charset or a broken encoding: fall back to the bytes
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload[:MAX_PART_TEXT].decode("utf-8", "replace")
    return ""


def parse_message(raw: bytes) -> ParsedMessage:
    """Take `raw` apart; never raises for what the message contains."""
    header_bytes, fields = split_header_block(raw)
    parsed = ParsedMessage(raw=raw, fields=fields, header_bytes=header_bytes)
    try:
        tree = BytesParser(policy=email.policy.default).parsebytes(raw)
    except Exception:  # the stdlib parser on hostile input: keep what we have
        return parsed
    parsed.tree = tree
    links: list[str] = []
    text_words = html_words = 0
    has_text = has_html = False
    try:
        parts = list(tree.walk())
    except Exception:
        parts = []
    for part in parts[:500]:
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            text = _part_text(part)
            has_text = True
            text_words += len(_WORD.findall(_URL.sub(" ", text)))
            links += [match.group(0) for match in _URL.finditer(text)]
        elif kind == "text/html":
            has_html = True
            reader = _HtmlText()
            try:
                reader.feed(_part_text(part))
                reader.close()
            except Exception:  # html.parser on hostile markup
                pass
            html_words += reader.words
            links += reader.links
    parsed.text_words = text_words if has_text else None
    parsed.html_words = html_words if has_html else None
    parsed.link_domains = _domains(links)
    return parsed


def _domains(links: list[str]) -> list[str]:
    out: list[str] = []
    for link in links:
        match = _URL.match(link.strip())
        if match is None:
            continue
        domain = match.group(1).lower().strip(".")
        if domain not in out:
            out.append(domain)
        if len(out) >= MAX_LINK_DOMAINS:
            break
    return out
