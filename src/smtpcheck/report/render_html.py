"""A `Report` as one self-contained HTML file, to attach to a ticket.

No script, no external resource: inline CSS, `<details>` to fold each step. Every piece
of text that came from a server, from DNS or from the user is escaped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from smtpcheck import __version__
from smtpcheck.knowledge.i18n import t
from smtpcheck.report.model import SCHEMA, Finding, Report, Status, Step

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:70rem;padding:0 1rem;color:#1d2329;line-height:1.45}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem}
.verdict{font-size:1.1rem;padding:.8rem 1rem;border-left:.4rem solid;border-radius:.3rem}
.badge{display:inline-block;min-width:3.6rem;text-align:center;font-size:.75rem;
font-weight:700;border-radius:.25rem;padding:.05rem .3rem;margin-right:.4rem;color:#fff}
.s-pass{background:#1f7a3a;border-color:#1f7a3a}.s-warn{background:#b26b00;border-color:#b26b00}
.s-fail{background:#b3261e;border-color:#b3261e}.s-info{background:#3b6ea8;border-color:#3b6ea8}
.s-skipped{background:#888;border-color:#888}
.verdict.s-pass{background:#e8f5ec}.verdict.s-warn{background:#fff4e0}
.verdict.s-fail{background:#fde8e7}.verdict.s-info,.verdict.s-skipped{background:#eef3f9}
.verdict{color:#1d2329}
ul.findings{list-style:none;padding-left:0}ul.findings li{margin:.4rem 0}
.fix{color:#444;margin-left:4.3rem;font-size:.92rem}
details{margin:.15rem 0 .15rem 1.2rem}summary{cursor:pointer}
.meta,.dim{color:#666;font-size:.85rem}
pre{background:#f4f5f7;padding:.6rem;overflow-x:auto;font-size:.8rem;white-space:pre-wrap}
.explanation{margin-left:1.5rem;font-size:.9rem}
"""


def _badge(status: Status, lang: str) -> str:
    label = t(f"check.render.status.{status.value}", lang)
    return f'<span class="badge s-{status.value}">{escape(label)}</span>'


def _finding(finding: Finding, lang: str, *, with_subject: bool) -> str:
    subject = (
        f"<strong>{escape(finding.subject)}</strong>: " if with_subject and finding.subject else ""
    )
    fix = ""
    if finding.fix and finding.status in (Status.FAIL, Status.WARN):
        fix = (
            f'<div class="fix"><strong>{escape(t("check.render.fix", lang))}:</strong> '
            f"{escape(finding.fix)}</div>"
        )
    return (
        f'<li class="finding" data-code="{escape(finding.code)}">'
        f"{_badge(finding.status, lang)}{subject}{escape(finding.message)}{fix}</li>"
    )


def _step(step: Step, lang: str) -> str:
    parts = [
        f'<details class="step" data-name="{escape(step.name)}"'
        f' data-status="{step.status.value}"'
        + (" open" if step.status in (Status.FAIL, Status.WARN) else "")
        + ">"
    ]
    summary = f"{_badge(step.status, lang)}{escape(step.title)}"
    if step.reply is not None:
        first = step.reply.lines[0] if step.reply.lines else ""
        summary += f' <span class="dim">{step.reply.code} {escape(first)}</span>'
    elif step.detail:
        summary += f' <span class="dim">{escape(step.detail)}</span>'
    if step.duration_ms is not None:
        summary += f' <span class="dim">{step.duration_ms:.0f} ms</span>'
    parts.append(f"<summary>{summary}</summary>")
    if step.command:
        parts.append(
            f'<div class="dim">{escape(t("check.render.sent", lang))}: '
            f"<code>{escape(step.command)}</code></div>"
        )
    if step.reply is not None and len(step.reply.lines) > 1:
        text = "\n".join(f"{step.reply.code} {line}" for line in step.reply.lines)
        parts.append(f"<pre>{escape(text)}</pre>")
    if step.reply is not None and step.reply.meaning:
        parts.append(f'<div class="dim">{escape(step.reply.meaning)}</div>')
    if step.findings:
        parts.append('<ul class="findings">')
        parts += [_finding(f, lang, with_subject=False) for f in step.findings]
        parts.append("</ul>")
    if step.explanation is not None:
        parts.append(_explanation(step, lang))
    parts += [_step(child, lang) for child in step.children]
    if step.transcript:
        lines = []
        for line in step.transcript:
            marker = {"sent": "->", "received": "<-", "note": "==", "error": "**"}.get(
                line.direction, "  "
            )
            lines.append(f"{line.elapsed_ms:8.1f} {marker} {line.text.rstrip()}")
        parts.append(
            f'<details class="transcript"><summary>'
            f"{escape(t('check.render.transcript', lang))}</summary>"
            f"<pre>{escape(chr(10).join(lines))}</pre></details>"
        )
    parts.append("</details>")
    return "\n".join(parts)


def _explanation(step: Step, lang: str) -> str:
    assert step.explanation is not None
    out = [f'<div class="explanation"><strong>{escape(step.explanation.summary)}</strong>']
    for key, items in (("causes", step.explanation.causes), ("fixes", step.explanation.fixes)):
        if items:
            out.append(f"<div>{escape(t('check.render.' + key, lang))}:</div><ul>")
            out += [f"<li>{escape(item)}</li>" for item in items]
            out.append("</ul>")
    if step.explanation.next:
        out.append(f"<div>{escape(t('explain.next', lang))}: {escape(step.explanation.next)}</div>")
    out.append("</div>")
    return "\n".join(out)


def _when(started_at: str) -> str:
    """The report's own start time (ISO 8601) as "YYYY-MM-DD HH:MM UTC"; a renderer
    shows the data it is given, so rendering an old report again gives the same page."""
    try:
        moment = datetime.fromisoformat(started_at)
    except ValueError:
        return started_at or "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def render_html(report: Report, lang: str) -> str:
    """The whole report as an HTML document (a string)."""
    title = t("check.render.html_title", lang, target=report.target)
    worst = report.worst_status
    problems = [f for f in report.findings if f.status in (Status.FAIL, Status.WARN)]
    generated = t(
        "check.render.generated",
        lang,
        version=__version__,
        schema=SCHEMA,
        date=_when(report.started_at),
    )
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="verdict s-{worst.value}" id="verdict">{escape(report.verdict)}</p>',
        f"<h2>{escape(t('check.render.top_findings', lang))}</h2>",
    ]
    if problems:
        body.append('<ul class="findings" id="top-findings">')
        body += [_finding(f, lang, with_subject=True) for f in problems]
        body.append("</ul>")
    else:
        body.append(f'<p id="top-findings">{escape(t("check.render.no_problems", lang))}</p>')
    body.append(f'<h2>{escape(t("check.render.steps", lang))}</h2><div id="steps">')
    body += [_step(step, lang) for step in report.steps]
    body.append("</div>")
    body.append(
        f'<p class="meta">{escape(t("check.render.exit", lang, code=report.exit_code))}'
        f" · {report.duration_ms / 1000:.1f} s · {escape(generated)}</p>"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">\n"
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )
