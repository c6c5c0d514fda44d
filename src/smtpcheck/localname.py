"""This machine's name as an SMTP peer shows it, found without asking DNS.

`socket.getfqdn()` does a reverse lookup through the system resolver, which may send a
query off the machine (and hang on a machine without network): smtpcheck never calls
it. The name comes from the host name alone: kept when it already has a dot, a short
name + `.localdomain` (as /etc/hosts spells it on many systems), and `fallback` when
the host name is no valid DNS name (or an address).
"""

from __future__ import annotations

import re
import socket

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def local_fqdn(name: str | None = None, *, fallback: str = "localhost.localdomain") -> str:
    """A fully qualified name for this machine (`name` overrides the host name, for tests)."""
    text = (socket.gethostname() if name is None else name).strip().rstrip(".").lower()
    labels = text.split(".")
    if not text or len(text) > 240 or not all(_LABEL.match(label) for label in labels):
        return fallback
    if labels[-1].isdigit():  # an address, not a name
        return fallback
    return text if len(labels) > 1 else f"{text}.localdomain"
