"""The server's certificate, judged from the chain it presented (no second handshake).

The TLS handshake runs without verification, so that one connection shows everything;
this module then has `net.verify` verify the captured chain and reports each problem as
its own finding: trust (and why not: self-signed, missing intermediate, unknown issuer),
validity dates, the name against the MX host (RFC 6125), the key and the signature
algorithm. Trust is judged at a moment when every presented
certificate is valid and against a name the certificate holds, so an expired or
misnamed certificate is not also reported as "untrusted" for the same reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.x509.oid import NameOID

from smtpcheck.checks import make_finding
from smtpcheck.net.verify import Verification, common_names, san_names, verify_chain
from smtpcheck.report.model import Finding, Status

#: fewer days left than this is a warning (renewals usually happen 30 days ahead)
EXPIRY_WARNING_DAYS = 21
_WEAK_HASHES = ("md5", "sha1")


def _valid_moment(chain: Sequence[x509.Certificate], now: datetime.datetime) -> datetime.datetime:
    """`now` if every certificate is valid now, else a moment when all are (if any)."""
    start = max(cert.not_valid_before_utc for cert in chain)
    end = min(cert.not_valid_after_utc for cert in chain)
    if start <= now <= end or start > end:
        return now
    return start + (end - start) / 2


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # a different key under the same name: not self-signed
        return False
    return True


def _short_name(name: x509.Name) -> str:
    common = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(common[0].value) if common else name.rfc4514_string()


def certificate_names(cert: x509.Certificate) -> tuple[list[str], bool]:
    """The names to show: subjectAltName DNS/IP entries, else the CN (flag True)."""
    dns, ips = san_names(cert)
    if dns or ips:
        return dns + ips, False
    return common_names(cert)[:1], True


def check_certificate(
    chain_der: Sequence[bytes],
    hostname: str,
    roots: Sequence[x509.Certificate],
    lang: str,
    *,
    now: datetime.datetime | None = None,
    subject: str | None = None,
) -> list[Finding]:
    """Every finding about the presented chain, for a server reached as `hostname`."""
    now = now or datetime.datetime.now(datetime.UTC)
    if not chain_der:
        return [make_finding(Status.FAIL, "cert-none", lang, subject=subject)]
    try:
        chain = [x509.load_der_x509_certificate(der) for der in chain_der]
    except ValueError as exc:
        return [make_finding(Status.FAIL, "cert-unreadable", lang, subject=subject, error=exc)]
    leaf = chain[0]
    # Trust is judged at a moment when every certificate is valid: dates are their own
    # finding, not also a reason for "untrusted".
    verification = verify_chain(chain_der, host=hostname, roots=roots, at=_valid_moment(chain, now))
    out = [
        *_trust_findings(chain, roots, verification, lang, subject),
        *_date_findings(leaf, now, lang, subject),
        *_name_findings(leaf, hostname, bool(verification.host_match), lang, subject),
        *_key_findings(chain, lang, subject),
    ]
    return out


def _trust_findings(
    chain: list[x509.Certificate],
    roots: Sequence[x509.Certificate],
    result: Verification,
    lang: str,
    subject: str | None,
) -> list[Finding]:
    leaf = chain[0]
    issuer = _short_name(leaf.issuer)
    if result.trusted:
        return [make_finding(Status.PASS, "cert-trusted", lang, subject=subject, issuer=issuer)]
    if _self_signed(leaf):
        return [make_finding(Status.WARN, "cert-self-signed", lang, subject=subject)]
    sent_issuer = any(cert.subject == leaf.issuer for cert in chain[1:])
    known_issuer = any(root.subject == leaf.issuer for root in roots)
    if not sent_issuer and not known_issuer and len(chain) == 1:
        return [
            make_finding(
                Status.WARN, "cert-missing-intermediate", lang, subject=subject, issuer=issuer
            )
        ]
    return [
        make_finding(
            Status.WARN,
            "cert-untrusted",
            lang,
            subject=subject,
            issuer=issuer,
            reason=result.reason,
        )
    ]


def _date_findings(
    leaf: x509.Certificate, now: datetime.datetime, lang: str, subject: str | None
) -> list[Finding]:
    not_after, not_before = leaf.not_valid_after_utc, leaf.not_valid_before_utc
    date = not_after.date().isoformat()
    if now > not_after:
        days = (now - not_after).days
        return [
            make_finding(Status.FAIL, "cert-expired", lang, subject=subject, date=date, count=days)
        ]
    if now < not_before:
        return [
            make_finding(
                Status.FAIL,
                "cert-not-yet-valid",
                lang,
                subject=subject,
                date=not_before.date().isoformat(),
            )
        ]
    days = (not_after - now).days
    if days < EXPIRY_WARNING_DAYS:
        return [
            make_finding(
                Status.WARN, "cert-expires-soon", lang, subject=subject, date=date, count=days
            )
        ]
    return [
        make_finding(Status.PASS, "cert-dates-ok", lang, subject=subject, date=date, count=days)
    ]


def _name_findings(
    leaf: x509.Certificate, hostname: str, matched: bool, lang: str, subject: str | None
) -> list[Finding]:
    names, from_cn = certificate_names(leaf)
    shown = ", ".join(names[:6]) + (" ..." if len(names) > 6 else "") or "-"
    if not matched:
        return [
            make_finding(
                Status.WARN, "cert-name-mismatch", lang, subject=subject, host=hostname, names=shown
            )
        ]
    out = [make_finding(Status.PASS, "cert-name-ok", lang, subject=subject, host=hostname)]
    if from_cn:
        out.append(make_finding(Status.INFO, "cert-cn-only", lang, subject=subject))
    return out


def _key_text(cert: x509.Certificate) -> tuple[str, int | None, str]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size} bit", key.key_size, "rsa"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name} ({key.curve.key_size} bit)", key.curve.key_size, "ec"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA {key.key_size} bit", key.key_size, "dsa"
    return type(key).__name__.removeprefix("_").replace("PublicKey", ""), None, "other"


def _signature_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


def _key_findings(chain: list[x509.Certificate], lang: str, subject: str | None) -> list[Finding]:
    leaf = chain[0]
    key, size, kind = _key_text(leaf)
    signature = _signature_name(leaf)
    out: list[Finding] = []
    weak_key = (kind in ("rsa", "dsa") and (size or 0) < 2048) or (
        kind == "ec" and (size or 0) < 256
    )
    if weak_key:
        out.append(make_finding(Status.FAIL, "cert-key-weak", lang, subject=subject, key_text=key))
    hash_name = leaf.signature_hash_algorithm.name if leaf.signature_hash_algorithm else ""
    if hash_name in _WEAK_HASHES and not _self_signed(leaf):
        out.append(
            make_finding(
                Status.FAIL, "cert-signature-weak", lang, subject=subject, algorithm=signature
            )
        )
    if not out:
        out.append(
            make_finding(
                Status.PASS, "cert-key-ok", lang, subject=subject, key_text=key, algorithm=signature
            )
        )
    return out
