"""The steps of a receive report, one per thing judged: each takes what was measured
and returns a `Step` with its findings (and the facts in `data`, for JSON)."""

from __future__ import annotations

from collections.abc import Sequence

import dns.asyncresolver
import dns.exception

from smtpcheck.checks.auth_results import RecordedResults
from smtpcheck.checks.names import is_fqdn
from smtpcheck.checks.receive_findings import receive_finding
from smtpcheck.checks.spf_eval import SpfResult, check_host, fetch_spf
from smtpcheck.knowledge.receive import Requirement, receive_word
from smtpcheck.report.model import SEVERITY_ORDER, Finding, Status, Step
from smtpcheck.scenarios.receive.facts import SessionFacts

SPF_CODES = {
    SpfResult.PASS: "spf-pass",
    SpfResult.FAIL: "spf-fail",
    SpfResult.SOFTFAIL: "spf-softfail",
    SpfResult.NEUTRAL: "spf-neutral",
    SpfResult.NONE: "spf-none",
    SpfResult.PERMERROR: "spf-permerror",
    SpfResult.TEMPERROR: "spf-temperror",
}


def title(key: str, lang: str, **facts: object) -> str:
    return receive_word("step", key, lang, **facts)


def worst(findings: Sequence[Finding]) -> Status:
    """A step's status: its worst finding (info when it has none that judge)."""
    statuses = {finding.status for finding in findings}
    for status in SEVERITY_ORDER:
        if status in statuses:
            return status
    return Status.INFO


def make_step(name: str, step_title: str, findings: list[Finding], **data: object) -> Step:
    return Step(
        name=name, title=step_title, status=worst(findings), findings=findings, data=dict(data)
    )


def session_step(
    session: SessionFacts,
    lang: str,
    *,
    received: str | None = None,
    recorded: RecordedResults | None = None,
) -> Step | None:
    """What the analysis stands on when no session was seen: where the facts came
    from and what could not be checked."""
    if session.session_seen:
        return None
    findings: list[Finding] = []
    unknown = receive_word("text", "unknown", lang)
    if session.source == "headers" and received is not None:
        findings.append(
            receive_finding(
                "from-headers-facts",
                lang,
                source=receive_word("text", "from_headers_source", lang),
                ip=session.client_ip or unknown,
                helo=session.helo or unknown,
                mail_from=session.mail_from if session.mail_from is not None else unknown,
            )
        )
    if recorded is not None:
        findings.append(
            receive_finding(
                "receiver-results", lang, receiver=recorded.authserv_id, results=recorded.summary()
            )
        )
    missing = []
    if session.client_ip is None:
        missing += ["not_session_client", "not_session_spf"]
    if not session.helo:
        missing.append("not_session_helo")
    if not session.tls_known:
        missing.append("not_session_tls")
    missing.append("not_session_anomalies")
    what = ", ".join(receive_word("text", key, lang) for key in missing)
    findings.append(receive_finding("session-unknown", lang, texts={"what": what}))
    return make_step("session", title("session", lang), findings, **session.to_dict())


async def spf_step(
    resolver: dns.asyncresolver.Resolver, session: SessionFacts, lang: str, timeout: float
) -> tuple[Step, str | None, str | None]:
    """SPF for the MAIL FROM domain (the HELO name for the null sender), then for the
    HELO name. Returns the step, the MAIL FROM identity's result and its domain."""
    findings: list[Finding] = []
    data: dict[str, object] = {}
    ip, helo = session.client_ip, session.helo
    if ip is None:
        return make_step("spf", title("spf", lang), findings), None, session.mail_from_domain
    domain = session.mail_from_domain
    sender = session.mail_from or ""
    if session.mail_from == "" and helo and is_fqdn(helo):
        findings.append(receive_finding("spf-null-sender", lang, helo=helo))
        domain, sender = helo.rstrip(".").lower(), f"postmaster@{helo}"
    if domain is None:
        findings.append(receive_finding("spf-no-domain", lang))
        return make_step("spf", title("spf", lang), findings), None, None
    result, record = await _check_host(resolver, ip, domain, sender, helo or "", timeout, data)
    code = SPF_CODES[result[0]]
    findings.append(
        receive_finding(
            code,
            lang,
            subject=domain,
            domain=domain,
            ip=ip,
            mechanism=result[1] or "-",
            why=result[1] or result[2] or str(result[0]),
            record=record or "-",
        )
    )
    if helo and is_fqdn(helo) and helo.rstrip(".").lower() != domain:
        helo_result, _ = await _check_host(
            resolver, ip, helo.rstrip("."), f"postmaster@{helo}", helo, timeout, {}
        )
        if helo_result[0] is SpfResult.PASS:
            findings.append(receive_finding("spf-helo-pass", lang, helo=helo))
        else:
            findings.append(
                receive_finding(
                    "spf-helo-other",
                    lang,
                    helo=helo,
                    result=str(helo_result[0]),
                    why=helo_result[1] or helo_result[2] or "-",
                )
            )
    step = make_step("spf", title("spf", lang), findings, **data)
    return step, str(result[0]), domain


async def _check_host(
    resolver: dns.asyncresolver.Resolver,
    ip: str,
    domain: str,
    sender: str,
    helo: str,
    timeout: float,
    data: dict[str, object],
) -> tuple[tuple[SpfResult, str | None, str], str | None]:
    """check_host and the record it read; a name DNS cannot even ask is a permerror."""
    try:
        evaluation = await check_host(
            resolver, ip, domain, sender=sender, helo=helo, timeout=timeout
        )
        fetched = await fetch_spf(resolver, domain, timeout=timeout)
    except (dns.exception.DNSException, ValueError, UnicodeError) as error:
        return (SpfResult.PERMERROR, None, f"invalid domain: {error}"), None
    record = fetched.records[0] if len(fetched.records) == 1 else None
    data.update(
        domain=domain,
        ip=ip,
        result=str(evaluation.result),
        mechanism=evaluation.mechanism,
        reason=evaluation.reason,
        record=record,
        lookups=evaluation.lookups,
    )
    return (evaluation.result, evaluation.mechanism, evaluation.reason), record


def requirements_step(results: Sequence[tuple[Requirement, Finding]], lang: str) -> Step:
    """The checklist, one child step per provider and scope."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for requirement, finding in results:
        groups.setdefault(("+".join(requirement.providers), requirement.scope), []).append(finding)
    children = [
        make_step(
            f"requirements-{providers}-{scope}",
            title(
                "requirements_all" if scope == "all" else "requirements_bulk",
                lang,
                provider=receive_word("provider", providers, lang),
            ),
            findings,
        )
        for (providers, scope), findings in groups.items()
    ]
    step = Step(name="requirements", title=title("requirements", lang), children=children)
    step.status = worst([f for child in children for f in child.findings])
    return step
