"""Host-name rules shared by the checks: FQDN syntax and RFC 6125 name matching."""

from __future__ import annotations

import ipaddress
import re

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def is_fqdn(name: str) -> bool:
    """True for a syntactically valid fully qualified host name (two labels or more)."""
    text = name.strip().rstrip(".").lower()
    if not text or len(text) > 253 or "." not in text:
        return False
    labels = text.split(".")
    return all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def normalise(name: str) -> str:
    return name.strip().rstrip(".").lower()


def name_matches(pattern: str, host: str) -> bool:
    """RFC 6125 §6.4: exact match, or a wildcard that is the whole leftmost label.

    `*.example.com` matches `mx.example.com` but not `example.com`, `a.b.example.com`
    or anything when the wildcard would cover a public suffix of one label (`*.com`).
    Partial-label wildcards (`m*.example.com`) are not honoured, as most MTAs do not.
    """
    pattern, host = normalise(pattern), normalise(host)
    if not pattern or not host:
        return False
    if is_ip(pattern) or is_ip(host):
        try:
            return ipaddress.ip_address(pattern.strip("[]")) == ipaddress.ip_address(
                host.strip("[]")
            )
        except ValueError:
            return False
    if not pattern.startswith("*."):
        return pattern == host
    suffix = pattern[2:]
    if "*" in suffix or suffix.count(".") < 1:
        return False
    first, _, rest = host.partition(".")
    return bool(first) and rest == suffix
