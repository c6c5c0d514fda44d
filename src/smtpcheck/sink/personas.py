"""Personas: the greeting, EHLO list and reply texts of a known server, as data.

A persona changes only what the sink *says*; what it does (store everything, never
relay) stays the same. Reply templates are `"CODE text"` strings (several lines
separated by "\n") with these fields filled in by the session:
`{hostname}`, `{client_ip}`, `{helo}`, `{date}` (RFC 5322 date, day not padded, as
Exchange prints it), `{id}` (the stored message id), `{uuid}`, `{internal_id}`,
`{size}` (bytes), `{detail}`, `{rcpt}`.

EHLO keyword lines are filled the same way; the session drops `STARTTLS` when TLS is
unavailable and `AUTH ...` when AUTH is off, except for personas whose list is `fixed`
(a reproduction must match its model line for line). Once TLS is on, `STARTTLS` and
`X-ANONYMOUSTLS` are dropped for every persona, as the real servers do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

DEFAULT_REPLIES: dict[str, str] = {
    "banner": "220 {hostname} ESMTP smtpcheck sink ready",
    "ehlo": "{hostname} greets {helo}",
    "helo": "250 {hostname}",
    "lhlo": "{hostname} greets {helo}",
    "mail_ok": "250 2.1.0 Sender OK",
    "rcpt_ok": "250 2.1.5 Recipient OK",
    "data_go": "354 End data with <CR><LF>.<CR><LF>",
    "eod_ok": "250 2.0.0 Ok: queued as {id}",
    "lmtp_rcpt_ok": "250 2.1.5 <{rcpt}> delivered as {id}",
    "bdat_ok": "250 2.0.0 Ok: {size} bytes",
    "quit": "221 2.0.0 Bye",
    "rset": "250 2.0.0 Ok",
    "noop": "250 2.0.0 Ok",
    "vrfy": "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery",
    "unknown": "500 5.5.2 Error: command not recognized",
    "not_implemented": "502 5.5.1 Error: command not implemented",
    "syntax": "501 5.5.4 Syntax error: {detail}",
    "bad_sequence": "503 5.5.1 Error: {detail}",
    "param": "555 5.5.4 Unsupported option: {detail}",
    "too_many_rcpts": "452 4.5.3 Error: too many recipients",
    "size_declared": "552 5.3.4 Message size exceeds fixed limit",
    "size_data": "552 5.3.4 Error: message file too big",
    "line_too_long": "500 5.5.2 Error: line too long",
    "starttls_go": "220 2.0.0 Ready to start TLS",
    "tls_unavailable": "454 4.7.0 TLS not available due to local problem",
    "tls_required": "530 5.7.0 Must issue a STARTTLS command first",
    "auth_ok": "235 2.7.0 Authentication successful",
    "auth_failed": "535 5.7.8 Error: authentication failed",
    "auth_mechanism": "504 5.5.4 Unrecognized authentication type",
    "auth_cancelled": "501 5.7.0 Authentication aborted",
    "too_many_connections": "421 4.7.0 {hostname} Error: too many connections",
    "timeout": "421 4.4.2 {hostname} Error: timeout exceeded",
    "too_many_errors": "421 4.7.0 {hostname} Error: too many errors",
    "storage_failed": "451 4.3.0 Error: queue file write error",
    "shutdown": "421 4.3.2 {hostname} Service shutting down",
    "greylisted": "451 4.7.1 Greylisted, please try again later",
}

DEFAULT_KEYWORDS: tuple[str, ...] = (
    "PIPELINING",
    "SIZE {size}",
    "8BITMIME",
    "SMTPUTF8",
    "DSN",
    "ENHANCEDSTATUSCODES",
    "CHUNKING",
    "STARTTLS",
    "AUTH PLAIN LOGIN",
)


@dataclass(frozen=True)
class Persona:
    """What a server says: banner, EHLO keywords, reply texts; `fixed` keeps the list as is."""

    name: str
    description: str
    keywords: tuple[str, ...]
    replies: MappingProxyType[str, str]
    size: int | None = None  # the SIZE this server advertises (overrides the default limit)
    fixed: bool = False

    def reply(self, key: str, fields: Mapping[str, Any] | None = None, **extra: Any) -> str:
        """The filled template for `key` ("CODE text", possibly several lines)."""
        template = self.replies.get(key) or DEFAULT_REPLIES[key]
        if "{" not in template:
            return template
        return template.format_map(_Defaulting(fields if fields is not None else {}, extra))


class _Defaulting(dict[str, Any]):
    """Fields for a template; unknown ones become "" (after the lazy ones were tried)."""

    def __init__(self, fields: Mapping[str, Any], extra: dict[str, Any]) -> None:
        super().__init__(extra)
        self.fields = fields

    def __missing__(self, key: str) -> Any:
        try:
            return self.fields[key]  # a lazy mapping computes date/uuid here
        except KeyError:
            return ""


def _persona(
    name: str,
    description: str,
    keywords: tuple[str, ...],
    replies: dict[str, str],
    size: int | None = None,
    fixed: bool = False,
) -> Persona:
    merged = dict(DEFAULT_REPLIES)
    merged.update(replies)
    return Persona(name, description, keywords, MappingProxyType(merged), size, fixed)


# Microsoft Exchange: the sample session of the seed article, line for line.
EXCHANGE = _persona(
    "exchange",
    "Microsoft Exchange Server (the seed article's sample session)",
    keywords=(
        "SIZE 37748736",
        "PIPELINING",
        "DSN",
        "ENHANCEDSTATUSCODES",
        "STARTTLS",
        "X-ANONYMOUSTLS",
        "AUTH NTLM",
        "X-EXPS GSSAPI NTLM",
        "8BITMIME",
        "BINARYMIME",
        "CHUNKING",
        "XRDST",
    ),
    replies={
        "banner": "220 {hostname} Microsoft ESMTP MAIL Service ready at {date}",
        "ehlo": "{hostname} Hello [{client_ip}]",
        "helo": "250 {hostname} Hello [{client_ip}]",
        "mail_ok": "250 2.1.0 Sender OK",
        "rcpt_ok": "250 2.1.5 Recipient OK",
        "data_go": "354 Start mail input; end with <CRLF>.<CRLF>",
        "eod_ok": "250 2.6.0 <{uuid}@{hostname}> [InternalId={internal_id}, "
        "Hostname={hostname}] Queued mail for delivery",
        "bdat_ok": "250 2.6.0 CHUNK received OK, {size} octets",
        "quit": "221 2.0.0 Service closing transmission channel",
        "rset": "250 2.0.0 Resetting",
        "noop": "250 2.0.0 OK",
        "unknown": "500 5.3.3 Unrecognized command",
        "syntax": "501 5.5.4 Invalid arguments",
        "bad_sequence": "503 5.5.2 Send hello first",
        "too_many_rcpts": "452 4.5.3 Too many recipients",
        "size_declared": "552 5.3.4 Message size exceeds fixed maximum message size",
        "size_data": "552 5.3.4 Message size exceeds fixed maximum message size",
        "starttls_go": "220 2.0.0 SMTP server ready",
        "auth_mechanism": "504 5.7.4 Unrecognized authentication type",
        "auth_failed": "535 5.7.3 Authentication unsuccessful",
        "auth_ok": "235 2.7.0 Authentication successful",
        "timeout": "451 4.7.0 Timeout waiting for client input",
        "greylisted": "451 4.7.0 Temporary server error. Please try again later",
    },
    size=37748736,
    fixed=True,
)

# Postfix 3.7 as Debian ships it (smtpd defaults).
POSTFIX = _persona(
    "postfix",
    "Postfix smtpd (Debian defaults)",
    keywords=(
        "PIPELINING",
        "SIZE {size}",
        "VRFY",
        "ETRN",
        "STARTTLS",
        "AUTH PLAIN LOGIN",
        "ENHANCEDSTATUSCODES",
        "8BITMIME",
        "DSN",
        "SMTPUTF8",
        "CHUNKING",
    ),
    replies={
        "banner": "220 {hostname} ESMTP Postfix (Debian/GNU)",
        "ehlo": "{hostname}",
        "helo": "250 {hostname}",
        "mail_ok": "250 2.1.0 Ok",
        "rcpt_ok": "250 2.1.5 Ok",
        "data_go": "354 End data with <CR><LF>.<CR><LF>",
        "eod_ok": "250 2.0.0 Ok: queued as {id}",
        "bdat_ok": "250 2.0.0 Ok: {size} bytes",
        "quit": "221 2.0.0 Bye",
        "rset": "250 2.0.0 Ok",
        "noop": "250 2.0.0 Ok",
        "unknown": "502 5.5.2 Error: command not recognized",
        "syntax": "501 5.5.4 Syntax: {detail}",
        "bad_sequence": "503 5.5.1 Error: {detail}",
        "too_many_rcpts": "452 4.5.3 Error: too many recipients",
        "size_declared": "552 5.3.4 Message size exceeds fixed limit",
        "size_data": "552 5.3.4 Error: message file too big",
        "starttls_go": "220 2.0.0 Ready to start TLS",
        "too_many_connections": "421 4.7.0 {hostname} Error: too many connections from {client_ip}",
        "timeout": "421 4.4.2 {hostname} Error: timeout exceeded",
        "greylisted": "450 4.7.1 <{rcpt}>: Recipient address rejected: Greylisted",
    },
    size=10240000,
)

SMTPCHECK = _persona("smtpcheck", "smtpcheck's own sink", DEFAULT_KEYWORDS, {})

PERSONAS: dict[str, Persona] = {p.name: p for p in (SMTPCHECK, EXCHANGE, POSTFIX)}


def get_persona(name: str) -> Persona:
    """The persona called `name`; KeyError lists the known ones."""
    try:
        return PERSONAS[name.lower()]
    except KeyError:
        raise KeyError(f"unknown persona {name!r} (known: {', '.join(PERSONAS)})") from None


def exchange_date(timestamp: float) -> str:
    """`Fri, 5 Aug 2016 16:24:41 -0700`: Exchange's banner date (day not zero-padded)."""
    import time

    tm = time.localtime(timestamp)
    offset = tm.tm_gmtoff // 60
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    return (
        time.strftime("%a, ", tm)
        + str(tm.tm_mday)
        + time.strftime(" %b %Y %H:%M:%S", tm)
        + f" {sign}{hours:02d}{minutes:02d}"
    )
