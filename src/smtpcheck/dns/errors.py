"""The dns layer's exceptions say why by a code and the facts that fill its words.

The words are in `smtpcheck.knowledge.dns.explain_dns_error(code, lang, **facts)`, in
the reader's language; an interface catches a `DnsError` and asks for them. The
exception's own message names the code and the facts, for developers.
"""

from __future__ import annotations


class DnsError(Exception):
    """A dns-layer failure with a stable `code` and the `facts` its text needs."""

    def __init__(self, code: str, **facts: str) -> None:
        self.code = code
        self.facts: dict[str, str] = facts
        details = ", ".join(f"{name}={value!r}" for name, value in facts.items())
        super().__init__(f"{code} ({details})" if details else code)
