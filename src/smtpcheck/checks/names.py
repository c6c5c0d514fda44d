"""Host-name rules shared by the checks: FQDN syntax, normal form.

RFC 6125 name matching is the verifier's: `net.verify.name_matches`.
"""

from __future__ import annotations

import re

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def is_fqdn(name: str) -> bool:
    """True for a syntactically valid fully qualified host name (two labels or more)."""
    text = name.strip().rstrip(".").lower()
    if not text or len(text) > 253 or "." not in text:
        return False
    labels = text.split(".")
    return all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def normalise(name: str) -> str:
    return name.strip().rstrip(".").lower()
