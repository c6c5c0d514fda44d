"""The terminal form of a `check` report (rich): verdict, top findings, the step tree.

Colour on a terminal only, never with NO_COLOR (rich honours it); lines wrap to the
terminal, 80 columns when it is not one. `verbose` adds every EHLO capability with its
meaning, pass/info findings and the transcript of each address. Every text taken from
the report (what servers and DNS said is in it) goes through `visible()`: rich does not
take control characters out.
"""

from __future__ import annotations

from typing import IO

from rich.console import Console, Group
from rich.text import Text
from rich.tree import Tree

from smtpcheck.knowledge.i18n import t
from smtpcheck.report.model import Finding, Report, Status, Step
from smtpcheck.report.visible import visible

SYMBOLS = {
    Status.PASS: ("✓", "green"),
    Status.WARN: ("!", "yellow"),
    Status.FAIL: ("✗", "bold red"),
    Status.INFO: ("i", "cyan"),
    Status.SKIPPED: ("-", "dim"),
}
TOP_FINDINGS = 6
MARKERS = {"sent": " -> ", "received": "<-  ", "note": "=== ", "error": "*** "}


def _badge(status: Status, lang: str) -> Text:
    symbol, style = SYMBOLS[status]
    # aligned on the usual verdicts; a longer "skipped" label may stick out
    usual = (Status.PASS, Status.WARN, Status.FAIL, Status.INFO)
    width = max(len(t(f"check.render.status.{s.value}", lang)) for s in usual)
    label = t(f"check.render.status.{status.value}", lang)
    return Text(f"{symbol} {label:<{width}}", style=style)


def _finding_text(
    finding: Finding, lang: str, *, with_subject: bool, with_fix: bool = True
) -> Text:
    text = _badge(finding.status, lang)
    text.append(" ")
    if with_subject and finding.subject:
        text.append(f"{visible(finding.subject)}: ", style="bold")
    text.append(visible(finding.message))
    if with_fix and finding.fix and finding.status in (Status.FAIL, Status.WARN):
        text.append(f"\n       {t('check.render.fix', lang)}: ", style="bold")
        text.append(visible(finding.fix))
    return text


def _step_label(step: Step, lang: str) -> Text:
    label = _badge(step.status, lang)
    label.append(" ")
    label.append(visible(step.title), style="bold" if step.name in ("mx-host", "server") else "")
    if step.reply is not None:
        first = step.reply.lines[0] if step.reply.lines else ""
        label.append(f"  {step.reply.code} {visible(first)}"[:100], style="dim")
    elif step.detail and step.name not in ("capability",):
        label.append(f"  {visible(step.detail)}"[:110], style="dim")
    if step.duration_ms is not None and step.name not in ("mx-host", "server"):
        label.append(f"  {step.duration_ms:.0f} ms", style="dim")
    return label


def _add_step(tree: Tree, step: Step, lang: str, verbose: bool) -> None:
    node = tree.add(_step_label(step, lang))
    for finding in step.findings:
        if verbose or finding.status in (Status.FAIL, Status.WARN):
            # the fix is printed once, in the list at the top (and here when verbose)
            node.add(_finding_text(finding, lang, with_subject=False, with_fix=verbose))
    if step.explanation is not None and step.status is Status.FAIL and not step.findings:
        node.add(Text(visible(step.explanation.summary), style="italic"))
    capabilities = [c for c in step.children if c.name == "capability"]
    if capabilities and not verbose:
        names = " ".join(visible(c.title.split()[0]) for c in capabilities)
        node.add(Text(f"{t('check.render.capabilities', lang)}: {names}", style="dim"))
    for child in step.children:
        if child.name == "capability":
            if verbose:
                title, detail = visible(child.title), visible(child.detail or "")
                node.add(Text.assemble((title, "bold"), "  ", (detail, "dim")))
            continue
        _add_step(node, child, lang, verbose)


def _transcripts(report: Report) -> list[Text]:
    out = []
    for step in report.walk():
        if not step.transcript:
            continue
        where = f"{step.data.get('host', '')} [{step.data.get('ip', '')}]"
        out.append(Text(f"\n── {visible(where)}", style="bold"))
        for line in step.transcript:
            marker = MARKERS.get(line.direction, "    ")
            if line.tls and line.direction in ("sent", "received"):
                marker = " ~> " if line.direction == "sent" else "<~  "
            for text_line in line.text.rstrip("\r\n").split("\n"):
                style = (
                    "cyan"
                    if line.direction == "sent"
                    else ("red" if line.direction == "error" else "")
                )
                out.append(Text(marker + visible(text_line.rstrip("\r")), style=style))
    return out


def render_text(
    report: Report,
    stream: IO[str],
    lang: str,
    *,
    verbose: bool = False,
    transcript: bool = False,
    colour: bool | None = None,
    width: int | None = None,
) -> None:
    """Print the report for a person."""
    console = Console(
        file=stream,
        no_color=True if colour is False else None,
        width=width,
        force_terminal=True if colour else None,
        highlight=False,
        soft_wrap=False,
    )
    verdict = Text(f"{t('check.render.verdict', lang)}: ", style="bold")
    verdict.append(visible(report.verdict), style=SYMBOLS[report.worst_status][1])
    console.print(verdict)
    problems = [f for f in report.findings if f.status in (Status.FAIL, Status.WARN)]
    if problems:
        console.print(Text(f"\n{t('check.render.top_findings', lang)}:", style="bold"))
        for finding in problems[:TOP_FINDINGS]:
            console.print(Text("  ").append(_finding_text(finding, lang, with_subject=True)))
        if len(problems) > TOP_FINDINGS:
            console.print(Text(f"  ... +{len(problems) - TOP_FINDINGS}", style="dim"))
    console.print()
    root = Tree(Text(visible(report.target), style="bold"), guide_style="dim")
    for step in report.steps:
        _add_step(root, step, lang, verbose)
    console.print(root)
    if verbose or transcript:
        console.print(Group(*_transcripts(report)))
    console.print(
        Text(
            f"\n{t('check.render.exit', lang, code=report.exit_code)}"
            f" · {report.duration_ms / 1000:.1f} s",
            style="dim",
        )
    )
