"""Recover a reply (code, enhanced code, text) from text a user pasted.

Accepts a single line ("550 5.1.1 <kate@fabrikam.com>: ... User unknown"), a multi-line
reply ("550-5.7.1 ..." / "550 5.7.1 ..."), transcript lines with swaks-style markers
("<- 550 ...", "<~ 550 ..."), a bounce sentence that quotes a reply somewhere inside,
or a bare code ("550", "5.1.1").
"""

from __future__ import annotations

import re

from smtpcheck.knowledge.models import ParsedReply

_MARKER = re.compile(r"^\s*(?:<[-~]\s*|<<<\s*|[Ss]:\s*|[Ss]erver:\s*)")
_REPLY_LINE = re.compile(r"^([2-5]\d\d)(?:[ -](.*)|)$")
_ENHANCED_AT_START = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})(?:\s+|$)")
_QUOTED_REPLY = re.compile(r"(?<!\d)([2-5]\d\d)[ -]#?([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
_ENHANCED_ANYWHERE = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])")


def _canonical(enhanced: str) -> str:
    return ".".join(str(int(part)) for part in enhanced.split("."))


def _split_enhanced(text: str) -> tuple[str | None, str]:
    match = _ENHANCED_AT_START.match(text)
    if match is None:
        return None, text
    return _canonical(match.group(1)), text[match.end() :]


def parse_reply_text(raw: str) -> ParsedReply:
    """Parse pasted reply text; fields are None when the text does not contain them."""
    lines = tuple(
        _MARKER.sub("", line).rstrip() for line in raw.strip().splitlines() if line.strip()
    )
    code: int | None = None
    enhanced: str | None = None
    texts: list[str] = []
    for line in lines:
        match = _REPLY_LINE.match(line.strip())
        if match is None:
            texts.append(line.strip())
            continue
        first_reply_line = code is None
        if first_reply_line:
            code = int(match.group(1))
        line_enhanced, line_text = _split_enhanced((match.group(2) or "").strip())
        if first_reply_line:
            enhanced = line_enhanced
        texts.append(line_text)
    if code is None:
        whole = " ".join(line.strip() for line in lines)
        if _ENHANCED_ANYWHERE.fullmatch(whole):
            return ParsedReply(code=None, enhanced=_canonical(whole), text="", lines=lines)
        # Not a reply line: look for a reply quoted inside prose (bounce messages).
        quoted = _QUOTED_REPLY.search(whole)
        if quoted is not None:
            code, enhanced = int(quoted.group(1)), _canonical(quoted.group(2))
        else:
            bare = _ENHANCED_ANYWHERE.search(whole)
            enhanced = _canonical(bare.group(1)) if bare is not None else None
        texts = [whole]
    text = "\n".join(part for part in texts if part)
    return ParsedReply(code=code, enhanced=enhanced, text=text, lines=lines)
