"""The greeting: a 220 reply, an FQDN in it, and how long the server made us wait.

A late greeting is often deliberate (Postfix postscreen's greet pause, Exchange's
tarpit, Sendmail's greet_pause): spam software that talks before the greeting gives
itself away. Senders wait up to five minutes (RFC 5321 §4.5.3.2), so a slow greeting is
reported as information, never as an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from smtpcheck.checks import make_finding
from smtpcheck.checks.names import is_fqdn
from smtpcheck.report.model import Finding, Status

#: a greeting later than this is called out (tarpitting, greet pause)
SLOW_GREETING_S = 5.0


def banner_host(lines: Sequence[str]) -> str:
    """The first word of the greeting: the name the server gives itself."""
    words = lines[0].split() if lines else []
    return words[0] if words else ""


def check_banner(
    code: int, lines: Sequence[str], elapsed_s: float, lang: str, *, subject: str | None = None
) -> list[Finding]:
    """Findings about the greeting reply `code`/`lines` that took `elapsed_s` to arrive."""
    text = " ".join(lines[:1])
    if code != 220:
        status = Status.WARN if code // 100 == 4 else Status.FAIL
        return [make_finding(status, "banner-refused", lang, subject=subject, code=code, text=text)]
    out: list[Finding] = []
    host = banner_host(lines)
    if is_fqdn(host):
        out.append(make_finding(Status.PASS, "banner-ok", lang, subject=subject, host=host))
    else:
        out.append(
            make_finding(Status.WARN, "banner-no-fqdn", lang, subject=subject, host=host or "-")
        )
    if elapsed_s >= SLOW_GREETING_S:
        out.append(
            make_finding(
                Status.INFO, "banner-slow", lang, subject=subject, seconds=f"{elapsed_s:.1f}"
            )
        )
    return out
