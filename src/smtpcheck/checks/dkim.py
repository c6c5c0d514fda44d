"""DKIM key records (RFC 6376 §3.6.1, RFC 8301, RFC 8463): is there a `_domainkey`
subtree, and what are the keys of the selectors given or found among the common ones?

Without a signed message the selector is unknown, so, as internet.nl does, the first
question is whether `_domainkey.<domain>` exists: NOERROR (even with no records: an
empty non-terminal) means selectors live below it, NXDOMAIN means none do (RFC 8020).
Then each selector given, or each common one (Microsoft 365, Google, ...), is asked for
its key: its type and size (cryptography), revoked (empty p=), testing (t=y), and
whether it allows only SHA-1 (h=sha1, RFC 8301).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, replace

import dns.asyncresolver

from smtpcheck.checks.posture_findings import (
    TIME_LIMIT,
    PostureResult,
    lookup_failed,
    posture_finding,
)
from smtpcheck.checks.tag_list import parse_tag_list
from smtpcheck.dns.query import ask, txt_strings
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT, LookupStatus

#: selectors big providers and common software use (tried when none is given)
COMMON_SELECTORS = (
    "selector1",  # Microsoft 365
    "selector2",
    "google",  # Google Workspace
    "k1",  # Mailchimp/Mandrill
    "k2",
    "default",  # OpenDKIM, cPanel
    "dkim",
    "mail",
    "s1",
    "s2",
    "smtp",
    "mx",
    "key1",
    "everlytickey1",
    "mandrill",
    "zoho",
)
MINIMUM_RSA_BITS = 1024  # RFC 8301 §3.2: below this, verifiers must not accept the key
RECOMMENDED_RSA_BITS = 2048


@dataclass(frozen=True)
class DkimKey:
    """One selector's key record as judged: `problem` names a finding code, or None."""

    selector: str
    record: str
    key_type: str
    bits: int | None
    revoked: bool
    testing: bool
    sha1_only: bool
    problem: str | None = None
    detail: str = ""


def parse_dkim_key(selector: str, text: str) -> DkimKey:
    """Judge one key record; never raises (peer input)."""
    tags = parse_tag_list(text)
    key_type = tags.tags.get("k", "rsa").lower()
    flags = [flag.strip().lower() for flag in tags.tags.get("t", "").split(":")]
    hashes = [h.strip().lower() for h in tags.tags.get("h", "").split(":") if h.strip()]
    key = DkimKey(
        selector=selector,
        record=text,
        key_type=key_type,
        bits=None,
        revoked=False,
        testing="y" in flags,
        sha1_only=bool(hashes) and hashes == ["sha1"],
    )

    def invalid(detail: str) -> DkimKey:
        return replace(key, problem="dkim-key-invalid", detail=detail)

    if tags.malformed or tags.repeated:
        return invalid((tags.malformed or tags.repeated)[0])
    version = tags.tags.get("v")
    if version is not None and (version != "DKIM1" or tags.first != "v"):
        return invalid(f"v={version}")
    if "p" not in tags.tags:
        return invalid("no p= tag")
    data = "".join(tags.tags["p"].split())
    if not data:
        return replace(key, revoked=True)
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return invalid("p= is not base64")
    bits, problem = _key_bits(key_type, raw)
    if problem:
        return invalid(problem)
    return replace(key, bits=bits)


def _key_bits(key_type: str, raw: bytes) -> tuple[int | None, str]:
    if key_type == "ed25519":
        return (256, "") if len(raw) == 32 else (None, "an Ed25519 key is 32 bytes")
    if key_type != "rsa":
        return None, f"unknown key type k={key_type}"
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    try:
        key = load_der_public_key(raw)
    except (ValueError, TypeError):
        try:  # some publish a bare RSAPublicKey instead of SubjectPublicKeyInfo
            key = load_der_public_key(_wrap_rsa_public_key(raw))
        except (ValueError, TypeError):
            return None, "p= is not an RSA public key"
    if not isinstance(key, rsa.RSAPublicKey):
        return None, "p= is not an RSA key"
    return key.key_size, ""


def _wrap_rsa_public_key(raw: bytes) -> bytes:
    """A PKCS#1 RSAPublicKey wrapped into SubjectPublicKeyInfo DER."""
    algorithm = bytes.fromhex("300d06092a864886f70d0101010500")
    bit_string = b"\x03" + _der_length(len(raw) + 1) + b"\x00" + raw
    body = algorithm + bit_string
    return b"\x30" + _der_length(len(body)) + body


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


async def check_dkim(
    resolver: dns.asyncresolver.Resolver,
    domain: str,
    lang: str,
    *,
    selectors: Sequence[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
) -> PostureResult:
    """The DKIM findings for `domain`: `_domainkey` existence, then each selector's key
    (`selectors` given by the user, else the common ones, asked concurrently)."""
    out = PostureResult()
    subject = domain
    base = domain.rstrip(".").lower()
    given = [s.strip().lower() for s in selectors if s.strip()]
    try:
        async with asyncio.timeout(timeout):
            tree = await ask(resolver, f"_domainkey.{base}.", "TXT", timeout=timeout)
            names = given or list(COMMON_SELECTORS)
            answers = await asyncio.gather(
                *(ask(resolver, f"{s}._domainkey.{base}.", "TXT", timeout=timeout) for s in names)
            )
    except TimeoutError:
        out.add(lookup_failed(lang, f"_domainkey.{base}", TIME_LIMIT, subject=subject))
        return out
    if tree.status.is_failure:
        out.add(lookup_failed(lang, f"_domainkey.{base}", tree.detail, subject=subject))
        return out
    out.data = {"domainkey": str(tree.status), "selectors": {}}
    keys: list[DkimKey] = []
    for selector, answer in zip(names, answers, strict=True):
        records = [t for t in txt_strings(answer.records) if "p=" in t or "v=DKIM1" in t]
        if answer.status.is_failure:
            out.add(
                lookup_failed(lang, f"{selector}._domainkey.{base}", answer.detail, subject=subject)
            )
            continue
        if not records:
            if selector in given:
                out.add(
                    posture_finding(
                        "dkim-selector-missing",
                        lang,
                        subject=subject,
                        selector=selector,
                        name=f"{selector}._domainkey.{base}",
                    )
                )
            continue
        key = parse_dkim_key(selector, records[0])
        keys.append(key)
        out.data["selectors"][selector] = {
            "record": key.record,
            "type": key.key_type,
            "bits": key.bits,
            "revoked": key.revoked,
            "testing": key.testing,
        }
        _judge_key(key, out, lang, subject)
    if not keys and not given:
        if tree.status is LookupStatus.NXDOMAIN:
            out.add(posture_finding("dkim-no-domainkey", lang, subject=subject, domain=base))
        else:
            out.add(posture_finding("dkim-domainkey-exists", lang, subject=subject, domain=base))
            out.add(posture_finding("dkim-no-selector-found", lang, subject=subject, domain=base))
    return out


def _judge_key(key: DkimKey, out: PostureResult, lang: str, subject: str) -> None:
    selector = key.selector
    if key.problem:
        out.add(
            posture_finding(
                key.problem, lang, subject=subject, selector=selector, detail=key.detail
            )
        )
        return
    if key.revoked:
        out.add(posture_finding("dkim-key-revoked", lang, subject=subject, selector=selector))
        return
    bits = key.bits or 0
    if key.key_type == "rsa" and bits < MINIMUM_RSA_BITS:
        out.add(
            posture_finding(
                "dkim-key-too-short", lang, subject=subject, selector=selector, bits=bits
            )
        )
    elif key.key_type == "rsa" and bits < RECOMMENDED_RSA_BITS:
        out.add(
            posture_finding("dkim-key-weak", lang, subject=subject, selector=selector, bits=bits)
        )
    else:
        out.add(
            posture_finding(
                "dkim-key-ok",
                lang,
                subject=subject,
                selector=selector,
                type=key.key_type,
                bits=bits,
            )
        )
    if key.testing:
        out.add(posture_finding("dkim-key-testing", lang, subject=subject, selector=selector))
    if key.sha1_only:
        out.add(posture_finding("dkim-sha1-only", lang, subject=subject, selector=selector))
