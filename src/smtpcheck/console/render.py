"""Styled lines for the console: transcript entries, TLS summaries, explanations.

The engine produces `Styled` lines (a style name and plain text); the front ends paint
them with ANSI colours on a terminal, and the log file gets the same text unpainted.
Markers follow swaks and `report.live`: ` -> ` sent, `<-  ` received, `~>`/`<~` under
TLS, `=== ` notes, `*** ` errors; raw bytes sent in raw mode are marked `!-> ` (`!~> `)
and shown with visible escapes. Replies are coloured by class (2xx, 3xx, 4xx, 5xx).

A banner, a reply, a certificate name or an EHLO keyword comes from a server we do not
trust: `paint` passes every line through `report.visible.visible()`, so no control
byte (ESC, OSC, BEL, NUL, a bare CR...) reaches the terminal or the log file, whatever
line it came in.
"""

from __future__ import annotations

from typing import NamedTuple

from smtpcheck.console.commands import show_bytes
from smtpcheck.knowledge.models import Explanation as Knowledge
from smtpcheck.net.handshake import TlsInfo
from smtpcheck.report.live import marker
from smtpcheck.report.model import Explanation
from smtpcheck.report.visible import visible, visible_bytes
from smtpcheck.transcript_entry import Direction, Entry


class Styled(NamedTuple):
    style: str  # a key of ANSI
    text: str


RESET = "\033[0m"
ANSI = {
    "sent": "\033[36m",
    "raw": "\033[1;35m",
    "reply2": "\033[32m",
    "reply3": "\033[1;34m",
    "reply4": "\033[33m",
    "reply5": "\033[1;31m",
    "reply?": "\033[31m",
    "meaning": "\033[2;3m",
    "note": "\033[2m",
    "error": "\033[1;31m",
    "info": "",
    "echo": "\033[1m",
    "heading": "\033[1m",
}


def paint(lines: list[Styled], colour: bool) -> str:
    """The lines as terminal text, each ending with a newline; controls made visible."""
    out = []
    for style, text in lines:
        code = ANSI.get(style, "") if colour else ""
        shown = visible(text)
        out.append(f"{code}{shown}{RESET}" if code else shown)
    return "".join(line + "\n" for line in out)


def _reply_style(data: bytes) -> str:
    head = data[:1]
    return f"reply{head.decode()}" if head in (b"2", b"3", b"4", b"5") else "reply?"


def entry_lines(entry: Entry, *, raw: bool = False, explain: bool = True) -> list[Styled]:
    """What the console shows for one transcript entry."""
    if entry.direction is Direction.SENT and raw:
        prefix = "!~> " if entry.tls else "!-> "
        return [Styled("raw", prefix + show_bytes(entry.data))]
    chunks = entry.data.split(b"\n")
    if len(chunks) > 1 and chunks[-1] == b"":
        chunks.pop()
    lines = [visible_bytes(chunk.removesuffix(b"\r")) for chunk in chunks]
    prefix = marker(entry)
    if entry.direction is Direction.SENT:
        return [Styled("sent", prefix + line) for line in lines]
    if entry.direction is Direction.RECEIVED:
        style = "reply5" if entry.unexpected and not entry.data[:1].isdigit() else None
        style = style or _reply_style(entry.data)
        out = [Styled(style, prefix + line) for line in lines]
        if explain and entry.annotation:
            out.append(Styled("meaning", f"    ({entry.annotation})"))
        return out
    style = "note" if entry.direction is Direction.NOTE else "error"
    return [Styled(style, prefix + line) for line in lines]


def tls_lines(info: TlsInfo, verdict: str, labels: dict[str, str]) -> list[Styled]:
    """The TLS summary after a handshake: what was negotiated and what was presented."""
    out = [Styled("note", f"=== {labels['tls']}: {info.version}, {info.cipher} ({info.bits} bits)")]
    if info.chain:
        leaf = info.chain[0]
        out.append(Styled("note", f"=== {labels['subject']}: {leaf.subject}"))
        if leaf.names:
            out.append(Styled("note", f"=== {labels['names']}: {', '.join(leaf.names)}"))
        out.append(Styled("note", f"=== {labels['issuer']}: {leaf.issuer}"))
        out.append(Styled("note", f"=== {labels['expires']}: {leaf.not_after}"))
    style = "note" if verdict == "ok" else "error"
    shown = labels["verified"] if verdict == "ok" else f"{labels['not_verified']}: {verdict}"
    out.append(Styled(style, f"{'===' if verdict == 'ok' else '***'} {shown}"))
    return out


def explanation_lines(
    known: Knowledge, failure: Explanation | None, labels: dict[str, str]
) -> list[Styled]:
    """The full reading of one reply: meanings, then causes and fixes when it failed."""
    out = [Styled("heading", known.summary)]
    out.append(Styled("info", f"  {known.code}: {known.code_meaning}"))
    out.append(Styled("info", f"  {known.class_meaning}"))
    out.append(Styled("info", f"  {known.category_meaning}"))
    if known.enhanced and known.enhanced_meaning:
        out.append(Styled("info", f"  {known.enhanced}: {known.enhanced_meaning}"))
    if failure is not None:
        if failure.causes:
            out.append(Styled("heading", labels["causes"]))
            out += [Styled("info", f"  - {cause}") for cause in failure.causes]
        if failure.fixes:
            out.append(Styled("heading", labels["fixes"]))
            out += [Styled("info", f"  - {fix}") for fix in failure.fixes]
        if failure.next:
            out.append(Styled("info", f"  {failure.next}"))
    elif known.outcome in ("transient", "permanent") and known.retry_advice:
        out.append(Styled("info", f"  {known.retry_advice}"))
    return out
