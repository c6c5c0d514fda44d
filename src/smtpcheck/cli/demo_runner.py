"""The body of `smtpcheck demo`, imported only when the demo runs.

Everything on loopback, nothing left running: the capture server dressed as the
seed's Exchange server (mail1.fabrikam.com) with a certificate from a throw-away demo
CA, a built-in DNS server for fabrikam.com and contoso.com, and `check` run against
them for the successful session and for each classic failure.
"""

from __future__ import annotations

import asyncio
import datetime
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smtpcheck.cli.demo_dns import DemoDns
from smtpcheck.knowledge.i18n import pick_language, t, tn
from smtpcheck.report.render_text import render_text
from smtpcheck.scenarios.check.options import CheckOptions
from smtpcheck.scenarios.check.run import run_check
from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.personas import get_persona
from smtpcheck.sink.rules import Rule, RuleSet, parse_reply
from smtpcheck.sink.server import run_in_thread

HOSTNAME = "mail1.fabrikam.com"
NAMES = (HOSTNAME, "mail.contoso.com")


@dataclass(frozen=True)
class Case:
    key: str  # messages.toml key under demo.case
    target: str = "kate@fabrikam.com"
    options: dict[str, Any] = field(default_factory=dict)  # CheckOptions fields
    closed_port: bool = False
    transcript: bool = False
    expected_exit: int = 0


CASES = (
    Case("success", options={"send": True}, transcript=True),
    Case("unknown_recipient", target="nobody@fabrikam.com", expected_exit=4),
    Case("anonymous", options={"sender": "chris@outside.example"}, expected_exit=4),
    Case("bad_ehlo", options={"ehlo": "bad..host"}, expected_exit=4),
    Case("refused", target="chris@contoso.com", closed_port=True, expected_exit=4),
)


def demo_rules() -> RuleSet:
    """The failures of the seed article, and Exchange's answers to the probes."""
    reply = parse_reply
    return RuleSet(
        rules=[
            Rule(command="EHLO", match="bad..host", reply=reply("501 5.5.4 Invalid domain name")),
            Rule(command="HELO", match="bad..host", reply=reply("501 5.5.4 Invalid domain name")),
            Rule(
                command="MAIL",
                match="*@outside.example",
                reply=reply("530 5.7.1 Client was not authenticated"),
            ),
            Rule(
                command="RCPT", match="nobody@fabrikam.com", reply=reply("550 5.1.1 User unknown")
            ),
            Rule(
                command="RCPT",
                match="smtpcheck-nosuchuser-*",
                reply=reply(
                    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found "
                    "by SMTP address lookup"
                ),
            ),
            Rule(
                command="RCPT",
                match="*@example.com",
                reply=reply("550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain"),
            ),
        ]
    )


def make_demo_pki(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a certificate for the demo hosts: (chain, key, ca) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtpcheck demo CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTNAME)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in NAMES]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    chain, key_path, ca_path = directory / "chain.pem", directory / "key.pem", directory / "ca.pem"
    chain.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_path.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    ca_path.write_bytes(ca.public_bytes(pem))
    return chain, key_path, ca_path


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(lang: str, workdir: Path) -> int:
    chain, key, ca = make_demo_pki(workdir)
    config = SinkConfig(
        host="127.0.0.1",
        port=0,
        hostname=HOSTNAME,
        store_dir=workdir / "store",
        durable=False,
        persona=get_persona("exchange"),
        rules=demo_rules(),
        auth=False,
        tls_cert=chain,
        tls_key=key,
    )
    # The sink runs on its own loop in a thread, as a real server would be apart.
    with run_in_thread(config) as sink:
        failures = asyncio.run(_cases(lang, sink.port, ca))
        stored = len(sink.messages())
    print(f"\n{tn('demo.done', stored, lang)}")
    return 1 if failures else 0


async def _cases(lang: str, sink_port: int, ca: Path) -> int:
    failures = 0
    async with DemoDns() as dns_server:
        for number, case in enumerate(CASES, 1):
            title = t(f"demo.case.{case.key}", lang)
            print(f"\n{'=' * 78}\n{number}. {title}\n{'=' * 78}")
            port = _closed_port() if case.closed_port else sink_port
            shown = f"smtpcheck check {case.target} --port {port} --dns {dns_server.server}"
            print(f"$ {shown}\n")
            settings: dict[str, Any] = {
                "ehlo": "mail.contoso.com",
                "sender": "chris@contoso.com",
                "tls_ca": str(ca),
                "timeout": 5.0,
                "timeout_total": 30.0,
                **case.options,
            }
            options = CheckOptions(
                target=case.target, port=port, dns=dns_server.server, lang=lang, **settings
            )
            report = await run_check(options)
            render_text(report, sys.stdout, lang, transcript=case.transcript)
            if report.exit_code != case.expected_exit:
                failures += 1
    return failures


def run_demo(lang: str | None, *, explain: bool = True) -> int:
    """Run every case; 0 when each ended as expected. `explain` is kept for the CLI."""
    chosen = pick_language(lang)
    with tempfile.TemporaryDirectory(prefix="smtpcheck-demo-") as workdir:
        return _run(chosen, Path(workdir))
