"""Turn what a user typed (a domain, an address, an IDN) into a DNS name to look up.

Accepted: `fabrikam.com`, `fabrikam.com.` (a trailing dot), `kate@fabrikam.com` and
`<kate@fabrikam.com>` (the domain of an address), and internationalized names such as
`bücher.example`, converted to their ASCII (punycode) form with dnspython's IDNA codec.
Anything else raises `InvalidDomainError` with a code saying why.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import dns.exception
import dns.name

from smtpcheck.dns.errors import DnsError

# Letters, digits and hyphens (RFC 1123), plus "_" which real zones use (_dmarc, _mta-sts).
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")

_IDNA_CODEC: dns.name.IDNACodec = (
    dns.name.IDNA_2008_Practical if dns.name.have_idna_2008 else dns.name.IDNA_2003
)


class InvalidDomainError(DnsError, ValueError):
    """The text is not a usable domain name.

    `code` says why (e.g. "empty_label") and `facts` fill its text (`text` is what the
    user typed): `smtpcheck.knowledge.dns.explain_dns_error` says it in words.
    """

    def __init__(self, code: str, text: str, **facts: str) -> None:
        super().__init__(code, text=text, **facts)


@dataclass(frozen=True)
class DomainName:
    """A domain ready for lookups: `ascii` (lower case, punycode, no trailing dot) and
    `display` (the Unicode form, for people)."""

    ascii: str
    display: str

    def to_dns(self) -> dns.name.Name:
        """The absolute dnspython name (so no search list is ever applied)."""
        return dns.name.from_text(self.ascii + ".")


def parse_domain(text: str) -> DomainName:
    """Parse a domain or an e-mail address into the domain to look up."""
    original = text
    candidate = text.strip()
    if candidate.startswith("<") and candidate.endswith(">"):
        candidate = candidate[1:-1].strip()
    if "@" in candidate:
        local_part, _, candidate = candidate.rpartition("@")
        if not local_part:
            raise InvalidDomainError("nothing_before_at", original)
    if not candidate:
        raise InvalidDomainError("empty", original)
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in candidate):
        raise InvalidDomainError("control_character", original)
    if candidate.endswith("."):
        candidate = candidate[:-1]
    if not candidate:
        raise InvalidDomainError("root", original)
    if candidate.startswith("[") or _is_ip(candidate):
        raise InvalidDomainError("ip_address", original)
    try:
        name = dns.name.from_unicode(candidate + ".", idna_codec=_IDNA_CODEC)
    except dns.name.EmptyLabel:
        raise InvalidDomainError("empty_label", original) from None
    except (dns.name.LabelTooLong, dns.name.NameTooLong):
        raise InvalidDomainError("too_long", original) from None
    except (dns.exception.DNSException, UnicodeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InvalidDomainError("idna", original, reason=reason) from None
    ascii_form = name.to_text(omit_final_dot=True).lower()
    for label in ascii_form.split("."):
        if not _LABEL.match(label):
            raise InvalidDomainError("label_characters", original, label=label)
    try:
        display = name.to_unicode(omit_final_dot=True, idna_codec=_IDNA_CODEC)
    except (dns.exception.DNSException, UnicodeError):
        display = ascii_form
    return DomainName(ascii=ascii_form, display=display.lower())


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
