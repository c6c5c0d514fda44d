"""Is the message well formed, as Gmail's and Yahoo's rules ask (RFC 5322): one From,
a valid Date, a Message-ID, no repeated single fields, CRLF line endings, lines of at
most 998 bytes, sound MIME, a size receivers take, text beside HTML, and for bulk mail
one-click unsubscribe (RFC 8058).

Pure: each function reads a `ParsedMessage` (and what DKIM found) and returns findings.
`FORMAT_CODES` are the findings that count against the "follows RFC 5322" requirement.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from email.utils import parsedate_to_datetime

from smtpcheck.checks.dmarc import organisational_domain
from smtpcheck.checks.message_parse import ParsedMessage
from smtpcheck.checks.receive_findings import receive_finding
from smtpcheck.knowledge.receive import receive_word
from smtpcheck.report.model import Finding

MAX_LINE = 998  # RFC 5322 §2.1.1, without the CRLF
LARGE_MESSAGE = 10 * 1024 * 1024
#: fields RFC 5322 §3.6 allows at most once
SINGLE_FIELDS: tuple[str, ...] = ("From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Subject")
SINGLE_FIELDS += ("Date", "Message-ID", "In-Reply-To", "References")
_MESSAGE_ID = re.compile(r"<[^<>@\s]+@[^<>@\s]+>\Z")
_PARITY_LOW = 0.3  # text has fewer than 30% of the HTML's words, or more than 1/0.3 times
#: counted against "the message follows RFC 5322"
FORMAT_CODES = frozenset(
    {
        "from-missing", "from-multiple", "from-invalid", "from-several-mailboxes",
        "date-missing", "date-invalid", "message-id-missing", "duplicate-header",
        "bare-lf", "line-too-long",
    }
)  # fmt: skip
ONE_CLICK = "List-Unsubscribe=One-Click"
BULK_PRECEDENCE = ("bulk", "list", "junk")


def count_bare_lf(raw: bytes) -> int:
    """LF bytes not preceded by CR."""
    return raw.count(b"\n") - raw.count(b"\r\n")


def long_lines(raw: bytes) -> tuple[int, int]:
    """(how many lines exceed 998 bytes, the longest line's length)."""
    count = longest = 0
    for line in raw.split(b"\n"):
        length = len(line) - (1 if line.endswith(b"\r") else 0)
        if length > MAX_LINE:
            count += 1
        longest = max(longest, length)
    return count, longest


def check_format(parsed: ParsedMessage, lang: str) -> list[Finding]:
    """RFC 5322 essentials, MIME soundness and size."""
    out: list[Finding] = []
    out += _check_from(parsed, lang)
    out += _check_date(parsed, lang)
    out += _check_message_id(parsed, lang)
    for name in SINGLE_FIELDS:
        count = len(parsed.values(name))
        if count > 1 and name != "From":
            out.append(receive_finding("duplicate-header", lang, name=name, count=count))
    if parsed.first("Subject") is None:
        out.append(receive_finding("subject-missing", lang))
    bare = count_bare_lf(parsed.raw)
    if bare:
        out.append(receive_finding("bare-lf", lang, count=bare))
    too_long, longest = long_lines(parsed.raw)
    if too_long:
        out.append(receive_finding("line-too-long", lang, count=too_long, longest=longest))
    eight_bit = [name for name, value in parsed.fields if not value.isascii()]
    if eight_bit:
        out.append(receive_finding("eight-bit-headers", lang, name=", ".join(eight_bit[:5])))
    out += _check_mime(parsed, lang)
    size = len(parsed.raw)
    code = "message-large" if size > LARGE_MESSAGE else "message-size"
    out.append(receive_finding(code, lang, size=size))
    if not any(f.code in FORMAT_CODES for f in out):
        out.insert(0, receive_finding("message-ok", lang))
    return out


def _check_from(parsed: ParsedMessage, lang: str) -> list[Finding]:
    values = parsed.values("From")
    if not values:
        return [receive_finding("from-missing", lang)]
    if len(values) > 1:
        return [receive_finding("from-multiple", lang, count=len(values))]
    addresses = parsed.from_addresses
    if not addresses or any("@" not in address for address in addresses):
        return [receive_finding("from-invalid", lang, value=values[0])]
    if len(addresses) > 1:
        return [receive_finding("from-several-mailboxes", lang, count=len(addresses))]
    return []


def _check_date(parsed: ParsedMessage, lang: str) -> list[Finding]:
    value = parsed.first("Date")
    if value is None:
        return [receive_finding("date-missing", lang)]
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return [receive_finding("date-invalid", lang, value=value)]
    return []


def _check_message_id(parsed: ParsedMessage, lang: str) -> list[Finding]:
    value = parsed.first("Message-ID")
    if value is None:
        return [receive_finding("message-id-missing", lang)]
    text = value.strip()
    if not _MESSAGE_ID.match(text):
        return [receive_finding("message-id-invalid", lang, value=text)]
    sender = parsed.from_domain
    right = text[1:-1].rpartition("@")[2].lower().rstrip(".")
    if sender and organisational_domain(right) != organisational_domain(sender):
        return [receive_finding("message-id-foreign", lang, value=text, domain=sender)]
    return []


def _check_mime(parsed: ParsedMessage, lang: str) -> list[Finding]:
    out: list[Finding] = []
    content_type = parsed.first("Content-Type")
    if content_type and parsed.first("MIME-Version") is None:
        out.append(
            receive_finding("mime-version-missing", lang, content_type=content_type.split(";")[0])
        )
    tree = parsed.tree
    if tree is None:
        out.append(receive_finding("mime-defect", lang, defects="unparseable"))
        return out
    names: list[str] = []
    try:
        for part in tree.walk():
            for defect in getattr(part, "defects", ()):
                name = type(defect).__name__.removesuffix("Defect")
                if name not in names:
                    names.append(name)
    except Exception:  # a hostile MIME tree: what was found is enough
        names.append("Unreadable")
    if names:
        out.append(receive_finding("mime-defect", lang, defects=", ".join(names[:6])))
    return out


def check_parity(parsed: ParsedMessage, lang: str) -> list[Finding]:
    """HTML needs a text alternative with about the same content."""
    text, html = parsed.text_words, parsed.html_words
    if html is None:
        return []
    if text is None:
        return [receive_finding("html-only", lang)]
    low = min(text, html)
    high = max(text, html)
    if high and low / high < _PARITY_LOW:
        return [receive_finding("text-html-parity", lang, text_words=text, html_words=html)]
    return [receive_finding("text-html-ok", lang)]


def bulk_reason(parsed: ParsedMessage, bulk_flag: bool, lang: str) -> str | None:
    """Why the message counts as bulk mail (the flag, or a header), or None."""
    if bulk_flag:
        return receive_word("text", "bulk_flag", lang)
    for name in ("List-Unsubscribe", "List-Id"):
        if parsed.first(name) is not None:
            return receive_word("text", "bulk_header", lang, name=name)
    precedence = (parsed.first("Precedence") or "").strip().lower()
    if precedence in BULK_PRECEDENCE:
        return receive_word("text", "bulk_header", lang, name=f"Precedence: {precedence}")
    return None


def check_unsubscribe(
    parsed: ParsedMessage, is_bulk: bool, signed_fields: Collection[str], lang: str
) -> list[Finding]:
    """RFC 8058 one-click unsubscribe, for bulk mail. `signed_fields`: the header names
    (lower case) covered by a DKIM signature that verified."""
    value = parsed.first("List-Unsubscribe")
    if value is None:
        return [receive_finding("unsubscribe-missing", lang)] if is_bulk else []
    uris = re.findall(r"<([^<>]*)>", value)
    https = [uri for uri in uris if uri.lower().startswith("https://")]
    out: list[Finding] = []
    if not https:
        out.append(receive_finding("unsubscribe-no-https", lang, value=value))
    post = parsed.first("List-Unsubscribe-Post")
    if post is None:
        out.append(receive_finding("unsubscribe-post-missing", lang))
    elif post.strip() != ONE_CLICK:
        out.append(receive_finding("unsubscribe-post-invalid", lang, value=post))
    signed = {name.lower() for name in signed_fields}
    if not {"list-unsubscribe", "list-unsubscribe-post"} <= signed and post is not None:
        out.append(receive_finding("unsubscribe-not-signed", lang))
    if not out:
        out.append(receive_finding("unsubscribe-ok", lang, uri=https[0]))
    return out
