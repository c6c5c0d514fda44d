"""`check --lang it` says everything in Italian, DNS outcomes included (the words come
from knowledge/, never from the dns layer's English)."""

from __future__ import annotations

from typing import Any

import pytest

from clirun import run_cli
from peers.dnsmasq import Dnsmasq, ScriptedDns, mx_then_servfail_handler


def check_json(dnsmasq: Dnsmasq, target: str, *extra: str) -> dict[str, Any]:
    result = run_cli(
        "check", target, "--dns", dnsmasq.server, "--timeout", "3", "--output", "json", *extra
    )
    assert result.code in (2, 3, 4), result.stdout[-2000:] + result.stderr
    return result.report


@pytest.mark.parametrize(
    ("target", "english", "italian"),
    [
        ("nobody@nullmx.test", "it accepts no mail", "non accetta posta (RFC 7505)"),
        ("nobody@txtonly.test", "no MX, A or AAAA record", "nessun record MX, A o AAAA"),
    ],
)
def test_the_domain_outcome_is_in_the_language_asked(
    dnsmasq: Dnsmasq, target: str, english: str, italian: str
) -> None:
    italian_report = check_json(dnsmasq, target, "--lang", "it")
    (mx_step,) = [s for s in italian_report["steps"] if s["name"] == "mx"]
    assert italian in mx_step["detail"]
    assert english not in str(italian_report)
    english_report = check_json(dnsmasq, target, "--lang", "en")
    (mx_step,) = [s for s in english_report["steps"] if s["name"] == "mx"]
    assert english in mx_step["detail"]


def test_a_failed_host_lookup_is_explained_in_the_language_asked(scripted_dns: ScriptedDns) -> None:
    server = scripted_dns(mx_then_servfail_handler)
    result = run_cli(
        "check",
        "kate@broken.test",
        "--dns",
        server.server,
        "--timeout",
        "3",
        "--output",
        "json",
        "--lang",
        "it",
    )
    assert result.code == 4, result.stdout[-2000:] + result.stderr
    (mx_step,) = [s for s in result.report["steps"] if s["name"] == "mx"]
    messages = [f["message"] for f in mx_step["findings"] if f["code"] == "mx-host-lookup-failed"]
    assert len(messages) == 2, mx_step["findings"]  # A and AAAA
    assert any("la ricerca del record A di mx.broken.test non è riuscita" in m for m in messages)
    assert not any("lookup" in m for m in messages), messages


def test_a_refused_domain_is_explained_in_the_language_asked() -> None:
    italian = run_cli("check", "kate@a..b", "--lang", "it")
    assert italian.code == 1
    assert italian.stderr == (
        "smtpcheck check: dominio 'kate@a..b' non valido: contiene un'etichetta vuota\n"
    )
    english = run_cli("check", "kate@a..b", "--lang", "en")
    assert english.stderr == "smtpcheck check: invalid domain 'kate@a..b': it has an empty label\n"
