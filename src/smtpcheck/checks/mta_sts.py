"""MTA-STS (RFC 8461): the `_mta-sts` TXT record, the policy fetched over HTTPS, and the
policy held against the MX hosts and their TLS results.

`check_mta_sts()` looks up the record, resolves `mta-sts.<domain>` through the
configured DNS server, fetches `/.well-known/mta-sts.txt` with full certificate
verification (`ca_file` replaces the system's CAs: the lab's test CA), a hard deadline,
a 64 KiB bound and no redirects (`net.https_get`), then judges the policy and which MX
hosts its patterns cover. `compare_with_tls()` takes the per-MX certificate verdicts of
the SMTP steps: under `enforce`, an MX whose certificate does not verify is a failure,
because senders that apply the policy will refuse to deliver there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import dns.asyncresolver

from smtpcheck.checks.mta_sts_policy import (
    MAX_AGE_RECOMMENDED,
    StsPolicy,
    covering_pattern,
    is_sts_record,
    parse_policy,
    parse_sts_record,
)
from smtpcheck.checks.posture_findings import PostureResult, lookup_failed, posture_finding
from smtpcheck.dns.query import ask, txt_strings
from smtpcheck.dns.resolver import DEFAULT_TIMEOUT
from smtpcheck.net.https_get import FetchProblem, FetchResult, client_context, https_get
from smtpcheck.report.model import Finding

POLICY_PATH = "/.well-known/mta-sts.txt"
MAX_POLICY_BYTES = 65536  # RFC 8461 §3.3 leaves it to senders; 64 KiB is what they use
HTTPS_PORT = 443


async def _addresses(
    resolver: dns.asyncresolver.Resolver, host: str, timeout: float
) -> tuple[list[str], str]:
    answers = await asyncio.gather(
        ask(resolver, host + ".", "A", timeout=timeout),
        ask(resolver, host + ".", "AAAA", timeout=timeout),
    )
    found = [text for answer in answers for text in answer.texts]
    problems = [a.detail for a in answers if a.status.is_failure]
    return found, "; ".join(problems) or "no A or AAAA record"


def _fetch_finding(fetched: FetchResult, host: str, lang: str, subject: str) -> Finding | None:
    url = fetched.url
    if fetched.problem is FetchProblem.CERTIFICATE:
        return posture_finding(
            "mta-sts-policy-untrusted", lang, subject=subject, url=url, detail=fetched.detail
        )
    if fetched.problem is FetchProblem.TOO_LARGE:
        return posture_finding(
            "mta-sts-policy-too-large", lang, subject=subject, url=url, limit=MAX_POLICY_BYTES
        )
    if fetched.problem is not None:
        return posture_finding(
            "mta-sts-policy-unreachable",
            lang,
            subject=subject,
            url=url,
            host=host,
            detail=f"{fetched.problem}: {fetched.detail}",
        )
    status = fetched.status or 0
    if 300 <= status < 400:
        return posture_finding(
            "mta-sts-policy-redirect",
            lang,
            subject=subject,
            url=url,
            location=fetched.headers.get("location", "-"),
        )
    if status != 200:
        return posture_finding(
            "mta-sts-policy-http-status", lang, subject=subject, url=url, status=status
        )
    return None


async def check_mta_sts(
    resolver: dns.asyncresolver.Resolver,
    domain: str,
    lang: str,
    *,
    mx_hosts: Sequence[str] = (),
    ca_file: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    port: int = HTTPS_PORT,
) -> tuple[PostureResult, StsPolicy | None]:
    """The MTA-STS findings for `domain`, and the valid policy (None when there is none,
    or senders would ignore it). `mx_hosts` are the domain's MX host names."""
    out = PostureResult()
    subject = domain
    base = domain.rstrip(".").lower()
    answer = await ask(resolver, f"_mta-sts.{base}.", "TXT", timeout=timeout)
    if answer.status.is_failure:
        out.add(lookup_failed(lang, f"_mta-sts.{base}", answer.detail, subject=subject))
        return out, None
    records = [text for text in txt_strings(answer.records) if is_sts_record(text)]
    out.data["records"] = records
    if not records:
        out.add(posture_finding("mta-sts-missing", lang, subject=subject, domain=base))
        return out, None
    if len(records) > 1:
        out.add(posture_finding("mta-sts-txt-multiple", lang, subject=subject, count=len(records)))
        return out, None
    record = parse_sts_record(records[0])
    if record.id is None:
        out.add(
            posture_finding(
                "mta-sts-txt-syntax", lang, subject=subject, record=record.text, error=record.error
            )
        )
        return out, None
    out.data["id"] = record.id
    host = f"mta-sts.{base}"
    addresses, why = await _addresses(resolver, host, timeout)
    if not addresses:
        out.add(
            posture_finding(
                "mta-sts-policy-unreachable",
                lang,
                subject=subject,
                url=f"https://{host}{POLICY_PATH}",
                host=host,
                detail=why,
            )
        )
        return out, None
    try:
        context = client_context(ca_file)
    except (OSError, ValueError) as error:
        out.add(
            posture_finding(
                "mta-sts-policy-untrusted",
                lang,
                subject=subject,
                url=f"https://{host}{POLICY_PATH}",
                detail=str(error),
            )
        )
        return out, None
    fetched = await https_get(
        host,
        POLICY_PATH,
        addresses,
        context=context,
        port=port,
        timeout=timeout,
        max_bytes=MAX_POLICY_BYTES,
    )
    out.data["url"] = fetched.url
    out.data["address"] = fetched.address
    problem = _fetch_finding(fetched, host, lang, subject)
    if problem is not None:
        out.add(problem)
        return out, None
    content_type = fetched.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "text/plain":
        out.add(
            posture_finding(
                "mta-sts-policy-content-type",
                lang,
                subject=subject,
                url=fetched.url,
                content_type=content_type or "-",
            )
        )
    text = fetched.body.decode("utf-8", errors="replace")
    out.data["policy"] = text
    policy = parse_policy(text)
    if not policy.valid:
        out.add(
            posture_finding(
                "mta-sts-policy-syntax",
                lang,
                subject=subject,
                url=fetched.url,
                error="; ".join(policy.errors[:3]),
            )
        )
        return out, None
    _judge_policy(policy, mx_hosts, out, lang, subject)
    return out, policy


def _judge_policy(
    policy: StsPolicy, mx_hosts: Sequence[str], out: PostureResult, lang: str, subject: str
) -> None:
    out.data.update({"mode": policy.mode, "max_age": policy.max_age, "mx": list(policy.mx)})
    if policy.mode == "enforce":
        out.add(posture_finding("mta-sts-enforce", lang, subject=subject, max_age=policy.max_age))
    elif policy.mode == "testing":
        out.add(posture_finding("mta-sts-testing", lang, subject=subject))
    else:
        out.add(posture_finding("mta-sts-none", lang, subject=subject))
        return
    if policy.max_age is not None and policy.max_age < MAX_AGE_RECOMMENDED:
        out.add(
            posture_finding("mta-sts-max-age-short", lang, subject=subject, max_age=policy.max_age)
        )
    for host in mx_hosts:
        name = host.rstrip(".")
        pattern = covering_pattern(policy, name)
        if pattern is None:
            out.add(
                posture_finding(
                    "mta-sts-mx-not-covered",
                    lang,
                    subject=name,
                    host=name,
                    patterns=", ".join(policy.mx),
                    mode=policy.mode,
                )
            )
        else:
            out.add(
                posture_finding(
                    "mta-sts-mx-covered", lang, subject=name, host=name, pattern=pattern
                )
            )


def compare_with_tls(
    policy: StsPolicy, certificate_verified: Mapping[str, bool | None], lang: str
) -> list[Finding]:
    """Hold the policy against the SMTP steps' TLS results, one entry per MX host name:
    True (STARTTLS worked and the certificate verified for that name), False (no TLS,
    or a certificate that does not verify), None (not tested). Under `enforce` a False
    is a failure; under `testing` a warning (senders only report it)."""
    if policy.mode not in ("enforce", "testing"):
        return []
    code = "mta-sts-mx-tls-fails" if policy.mode == "enforce" else "mta-sts-mx-tls-fails-testing"
    out: list[Finding] = []
    for host, verified in certificate_verified.items():
        name = host.rstrip(".")
        if verified is False and covering_pattern(policy, name) is not None:
            out.append(posture_finding(code, lang, subject=name, host=name))
    return out
