"""What the replies to MAIL FROM and the RCPT TO probes say about the server.

- the recipient under test: accepted, deferred (greylisting, a full mailbox) or refused;
- `postmaster@` must be accepted (RFC 5321 §4.5.1);
- a random local part should be refused at RCPT; accepting it means a catch-all or
  recipient checks after the data (which turns into backscatter);
- a recipient in a foreign domain must be refused: a 2xx there means the server *may*
  be an open relay. It is only a "may": some servers accept everything at RCPT and
  discard or bounce later, so the finding says how to confirm.
"""

from __future__ import annotations

import secrets

from smtpcheck.checks import make_finding
from smtpcheck.report.model import Finding, Status

DEFAULT_RELAY_RECIPIENT = "smtpcheck-relay-test@example.com"
RANDOM_PREFIX = "smtpcheck-nosuchuser-"


def random_local_part() -> str:
    """A local part no real mailbox has (recognisable in the server's logs)."""
    return RANDOM_PREFIX + secrets.token_hex(5)


def check_mail_from(
    code: int, text: str, sender: str, lang: str, *, subject: str | None = None
) -> Finding:
    shown = sender or "<>"
    if code // 100 == 2:
        return make_finding(Status.PASS, "mail-accepted", lang, subject=subject, sender=shown)
    status = Status.WARN if code // 100 == 4 else Status.FAIL
    return make_finding(
        status, "mail-refused", lang, subject=subject, sender=shown, code=code, text=text
    )


def check_recipient(
    code: int, text: str, recipient: str, lang: str, *, subject: str | None = None
) -> Finding:
    if code // 100 == 2:
        return make_finding(
            Status.PASS, "rcpt-accepted", lang, subject=subject, recipient=recipient
        )
    if code // 100 == 4:
        return make_finding(
            Status.WARN,
            "rcpt-deferred",
            lang,
            subject=subject,
            recipient=recipient,
            code=code,
            text=text,
        )
    return make_finding(
        Status.FAIL,
        "rcpt-refused",
        lang,
        subject=subject,
        recipient=recipient,
        code=code,
        text=text,
    )


def check_postmaster(
    code: int, recipient: str, lang: str, *, subject: str | None = None
) -> Finding:
    if code // 100 == 2:
        return make_finding(
            Status.PASS, "postmaster-ok", lang, subject=subject, recipient=recipient
        )
    return make_finding(
        Status.WARN, "postmaster-refused", lang, subject=subject, recipient=recipient, code=code
    )


def check_random_recipient(
    code: int, recipient: str, lang: str, *, subject: str | None = None
) -> Finding:
    if code // 100 == 5:
        return make_finding(
            Status.PASS, "random-refused", lang, subject=subject, recipient=recipient
        )
    if code // 100 == 4:
        return make_finding(
            Status.INFO, "random-deferred", lang, subject=subject, recipient=recipient, code=code
        )
    return make_finding(Status.WARN, "catch-all", lang, subject=subject, recipient=recipient)


def check_relay(code: int, recipient: str, lang: str, *, subject: str | None = None) -> Finding:
    if code // 100 in (4, 5):
        return make_finding(
            Status.PASS, "relay-refused", lang, subject=subject, recipient=recipient, code=code
        )
    return make_finding(
        Status.WARN, "maybe-open-relay", lang, subject=subject, recipient=recipient, code=code
    )
