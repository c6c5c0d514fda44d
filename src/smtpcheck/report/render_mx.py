"""The `mx` report for people (rich) and as its versioned JSON document.

The scenario (scenarios/mx.py) decided everything; this module lays it out: the
heading, the outcome in a sentence, the table of hosts and addresses, the notes, the
findings with their fixes, the verdict and the DNSSEC line. Names, records and details
come from DNS servers: they go through `visible()`. rich is imported when this module
is, which `smtpcheck mx --help` never does.
"""

from __future__ import annotations

from typing import IO, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from smtpcheck.knowledge.i18n import t
from smtpcheck.report.model import Report
from smtpcheck.report.visible import visible

#: the outcome's colour by exit code (0 deliverable, 3 DNS failure, else no mail)
_STYLES = {0: "green", 3: "yellow"}
_MARKS = {"error": ("x", "red"), "warning": ("!", "yellow"), "info": ("i", "cyan")}


def mx_document(report: Report) -> dict[str, Any]:
    """The `smtpcheck.mx/1` document (docs/json-mx.md)."""
    document: dict[str, Any] = report.data["mx"]
    return document


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def render_mx_text(report: Report, lang: str, stream: IO[str] | None = None) -> None:
    """Print the report for a person."""
    document, text = report.data["mx"], report.data["text"]
    console = Console(file=stream, highlight=False, soft_wrap=False)
    heading, _, rest = t("mx.heading", lang, name="\0", server=text["server"]).partition("\0")
    console.print(Text.assemble(heading, (visible(text["name"]), "bold"), rest))
    style = _STYLES.get(report.exit_code, "red")
    console.print(Text(_sentence(document["meaning"]), style=style))
    if text["detail"]:
        console.print(Text(t("mx.detail", lang, detail=visible(text["detail"])), style="dim"))
    if document["status"] == "null_mx":
        records = visible(", ".join(document["mx_lookup"]["records"]))
        console.print(Text(t("mx.mx_records", lang, records=records), style="dim"))
    if document["status"] != "mx":
        console.print(Text(t("mx.advice", lang, advice=document["advice"])))
    if document["hosts"]:
        console.print()
        console.print(_hosts_table(document["hosts"], text["no_address"], lang))
        for note in text["notes"]:
            console.print(Text(note, style="dim"))
    if document["findings"]:
        console.print()
        for finding in document["findings"]:
            mark, colour = _MARKS.get(finding["severity"], _MARKS["info"])
            severity = t(f"mx.severity.{finding['severity']}", lang)
            reference = f" [{finding['reference']}]" if finding["reference"] else ""
            line = Text.assemble(
                (f"{mark} {severity}: ", colour), visible(finding["message"]), (reference, "dim")
            )
            console.print(line)
            fix = t("mx.fix", lang, fix=visible(finding["fix"]))
            console.print(Text("  " + fix, style="dim"))
    console.print()
    console.print(Text(report.verdict, style=style))
    if document["authenticated"]:
        console.print(Text(t("mx.dnssec_validated", lang), style="green"))
    else:
        console.print(Text(t("mx.dnssec_not_validated", lang), style="dim"))


def _hosts_table(hosts: list[dict[str, Any]], no_address: list[str], lang: str) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, padding=(0, 2, 0, 0))
    table.add_column(t("mx.column.preference", lang), justify="right")
    table.add_column(t("mx.column.exchange", lang), overflow="fold")
    table.add_column(t("mx.column.address", lang), overflow="fold")
    table.add_column(t("mx.column.ttl", lang), justify="right")
    previous: int | None = None
    for host, reason in zip(hosts, no_address, strict=True):
        preference = host["preference"]
        label = t("mx.implicit", lang) if host["implicit"] else str(preference)
        if previous == preference and not host["implicit"]:
            label = f"={preference}"  # the same preference as the host above
        previous = preference
        exchange = visible(host["exchange"])
        if host["canonical_name"]:
            exchange += f"\n  -> CNAME {visible(host['canonical_name'].rstrip('.'))}"
        if reason:
            table.add_row(label, exchange, Text(reason, style="red"), "")
            continue
        for index, address in enumerate(host["addresses"]):
            ttl = "" if address["ttl"] is None else f"{address['ttl']}s"
            if index == 0:
                table.add_row(label, exchange, address["ip"], ttl)
            else:
                table.add_row("", "", address["ip"], ttl)
    return table
