"""The `tag=value; tag=value` syntax that DKIM key records (RFC 6376 §3.2), DMARC
(RFC 7489 §6.4), MTA-STS TXT records (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3) share.

`parse_tag_list()` never raises: records are peer input. It keeps the tags in order
(a dict keeps the first value of a repeated tag, and names the repeat), and says what
was not a tag at all. Tag names are compared case-sensitively, as RFC 6376 says;
callers lower-case values where their RFC makes them case-insensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: records longer than this are not parsed (DNS TXT data tops out near 64 KiB anyway)
MAX_RECORD_LENGTH = 8192

_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_FWS = " \t\r\n"


@dataclass
class TagList:
    """A parsed tag list: `tags` in order, repeated tag names, and the parts that were
    not `name=value` (each quoted as found)."""

    tags: dict[str, str] = field(default_factory=dict)
    repeated: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)

    @property
    def first(self) -> str | None:
        """The first tag's name (version tags must come first)."""
        return next(iter(self.tags), None)

    @property
    def valid(self) -> bool:
        return not self.repeated and not self.malformed


def parse_tag_list(text: str) -> TagList:
    """Split `text` into tags; an empty part (a trailing `;`) is allowed."""
    result = TagList()
    if len(text) > MAX_RECORD_LENGTH:
        result.malformed.append(text[:40])
        return result
    for part in text.split(";"):
        stripped = part.strip(_FWS)
        if not stripped:
            continue
        name, equals, value = stripped.partition("=")
        name = name.strip(_FWS)
        if not equals or not _TAG_NAME.match(name):
            result.malformed.append(stripped)
            continue
        if name in result.tags:
            result.repeated.append(name)
            continue
        result.tags[name] = value.strip(_FWS)
    return result
