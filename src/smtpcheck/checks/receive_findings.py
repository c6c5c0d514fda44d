"""What every check of `smtpcheck receive` shares: its finding codes with their fixed
status, and `receive_finding()` to build one from the catalogue
(`knowledge/data/<lang>/receive.toml`).

As for the posture findings (`checks.posture_findings`), a code always has the same
status, and facts that came from a peer (the message, DNS, the client) are made
terminal-safe and bounded (`quote`) before they go into a message.
"""

from __future__ import annotations

from collections.abc import Mapping

from smtpcheck.checks.posture_findings import quote
from smtpcheck.knowledge.receive import receive_text
from smtpcheck.report.model import Finding, Status
from smtpcheck.report.visible import visible

F, W, P, N = Status.FAIL, Status.WARN, Status.PASS, Status.INFO  # N: a note (info)

CODES: dict[str, Status] = {
    # ---- the connecting client
    "client-address": N,
    "ptr-ok": P,
    "ptr-missing": F,
    "ptr-not-confirmed": F,
    "ptr-lookup-failed": W,
    "ptr-generic": W,
    "helo-ok": P,
    "helo-same-domain": P,
    "helo-mismatch": W,
    "helo-not-fqdn": W,
    "helo-address-literal": W,
    "helo-does-not-resolve": W,
    "helo-missing": F,
    "tls-used": P,
    "tls-not-used": F,
    "tls-outdated": W,
    "tls-unknown": N,
    "smtp-anomaly": W,
    "session-unknown": N,
    "from-headers-facts": N,
    "receiver-results": N,
    # ---- SPF (RFC 7208)
    "spf-pass": P,
    "spf-fail": F,
    "spf-softfail": W,
    "spf-neutral": W,
    "spf-none": F,
    "spf-permerror": F,
    "spf-temperror": W,
    "spf-null-sender": N,
    "spf-helo-pass": P,
    "spf-helo-other": N,
    "spf-no-domain": W,
    # ---- DKIM (RFC 6376, RFC 8301)
    "dkim-none": F,
    "dkim-pass": P,
    "dkim-fail": F,
    "dkim-key-missing": F,
    "dkim-key-dns-failed": W,
    "dkim-malformed": F,
    "dkim-from-not-signed": F,
    "dkim-length-limit": W,
    "dkim-key-weak": W,
    "dkim-sha1": F,
    "dkim-simple-headers": N,
    "dkim-unsigned-important": W,
    "dkim-testing": W,
    # ---- DMARC (RFC 7489)
    "dmarc-pass": P,
    "dmarc-fail": F,
    "dmarc-none": F,
    "dmarc-invalid": F,
    "dmarc-temperror": W,
    "dmarc-no-from-domain": F,
    "dmarc-spf-aligned": P,
    "dmarc-spf-unaligned": N,
    "dmarc-dkim-aligned": P,
    "dmarc-dkim-unaligned": N,
    "dmarc-policy-weak": W,
    # ---- ARC (RFC 8617)
    "arc-pass": P,
    "arc-fail": W,
    # ---- DNS blocklists
    "dnsbl-listed": F,
    "dnsbl-clean": P,
    "dnsbl-refused": W,
    "dnsbl-lookup-failed": W,
    "dnsbl-private-address": N,
    # ---- the message (RFC 5322, RFC 2045, RFC 8058)
    "message-ok": P,
    "from-missing": F,
    "from-multiple": F,
    "from-invalid": F,
    "from-several-mailboxes": F,
    "date-missing": F,
    "date-invalid": F,
    "message-id-missing": F,
    "message-id-invalid": W,
    "message-id-foreign": N,
    "duplicate-header": F,
    "subject-missing": W,
    "bare-lf": F,
    "line-too-long": F,
    "mime-defect": W,
    "mime-version-missing": W,
    "eight-bit-headers": W,
    "message-size": N,
    "message-large": W,
    "html-only": W,
    "text-html-parity": W,
    "text-html-ok": P,
    "bulk-detected": N,
    "unsubscribe-ok": P,
    "unsubscribe-missing": F,
    "unsubscribe-no-https": F,
    "unsubscribe-post-missing": F,
    "unsubscribe-post-invalid": F,
    "unsubscribe-not-signed": W,
    "authentication-results": N,
    # ---- the sender requirements (Gmail/Yahoo 2024, Microsoft 2025)
    "requirement-met": P,
    "requirement-missed": F,
    "requirement-missed-if-bulk": W,
    "requirement-not-checkable": N,
    "requirement-unknown": N,
}


#: longest text of our own making (a fix, a generated header) put into a message
MAX_TEXT_LENGTH = 2000


def receive_finding(
    code: str,
    lang: str,
    /,
    *,
    subject: str | None = None,
    texts: Mapping[str, str] | None = None,
    **facts: object,
) -> Finding:
    """The finding `code` (status from `CODES`) with its message and fix in `lang`.

    `facts` came from a peer: each is escaped and cut short (`quote`). `texts` are of
    our own making (a requirement's fix, the generated Authentication-Results): escaped,
    but kept whole up to `MAX_TEXT_LENGTH`.
    """
    status = CODES[code]
    safe = {name: quote(value) for name, value in facts.items()}
    for name, text in (texts or {}).items():
        safe[name] = visible(text)[:MAX_TEXT_LENGTH]
    message = receive_text(code, "message", lang, **safe)
    if message is None:
        raise KeyError(f"no text for receive finding {code!r}")
    fix = receive_text(code, "fix", lang, **safe)
    return Finding(status=status, code=code, message=message, fix=fix, subject=subject)
