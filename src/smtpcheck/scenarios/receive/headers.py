"""Session facts read back from a delivered message's headers (`--from-headers`): the
client address and HELO name from the Received field the receiving server added, MAIL
FROM from Return-Path, TLS from the Received field's TLS note.

The Received field chosen is the newest whose `from` clause names a public address
(the receiver's own internal hops name private ones), else the newest with any address.
What the headers do not tell (protocol mistakes, often TLS) is reported as unchecked.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from smtpcheck.checks.message_parse import ParsedMessage
from smtpcheck.scenarios.receive.facts import SessionFacts

MAX_RECEIVED = 30
_FROM = re.compile(r"^\s*from\s+(\S+)", re.I)
_BRACKETED = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")
_PARENTHESISED = re.compile(r"\(\s*(?:[^()\s]+\s+)?\(?([0-9]{1,3}(?:\.[0-9]{1,3}){3})\)?")
_POSTFIX_TLS = re.compile(r"using\s+(TLSv[0-9.]+|SSLv[0-9])\s+with\s+cipher\s+([A-Za-z0-9_-]+)")
_GOOGLE_TLS = re.compile(r"version=(TLS[0-9_.v]+)[\s,]+cipher=([A-Za-z0-9_-]+)")
_WITH = re.compile(r"\bwith\s+([A-Za-z0-9]+)", re.I)
#: RFC 3848 protocol types: with TLS, and without
_TLS_TYPES = {"ESMTPS", "ESMTPSA", "UTF8SMTPS", "UTF8SMTPSA", "LMTPS", "LMTPSA"}
_CLEAR_TYPES = {"SMTP", "ESMTP", "ESMTPA", "UTF8SMTP", "UTF8SMTPA", "LMTP", "LMTPA"}


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def received_client(value: str) -> tuple[str | None, str | None]:
    """(client address, HELO name) of one Received field, from its `from` clause."""
    clause = re.split(r"\s+by\s+", value, maxsplit=1, flags=re.I)[0]
    match = _FROM.match(clause)
    helo = match.group(1).strip("()") if match else None
    for pattern in (_BRACKETED, _PARENTHESISED):
        for found in pattern.finditer(clause):
            ip = _address(found.group(1))
            if ip is not None:
                return ip, helo
    return None, helo


def received_tls(value: str) -> dict[str, str] | bool | None:
    """The TLS facts a Received field records: {version, cipher}; True (TLS, details
    unknown: "with ESMTPS"); False ("with ESMTP": none); None (nothing said)."""
    for pattern in (_POSTFIX_TLS, _GOOGLE_TLS):
        found = pattern.search(value)
        if found:
            version = found.group(1).replace("_", ".").replace("TLS1", "TLSv1")
            return {"version": version, "cipher": found.group(2)}
    with_clause = _WITH.search(value)
    protocol = with_clause.group(1).upper() if with_clause else ""
    if protocol in _TLS_TYPES:
        return True
    if protocol in _CLEAR_TYPES:
        return False
    return None


def facts_from_headers(parsed: ParsedMessage) -> tuple[SessionFacts, str | None]:
    """The session facts the headers give, and the Received field they came from."""
    received: Sequence[str] = parsed.values("Received")[:MAX_RECEIVED]
    chosen: tuple[str, str | None, str] | None = None
    for value in received:
        ip, helo = received_client(value)
        if ip is None:
            continue
        if ipaddress.ip_address(ip).is_global:
            chosen = (ip, helo, value)
            break
        if chosen is None:
            chosen = (ip, helo, value)
    return_path = parsed.first("Return-Path")
    mail_from = None
    if return_path is not None:
        mail_from = return_path.strip().strip("<>").strip()
    if chosen is None:
        return SessionFacts(mail_from=mail_from, source="headers"), None
    ip, helo, value = chosen
    tls = received_tls(value)
    return (
        SessionFacts(
            client_ip=ip,
            helo=helo,
            mail_from=mail_from,
            tls=tls
            if isinstance(tls, dict)
            else ({"version": "?", "cipher": "?"} if tls else None),
            tls_known=tls is not None,
            source="headers",
        ),
        value,
    )
