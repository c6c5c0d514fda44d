"""The body of `smtpcheck demo`, imported only when the demo runs."""

from __future__ import annotations

import asyncio
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from smtpcheck.cli.send_runner import render_end
from smtpcheck.knowledge.i18n import pick_language, t
from smtpcheck.net.transcript import Transcript
from smtpcheck.report.live import LiveView
from smtpcheck.scenarios.send import run_send
from smtpcheck.scenarios.send_options import SendOptions
from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.personas import get_persona
from smtpcheck.sink.rules import Rule, RuleSet, parse_reply
from smtpcheck.sink.server import SinkServer

HOSTNAME = "mail1.fabrikam.com"


@dataclass(frozen=True)
class Case:
    key: str  # messages.toml key under demo.case
    sender: str = "chris@contoso.com"
    recipient: str = "kate@fabrikam.com"
    ehlo: str = "mail.contoso.com"
    closed_port: bool = False
    expected_exit: int = 0


CASES = (
    Case("success"),
    Case("unknown_recipient", recipient="nobody@fabrikam.com", expected_exit=24),
    Case("anonymous", sender="chris@outside.example", expected_exit=23),
    Case("bad_ehlo", ehlo="bad..host", expected_exit=22),
    Case("refused", closed_port=True, expected_exit=2),
)


def demo_rules() -> RuleSet:
    """The failures of the seed article, as the sink's rules."""
    return RuleSet(
        rules=[
            Rule(
                command="EHLO",
                match="bad..host",
                reply=parse_reply("501 5.5.4 Invalid domain name"),
            ),
            Rule(
                command="HELO",
                match="bad..host",
                reply=parse_reply("501 5.5.4 Invalid domain name"),
            ),
            Rule(
                command="MAIL",
                match="*@outside.example",
                reply=parse_reply("530 5.7.1 Client was not authenticated"),
            ),
            Rule(
                command="RCPT",
                match="nobody@fabrikam.com",
                reply=parse_reply("550 5.1.1 User unknown"),
            ),
        ]
    )


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _run(lang: str, explain: bool, store: Path) -> int:
    config = SinkConfig(
        host="127.0.0.1",
        port=0,
        hostname=HOSTNAME,
        store_dir=store,
        durable=False,
        persona=get_persona("exchange"),
        rules=demo_rules(),
        auth=False,
    )
    failures = 0
    async with SinkServer(config) as sink:
        for number, case in enumerate(CASES, 1):
            title = t(f"demo.case.{case.key}", lang)
            print(f"\n{'=' * 78}\n{number}. {title}\n{'=' * 78}")
            port = _closed_port() if case.closed_port else sink.port
            options = SendOptions(
                server=f"127.0.0.1:{port}",
                ehlo=case.ehlo,
                sender=case.sender,
                recipients=[case.recipient],
                timeout=5.0,
                lang=lang,
                headers=["Subject: Test from Contoso"],
                body="This is a test message\\n",
            )
            transcript = Transcript()
            view = LiveView(sys.stdout, explain=explain)
            transcript.add_listener(view)
            report = await run_send(options, transcript)
            render_end(report, sys.stdout, view.colour, lang)
            if report.exit_code != case.expected_exit:
                failures += 1
        stored = len(sink.store.list_messages())
    print(f"\n{t('demo.done', lang, stored=stored)}")
    return 1 if failures else 0


def run_demo(lang: str | None, *, explain: bool = True) -> int:
    chosen = pick_language(lang)
    with tempfile.TemporaryDirectory(prefix="smtpcheck-demo-") as store:
        return asyncio.run(_run(chosen, explain, Path(store)))
