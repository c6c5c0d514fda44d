"""The end of a check: ranked findings, the one-sentence verdict and the exit code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpcheck.knowledge.i18n import t, tn
from smtpcheck.report.model import SEVERITY_ORDER, Finding, Report, Status
from smtpcheck.scenarios.check.options import CheckExit, CheckOptions

if TYPE_CHECKING:
    from smtpcheck.scenarios.check.address import AddressCheck

#: findings at the top of the report: problems only, most severe first
RANKED = (Status.FAIL, Status.WARN)


def ranked_findings(report: Report) -> list[Finding]:
    """Every warn/fail finding of the tree and the run, most severe first, in tree order."""
    found = list(report.findings)
    for step in report.walk():
        found += [f for f in step.findings if f.status in RANKED]
    order = {status: index for index, status in enumerate(SEVERITY_ORDER)}
    return sorted(found, key=lambda f: order[f.status])


def conclude(
    report: Report, checks: list[AddressCheck], fatal: str | None, options: CheckOptions
) -> None:
    """Fill in `findings`, `verdict`, `exit_code` and the summary in `data`."""
    lang = options.lang
    report.findings = ranked_findings(report)
    tested = [c for c in checks if c.step.status is not Status.SKIPPED]
    accepted = [c for c in tested if c.accepted]
    report.data.update(
        tested=len(tested),
        accepted=len(accepted),
        accepted_by=[c.subject for c in accepted],
    )
    target = options.target
    failures = sum(1 for f in report.findings if f.status is Status.FAIL)
    warnings = sum(1 for f in report.findings if f.status is Status.WARN)
    if fatal or not accepted:
        if fatal:
            reason = fatal
        elif any(f.code == "port25-blocked" for f in report.findings):
            reason = t("check.verdict.port25_blocked", lang)
        else:
            reason = t("check.verdict.no_host_accepts", lang)
        report.verdict = t("check.verdict.undeliverable", lang, target=target, reason=reason)
        report.exit_code = int(CheckExit.UNDELIVERABLE)
        return
    of_total = tn("check.count.of_total", len(tested), lang)
    counts = {
        "target": target,
        "accepted": tn("check.count.accepted", len(accepted), lang, of_total=of_total),
        "warnings": tn("check.count.warnings", warnings, lang),
        "failures": tn("check.count.failures", failures, lang),
    }
    if failures:
        report.verdict = t("check.verdict.delivered_fail", lang, **counts)
        report.exit_code = int(CheckExit.FAILURES)
    elif warnings:
        report.verdict = t("check.verdict.delivered_warn", lang, **counts)
        report.exit_code = int(CheckExit.WARNINGS)
    else:
        report.verdict = t("check.verdict.delivered_clean", lang, **counts)
        report.exit_code = int(CheckExit.OK)
