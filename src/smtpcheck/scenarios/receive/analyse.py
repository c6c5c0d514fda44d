"""The receive scenario: grade one message and its session into a `Report`.

    parse the message -> at once: the client's DNS (PTR, FCrDNS, HELO), SPF, DKIM,
    ARC, blocklists -> DMARC (needs SPF and DKIM) -> the message's format and
    unsubscribe (needs DKIM's signed headers) -> the Authentication-Results a receiver
    would add -> the Gmail/Yahoo/Microsoft checklist -> the verdict and exit code.

Every DNS question goes through one resolver (`--dns`, or the system's) with hard
deadlines; the whole DNS part is also bounded by `options.timeout`. Nothing here
raises for what the message, the client or DNS contain.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import dns.asyncresolver

from smtpcheck.checks.arc_chain import judge_arc, verify_arc
from smtpcheck.checks.auth_results import build_header, parse_recorded
from smtpcheck.checks.dkim_signatures import DkimOutcome, judge_signatures, verify_dkim
from smtpcheck.checks.dmarc import organisational_domain
from smtpcheck.checks.dmarc_result import DmarcEvaluation, evaluate_dmarc, judge_dmarc
from smtpcheck.checks.dnsbl import check_blocklists, is_public, judge_blocklists
from smtpcheck.checks.message_format import (
    FORMAT_CODES,
    bulk_reason,
    check_format,
    check_parity,
    check_unsubscribe,
)
from smtpcheck.checks.message_parse import ParsedMessage, parse_message
from smtpcheck.checks.rdns import RdnsFacts
from smtpcheck.checks.receive_findings import receive_finding
from smtpcheck.checks.sender_client import (
    check_anomalies,
    check_helo,
    check_ptr,
    check_tls,
    ptr_confirmed,
)
from smtpcheck.checks.sender_requirements import Measured, check_requirements
from smtpcheck.dns.resolver import DnsConfigError, DnsServer, make_resolver
from smtpcheck.knowledge.dns import explain_dns_error
from smtpcheck.knowledge.receive import default_zones, receive_word
from smtpcheck.report.model import SEVERITY_ORDER, Finding, Report, Status, Step
from smtpcheck.scenarios.receive.facts import ReceiveExit, ReceiveOptions, SessionFacts
from smtpcheck.scenarios.receive.headers import facts_from_headers
from smtpcheck.scenarios.receive.lookups import client_rdns, helo_addresses
from smtpcheck.scenarios.receive.steps import (
    make_step,
    requirements_step,
    session_step,
    spf_step,
    title,
)


class UsageError(ValueError):
    """The input cannot be analysed (a bad --dns, a message too large)."""


def resolver_for(options: ReceiveOptions) -> dns.asyncresolver.Resolver:
    """The resolver of `--dns` (or the system's); UsageError with one line if bad."""
    try:
        server = DnsServer.parse(options.dns) if options.dns else None
        return make_resolver(server, timeout=min(options.timeout, 10.0))
    except DnsConfigError as error:
        reason = explain_dns_error(error.code, options.lang, **error.facts)
        raise UsageError(reason) from None


async def analyse_message(
    raw: bytes,
    session: SessionFacts,
    options: ReceiveOptions,
    *,
    resolver: dns.asyncresolver.Resolver | None = None,
    from_headers: bool = False,
) -> Report:
    """Grade `raw` (the message as received) sent in `session`. With `from_headers`,
    session facts missing from `session` are read from the message's headers."""
    started = time.monotonic()
    report = Report(scenario="receive", target=session.message_id or "message")
    report.started_at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        resolver = resolver or resolver_for(options)
        await _analyse(report, raw, session, options, resolver, from_headers)
    except UsageError as error:
        report.findings = [Finding(Status.FAIL, "usage", str(error))]
        report.verdict = str(error)
        report.exit_code = int(ReceiveExit.USAGE)
    report.duration_ms = (time.monotonic() - started) * 1000
    return report


def _merge(given: SessionFacts, found: SessionFacts) -> SessionFacts:
    """Facts the user gave win over those read from the headers."""
    return SessionFacts(
        client_ip=given.client_ip or found.client_ip,
        helo=given.helo or found.helo,
        mail_from=given.mail_from if given.mail_from is not None else found.mail_from,
        tls=found.tls,
        tls_known=found.tls_known,
        source="headers",
        message_id=given.message_id,
    )


async def _analyse(
    report: Report,
    raw: bytes,
    session: SessionFacts,
    options: ReceiveOptions,
    resolver: dns.asyncresolver.Resolver,
    from_headers: bool,
) -> None:
    lang = options.lang
    timeout = options.timeout
    parsed = parse_message(raw)
    received = None
    recorded = None
    if from_headers:
        found, received = facts_from_headers(parsed)
        session = _merge(session, found)
        recorded = parse_recorded(parsed.values("Authentication-Results"))
    from_domain = parsed.from_domain
    sender = (
        session.mail_from if session.mail_from is not None else (parsed.from_addresses or ["?"])[0]
    )
    report.target = session.message_id or (sender or "<>")
    report.data = {"session": session.to_dict(), "from_domain": from_domain}

    ip = session.client_ip
    dkim_values = parsed.values("DKIM-Signature")
    client_job = _client(resolver, session, timeout) if ip else None
    jobs = await asyncio.gather(
        client_job if client_job is not None else _nothing(),
        spf_step(resolver, session, lang, timeout),
        verify_dkim(resolver, raw, dkim_values, timeout=timeout),
        verify_arc(
            resolver,
            raw,
            parsed.values("ARC-Seal"),
            parsed.values("ARC-Message-Signature"),
            timeout=timeout,
        ),
        _blocklists(resolver, parsed, session, options),
    )
    client_facts, (spf, spf_result, spf_domain), dkim_outcome, arc_outcome, dnsbl_findings = jobs
    dkim_pass_domains = [r.domain for r in dkim_outcome.passing]
    dmarc = DmarcEvaluation(domain=from_domain or "")
    dmarc_findings: list[Finding]
    if from_domain is None:
        dmarc.result = "permerror"
        dmarc_findings = [receive_finding("dmarc-no-from-domain", lang)]
    else:
        dmarc = await evaluate_dmarc(
            resolver,
            from_domain,
            spf_result=spf_result or "none",
            spf_domain=spf_domain,
            dkim_pass_domains=dkim_pass_domains,
            timeout=timeout,
        )
        dmarc_findings = judge_dmarc(
            dmarc,
            spf_result=spf_result or "none",
            spf_domain=spf_domain,
            dkim_pass_domains=dkim_pass_domains,
            lang=lang,
        )
    steps: list[Step] = []
    first = session_step(session, lang, received=received, recorded=recorded)
    if first is not None:
        steps.append(first)
    steps.append(_client_step(session, client_facts, lang))
    steps.append(spf)
    steps.append(_dkim_step(dkim_outcome, parsed, lang))
    steps.append(
        make_step(
            "dmarc",
            title("dmarc", lang, domain=from_domain)
            if from_domain
            else title("dmarc_unknown", lang),
            dmarc_findings,
            **dmarc.to_dict(),
        )
    )
    if arc_outcome.result != "none":
        steps.append(
            make_step(
                "arc", title("arc", lang), judge_arc(arc_outcome, lang), **arc_outcome.to_dict()
            )
        )
    if dnsbl_findings is not None:
        steps.append(make_step("dnsbl", title("dnsbl", lang), dnsbl_findings))
    message_step, measured_format, unsubscribe_ok, is_bulk = _message_step(
        parsed, dkim_outcome, options
    )
    steps.append(message_step)
    header = build_header(
        spf=(spf_result, session.mail_from, session.helo) if spf_result else None,
        dkim=[(r.result, r.domain, r.selector, r.algorithm) for r in dkim_outcome.results],
        dmarc=(dmarc.result, from_domain or "") if from_domain else None,
        arc=arc_outcome.result
        if arc_outcome.result != "none" or parsed.first("ARC-Seal")
        else None,
    )
    steps.append(
        make_step(
            "authentication-results",
            title("authentication_results", lang),
            [receive_finding("authentication-results", lang, texts={"header": header})],
            header=header,
        )
    )
    measured = Measured(
        spf=spf_result,
        dkim_pass=bool(dkim_outcome.passing),
        dmarc=dmarc.result,
        fcrdns=_fcrdns(client_facts[0] if client_facts is not None else None),
        tls=bool(session.tls) if session.tls_known else None,
        format_problems=measured_format,
        one_click_unsubscribe=unsubscribe_ok,
        is_bulk=is_bulk,
    )
    steps.append(requirements_step(check_requirements(measured, lang), lang))
    report.steps = steps
    report.data.update(
        dkim=[r.to_dict() for r in dkim_outcome.results],
        arc=arc_outcome.to_dict(),
        authentication_results=header,
        bulk=is_bulk,
    )
    _conclude(report, session, sender, lang)


def _fcrdns(rdns: RdnsFacts | None) -> bool | None:
    """Forward-confirmed reverse DNS; None when unknown (no client, or DNS failed)."""
    if rdns is None or rdns.ptr_status not in ("ok", "nxdomain", "nodata"):
        return None
    return ptr_confirmed(rdns)


async def _nothing() -> None:
    return None


async def _client(
    resolver: dns.asyncresolver.Resolver, session: SessionFacts, timeout: float
) -> tuple[RdnsFacts, list[str] | None]:
    assert session.client_ip is not None
    rdns, helo = await asyncio.gather(
        client_rdns(resolver, session.client_ip, timeout),
        helo_addresses(resolver, session.helo, timeout),
    )
    return rdns, helo


def _client_step(
    session: SessionFacts, facts: tuple[RdnsFacts, list[str] | None] | None, lang: str
) -> Step:
    findings: list[Finding] = []
    ip = session.client_ip
    if ip is not None:
        findings.append(receive_finding("client-address", lang, ip=ip))
    if facts is not None:
        rdns, helo_found = facts
        findings += check_ptr(rdns, lang)
        if session.helo is not None or session.session_seen:
            findings += check_helo(session.helo, helo_found, rdns.ptr_names, lang)
    findings += check_tls(session.tls, session.tls_known, lang)
    findings += check_anomalies(session.anomalies, lang)
    step_title = title("client", lang, ip=ip) if ip else title("client_unknown", lang)
    data: dict[str, object] = {
        "ip": ip,
        "helo": session.helo,
        "tls": dict(session.tls) if session.tls else None,
    }
    if facts is not None:
        data["ptr"] = list(facts[0].ptr_names)
        data["forward"] = {name: list(found) for name, found in facts[0].forward.items()}
    return make_step("client", step_title, findings, **data)


def _dkim_step(outcome: DkimOutcome, parsed: ParsedMessage, lang: str) -> Step:
    findings = judge_signatures(outcome, [name for name, _ in parsed.fields], lang)
    step = make_step("dkim", title("dkim", lang), findings)
    for result in outcome.results:
        own = [f for f in findings if f.subject == f"d={result.domain} s={result.selector}"]
        child = make_step(
            "dkim-signature",
            title(
                "dkim_signature",
                lang,
                domain=result.domain or "?",
                selector=result.selector or "?",
                result=result.result,
            ),
            [],
            **result.to_dict(),
        )
        child.status = {"pass": Status.PASS, "temperror": Status.WARN}.get(
            result.result, Status.FAIL
        )
        if own:
            child.status = own[0].status
        step.children.append(child)
    return step


async def _blocklists(
    resolver: dns.asyncresolver.Resolver,
    parsed: ParsedMessage,
    session: SessionFacts,
    options: ReceiveOptions,
) -> list[Finding] | None:
    if not options.dnsbl:
        return None
    lang = options.lang
    zones = options.zones if options.zones is not None else default_zones()
    findings: list[Finding] = []
    ip = session.client_ip
    if ip is not None and not is_public(ip) and not options.zones_given:
        findings.append(receive_finding("dnsbl-private-address", lang, ip=ip))
        ip = None
    domains = [d for d in (parsed.from_domain, session.mail_from_domain) if d]
    domains += parsed.link_domains
    organisations = list(dict.fromkeys(organisational_domain(d) for d in domains))
    answers = await check_blocklists(
        resolver, zones, ip=ip, domains=organisations, timeout=options.timeout
    )
    return findings + judge_blocklists(answers, lang)


def _message_step(
    parsed: ParsedMessage, dkim: DkimOutcome, options: ReceiveOptions
) -> tuple[Step, int, bool, bool]:
    """The message's findings; (step, format problems, one-click unsubscribe ok, bulk)."""
    lang = options.lang
    findings = check_format(parsed, lang)
    problems = sum(1 for f in findings if f.code in FORMAT_CODES)
    findings += check_parity(parsed, lang)
    why = bulk_reason(parsed, options.bulk, lang)
    if why is not None:
        findings.append(receive_finding("bulk-detected", lang, texts={"why": why}))
    unsubscribe = check_unsubscribe(parsed, why is not None, dkim.signed_fields(), lang)
    findings += unsubscribe
    ok = any(f.code == "unsubscribe-ok" for f in unsubscribe)
    step = make_step(
        "message", title("message_part", lang, size=len(parsed.raw)), findings, size=len(parsed.raw)
    )
    return step, problems, ok, why is not None


def ranked(report: Report) -> list[Finding]:
    """Every warn/fail finding of the tree, most severe first (the requirements last
    within a severity: they repeat what the other steps found)."""
    found = [
        f for step in report.walk() for f in step.findings if f.status in (Status.FAIL, Status.WARN)
    ]
    order = {status: index for index, status in enumerate(SEVERITY_ORDER)}
    return sorted(found, key=lambda f: (order[f.status], f.code.startswith("requirement")))


def _conclude(report: Report, session: SessionFacts, sender: str | None, lang: str) -> None:
    report.findings = ranked(report)
    failures = sum(1 for f in report.findings if f.status is Status.FAIL)
    warnings = sum(1 for f in report.findings if f.status is Status.WARN)
    missed = sum(1 for f in report.findings if f.code == "requirement-missed")
    subject = receive_word(
        "verdict",
        "subject",
        lang,
        sender=sender or "<>",
        ip=session.client_ip or receive_word("text", "unknown", lang),
    )
    counts = {
        "subject": subject,
        "warnings": receive_word("count", "warnings", lang, count=warnings),
        "failures": receive_word("count", "failures", lang, count=failures),
        "missed": receive_word("count", "missed", lang, count=missed),
    }
    if failures:
        report.verdict = receive_word("verdict", "fail", lang, **counts)
        report.exit_code = int(ReceiveExit.FAILURES)
    elif warnings:
        report.verdict = receive_word("verdict", "warn", lang, **counts)
        report.exit_code = int(ReceiveExit.WARNINGS)
    else:
        report.verdict = receive_word("verdict", "ok", lang, **counts)
        report.exit_code = int(ReceiveExit.OK)
    report.data["requirements_missed"] = missed
