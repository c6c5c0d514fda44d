"""`smtpcheck mx` end to end, as a user types it, against dnsmasq on loopback.

The DNS peers live in tests/peers/dnsmasq.py; the session fixture `dnsmasq`
(tests/conftest.py) runs the one dnsmasq. Every command passes --dns: the system
resolver is never asked. The locale is pinned to C unless a test sets it, so English is
the default whatever the machine's is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from peers import dnsmasq as dnspeer
from peers.process import ipv6_loopback_usable

SMTPCHECK = str(Path(sys.executable).with_name("smtpcheck"))


@pytest.fixture(scope="module")
def dns_server(dnsmasq: dnspeer.Dnsmasq) -> str:
    """The --dns value of the session's dnsmasq; FAILS (never skips) without dnsmasq."""
    return dnsmasq.server


@pytest.fixture
def scripted(scripted_dns: dnspeer.ScriptedDns) -> dnspeer.ScriptedDns:
    """`scripted(handler, host="127.0.0.1")`: a started scripted DNS server."""
    return scripted_dns


def smtpcheck(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    dropped = ("COLUMNS", "FORCE_COLOR", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    environment["LANG"] = "C.UTF-8"
    environment.update(env or {"NO_COLOR": "1"})
    return subprocess.run(
        [SMTPCHECK, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        stdin=subprocess.DEVNULL,
    )


def mx_json(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    done = smtpcheck("mx", *args, "--output", "json", env=env)
    assert done.stderr == ""
    return done.returncode, json.loads(done.stdout)


def test_text_report_for_an_mx_set(dns_server: str) -> None:
    done = smtpcheck("mx", "example.test", "--dns", dns_server)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    assert f"Mail for example.test  [DNS: {dns_server}]" in out
    positions = [out.index(name) for name in ("mx1.example.test", "mx2", "mx3.example.test")]
    assert positions == sorted(positions)
    for address in ("127.0.0.11", "::1", "127.0.0.21", "127.0.0.31"):
        assert address in out
    assert "300s" in out
    assert "=20" in out  # the second host of preference 20 is marked as an equal
    assert "Result: mail can be delivered (4 usable hosts of 4, 5 addresses)." in out
    assert "DNSSEC: not validated" in out
    assert "\x1b[" not in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_json_report_for_an_mx_set(dns_server: str) -> None:
    code, report = mx_json("kate@example.test", "--dns", dns_server)
    assert code == 0
    assert report["schema"] == "smtpcheck.mx/1"
    assert report["domain"] == "example.test"
    assert report["status"] == "mx"
    assert report["deliverable"] is True
    assert report["exit_code"] == 0
    assert report["query"] == {"dns_server": dns_server, "timeout": 5.0, "family": None}
    assert [h["preference"] for h in report["hosts"]] == [10, 20, 20, 30]
    first = report["hosts"][0]
    assert first["exchange"] == "mx1.example.test"
    assert first["addresses"] == [
        {"ip": "127.0.0.11", "family": 4, "ttl": 300},
        {"ip": "::1", "family": 6, "ttl": 300},
    ]
    assert first["ipv4"]["status"] == "ok"
    assert first["ttl"] == 300
    assert report["mx_lookup"]["type"] == "MX"
    assert len(report["mx_lookup"]["records"]) == 4
    assert report["findings"] == []


@pytest.mark.parametrize(
    ("domain", "code", "status", "text"),
    [
        ("nullmx.test", 2, "null_mx", "accepts no mail (RFC 7505)"),
        ("nosuch.test", 2, "nxdomain", "does not exist (NXDOMAIN)"),
        ("txtonly.test", 2, "no_mail_records", "no MX, A or AAAA record"),
        ("dangling.test", 2, "mx", "nowhere.dangling.test does not exist"),
        ("iplit.test", 2, "mx", "192.0.2.1 is an IP address written as a name"),
        ("implicit.test", 0, "implicit_mx", "implicit MX"),
        ("cnamemx.test", 0, "mx", "is an alias (CNAME) of"),
        ("mixed.test", 0, "mx", "null MX ('0 .') is published together"),
    ],
)
def test_outcomes_and_exit_codes(
    dns_server: str, domain: str, code: int, status: str, text: str
) -> None:
    done = smtpcheck("mx", domain, "--dns", dns_server)
    assert done.returncode == code
    assert done.stderr == ""
    assert text in " ".join(done.stdout.split())  # rich wraps long lines
    json_code, report = mx_json(domain, "--dns", dns_server)
    assert (json_code, report["status"], report["exit_code"]) == (code, status, code)


def test_json_findings(dns_server: str) -> None:
    _, report = mx_json("cnamemx.test", "--dns", dns_server)
    (finding,) = report["findings"]
    assert finding["code"] == "mx-cname"
    assert finding["severity"] == "warning"
    assert finding["host"] == "alias.cnamemx.test"
    assert report["hosts"][0]["canonical_name"] == "real.cnamemx.test."


def test_family_filters(dns_server: str) -> None:
    code, report = mx_json("example.test", "--dns", dns_server, "-6")
    assert code == 0
    assert report["query"]["family"] == 6
    families = {a["family"] for h in report["hosts"] for a in h["addresses"]}
    assert families == {6}
    done = smtpcheck("mx", "v6only.test", "--dns", dns_server, "-4")
    assert done.returncode == 2
    assert "has IPv6 only" in done.stdout
    assert "Only IPv4 addresses are shown (-4)." in done.stdout


def test_idn_domain(dns_server: str) -> None:
    code, report = mx_json("bücher.test", "--dns", dns_server)
    assert code == 2
    assert report["domain"] == "xn--bcher-kva.test"
    assert report["display_domain"] == "bücher.test"
    done = smtpcheck("mx", "bücher.test.", "--dns", dns_server)
    assert "bücher.test (xn--bcher-kva.test)" in done.stdout


@pytest.mark.parametrize(
    ("rcode", "status", "word"),
    [
        ("SERVFAIL", "servfail", "SERVFAIL"),
        ("REFUSED", "refused", "REFUSED"),
    ],
)
def test_dns_failures_exit_3_with_one_line_error(
    scripted: Any, rcode: str, status: str, word: str
) -> None:
    import dns.rcode

    server = scripted(dnspeer.rcode_handler(dns.rcode.from_text(rcode)))
    done = smtpcheck("mx", "example.test", "--dns", server.server, "--timeout", "2")
    assert done.returncode == 3
    error_lines = done.stderr.splitlines()
    assert len(error_lines) == 1
    assert error_lines[0].startswith("smtpcheck mx: error: MX lookup of example.test failed:")
    assert word in error_lines[0]
    assert "Result: unknown - DNS failed" in done.stdout
    code, report = mx_json("example.test", "--dns", server.server, "--timeout", "2")
    assert (code, report["status"]) == (3, status)


def test_timeout_exits_3_within_the_deadline(scripted: Any) -> None:
    server = scripted(dnspeer.silent_handler)
    done = smtpcheck("mx", "example.test", "--dns", server.server, "--timeout", "0.5")
    assert done.returncode == 3
    assert "did not answer before the deadline (no answer within 0.5 s)" in done.stderr
    assert "Traceback" not in done.stderr


def test_address_lookup_failure_exits_3(scripted: Any) -> None:
    server = scripted(dnspeer.mx_then_servfail_handler)
    code, report = mx_json("broken.test", "--dns", server.server, "--timeout", "2")
    assert code == 3
    assert report["status"] == "mx"
    assert report["deliverable"] is False
    assert report["hosts"][0]["ipv4"]["status"] == "servfail"
    done = smtpcheck("mx", "broken.test", "--dns", server.server, "--timeout", "2")
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1
    assert "address lookups of broken.test's mail hosts failed" in done.stderr
    assert "the A lookup of mx.broken.test failed" in " ".join(done.stdout.split())


def test_ad_flag_shown_over_ipv6_server(scripted: Any) -> None:
    if not ipv6_loopback_usable():
        pytest.fail("this machine has no ::1; the DNS tests expect an IPv6 loopback")
    server = scripted(dnspeer.validating_handler, host="::1")
    done = smtpcheck("mx", "signed.test", "--dns", server.server)
    assert done.returncode == 0
    assert "DNSSEC: validated by the resolver (AD flag set)." in done.stdout
    assert f"[DNS: {server.server}]" in done.stdout
    _, report = mx_json("signed.test", "--dns", server.server)
    assert report["authenticated"] is True


def test_colour_follows_no_color(dns_server: str) -> None:
    coloured = smtpcheck("mx", "example.test", "--dns", dns_server, env={"FORCE_COLOR": "1"})
    assert "\x1b[32m" in coloured.stdout  # the green verdict
    plain = smtpcheck(
        "mx", "example.test", "--dns", dns_server, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}
    )
    assert "\x1b[32m" not in plain.stdout
    assert "\x1b[3" not in plain.stdout  # no foreground colour at all


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["foo..bar"], "smtpcheck mx: error: invalid domain 'foo..bar': it has an empty label"),
        (["192.0.2.1"], "that is an IP address; give a domain name"),
        (["@example.test"], "nothing before '@'"),
        (["example.test", "--dns", "dns.example"], "invalid DNS server 'dns.example'"),
        (["example.test", "--dns", "127.0.0.1:0"], "port must be 1-65535"),
        (["example.test", "--timeout", "0"], "Invalid value for '--timeout'"),
        (["example.test", "--timeout", "soon"], "Invalid value for '--timeout'"),
        (["example.test", "--output", "xml"], "Invalid value for '--output'"),
        ([], "Missing argument 'DOMAIN'"),
        (["example.test", "--bogus"], "No such option '--bogus'"),
    ],
)
def test_usage_errors_exit_1_without_traceback(args: list[str], message: str) -> None:
    done = smtpcheck("mx", *args)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_help_documents_exit_codes() -> None:
    done = smtpcheck("mx", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for line in (
        "0 mail can be delivered",
        "1 usage error",
        "2 the domain takes no mail",
        "3 DNS failure: SERVFAIL, timeout",
        "--dns IP[:PORT]",
        "--timeout SECONDS",
        "--lang [en|it]",
    ):
        assert line in text


# ---- English JSON additions and Italian (--lang it, LANG=it_IT.UTF-8) ----------------


def test_json_findings_carry_title_and_fix(dns_server: str) -> None:
    _, report = mx_json("cnamemx.test", "--dns", dns_server)
    assert report["lang"] == "en"
    assert report["advice"].startswith("Nothing to change in DNS")
    (finding,) = report["findings"]
    assert finding["title"] == "MX points at an alias"
    assert finding["fix"] == "Change the MX record to point at real.cnamemx.test itself."
    assert report["mx_lookup"]["meaning"] == "answer received"


def test_italian_text_report(dns_server: str) -> None:
    done = smtpcheck("mx", "example.test", "--dns", dns_server, "--lang", "it")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = " ".join(done.stdout.split())
    assert f"Posta per example.test [DNS: {dns_server}]" in out
    assert "La posta va ai server indicati dai record MX" in out
    for column in ("Pref.", "Server di posta", "Indirizzo", "TTL"):
        assert column in out
    assert "TTL dei record MX: 300s." in out
    assert "'=' indica un host con la stessa preferenza" in out
    assert "Esito: la posta può essere consegnata (4 host utilizzabili su 4, 5 indirizzi)." in out
    assert "DNSSEC: risposta non validata" in out
    for english in ("Result:", "Mail for", "Exchange", "Address", "not validated"):
        assert english not in out
    assert max(len(line) for line in done.stdout.splitlines()) <= 80


@pytest.mark.parametrize(
    ("domain", "code", "texts"),
    [
        ("nullmx.test", 2, ["Il dominio pubblica un MX nullo: non accetta posta",
                            "Record MX: 0 .", "Cosa fare: Se il dominio deve ricevere posta",
                            "Esito: a questo dominio non si può consegnare posta."]),
        ("nosuch.test", 2, ["Il dominio non esiste (NXDOMAIN).",
                            "Controllare come è scritto il dominio."]),
        ("txtonly.test", 2, ["non ha nessun record MX, A o AAAA"]),
        ("dangling.test", 2, ["! avviso: l'host MX nowhere.dangling.test non esiste (NXDOMAIN): "
                              "questo record MX è inutilizzabile",
                              "Cosa fare: Creare i record A/AAAA di nowhere.dangling.test",
                              "x errore: nessun host MX ha un indirizzo IPv4 o IPv6",
                              "nessun indirizzo: A NXDOMAIN, AAAA NXDOMAIN"]),
        ("iplit.test", 2, ["l'host MX 192.0.2.1 è un indirizzo IP scritto come nome"]),
        ("implicit.test", 0, ["Nessun record MX: i mittenti consegnano all'indirizzo del "
                              "dominio stesso (MX implicito, RFC 5321 §5.1).",
                              "i info: implicit.test non ha record MX", "implicito"]),
        ("cnamemx.test", 0, ["è un alias (CNAME) di real.cnamemx.test",
                             "Cosa fare: Modificare il record MX perché punti "
                             "direttamente a real.cnamemx.test."]),
        ("mixed.test", 0, ["è pubblicato un MX nullo ('0 .') insieme ad altri record MX"]),
    ],
)  # fmt: skip
def test_italian_outcomes(dns_server: str, domain: str, code: int, texts: list[str]) -> None:
    done = smtpcheck("mx", domain, "--dns", dns_server, "--lang", "it")
    assert done.returncode == code
    assert done.stderr == ""
    out = " ".join(done.stdout.split())
    for text in texts:
        assert text in out


def test_italian_json_keeps_codes_and_translates_words(dns_server: str) -> None:
    code, report = mx_json("dangling.test", "--dns", dns_server, "--lang", "it")
    assert code == 2
    assert report["schema"] == "smtpcheck.mx/1"
    assert report["lang"] == "it"
    assert (report["status"], report["exit_code"], report["deliverable"]) == ("mx", 2, False)
    assert report["meaning"].startswith("la posta va ai server indicati dai record MX")
    assert report["query"]["dns_server"] == dns_server
    dangling, unusable = report["findings"]
    assert (dangling["code"], dangling["severity"]) == ("mx-dangling", "warning")
    assert dangling["host"] == "nowhere.dangling.test"
    assert dangling["title"] == "Il record MX punta a un nome senza indirizzo"
    assert dangling["message"] == (
        "l'host MX nowhere.dangling.test non esiste (NXDOMAIN): questo record MX è inutilizzabile"
    )
    assert dangling["fix"].startswith("Creare i record A/AAAA di nowhere.dangling.test")
    assert unusable["code"] == "no-usable-host"
    assert unusable["message"].endswith("la posta non può essere consegnata")
    host = report["hosts"][0]
    assert host["ipv4"]["status"] == "nxdomain"
    assert host["ipv4"]["meaning"] == "il nome non esiste (NXDOMAIN)"
    _, null = mx_json("nullmx.test", "--dns", dns_server, "--lang", "it")
    assert null["status"] == "null_mx"
    assert null["meaning"].endswith("il dominio pubblica un MX nullo: non accetta posta (RFC 7505)")
    assert null["advice"].startswith("Se il dominio deve ricevere posta")


@pytest.mark.parametrize("variable", ["LANG", "LC_ALL", "LANGUAGE"])
def test_language_from_the_locale(dns_server: str, variable: str) -> None:
    env = {"NO_COLOR": "1", variable: "it_IT.UTF-8"}
    done = smtpcheck("mx", "nosuch.test", "--dns", dns_server, env=env)
    assert done.returncode == 2
    assert "Il dominio non esiste (NXDOMAIN)." in done.stdout
    _, report = mx_json("nosuch.test", "--dns", dns_server, env=env)
    assert (report["lang"], report["meaning"]) == ("it", "il dominio non esiste (NXDOMAIN)")
    english = smtpcheck("mx", "nosuch.test", "--dns", dns_server, "--lang", "en", env=env)
    assert "The domain does not exist (NXDOMAIN)." in english.stdout


def test_italian_dns_failure_lines(scripted: Any) -> None:
    import dns.rcode

    server = scripted(dnspeer.rcode_handler(dns.rcode.SERVFAIL))
    args = ("mx", "example.test", "--dns", server.server, "--timeout", "2", "--lang", "it")
    done = smtpcheck(*args)
    assert done.returncode == 3
    (line,) = done.stderr.splitlines()
    assert line.startswith(
        "smtpcheck mx: errore: ricerca MX di example.test fallita: il server DNS ha restituito "
        "un errore (SERVFAIL)"
    )
    out = " ".join(done.stdout.split())
    assert "Esito: sconosciuto - risoluzione DNS fallita" in out
    assert "Cosa fare: Risoluzione DNS non riuscita: riprovare più tardi." in out
    silent = scripted(dnspeer.silent_handler)
    done = smtpcheck(
        "mx", "example.test", "--dns", silent.server, "--timeout", "0.5", "--lang", "it"
    )
    assert done.returncode == 3
    assert "non ha risposto entro il tempo massimo (nessuna risposta entro 0.5 s)" in done.stderr
    assert "Dettaglio: nessuna risposta entro 0.5 s" in done.stdout


def test_italian_address_lookup_failure(scripted: Any) -> None:
    server = scripted(dnspeer.mx_then_servfail_handler)
    done = smtpcheck("mx", "broken.test", "--dns", server.server, "--timeout", "2", "--lang", "it")
    assert done.returncode == 3
    assert done.stderr == (
        "smtpcheck mx: errore: la risoluzione degli indirizzi dei server di posta di "
        "broken.test è fallita (vedere gli avvisi)\n"
    )
    out = " ".join(done.stdout.split())
    failed = (
        "la ricerca del record A di mx.broken.test non è riuscita: il server DNS non è riuscito"
    )
    assert failed in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["foo..bar"], "errore: dominio 'foo..bar' non valido: contiene un'etichetta vuota"),
        (["192.0.2.1"], "è un indirizzo IP; indicare un nome di dominio"),
        (["@example.test"], "manca la parte prima della '@'"),
        (["example.test", "--dns", "dns.example"], "server DNS 'dns.example' non valido"),
        (["example.test", "--dns", "127.0.0.1:0"], "la porta deve essere compresa tra 1 e 65535"),
    ],
)  # fmt: skip
def test_italian_usage_errors(args: list[str], message: str) -> None:
    done = smtpcheck("mx", *args, "--lang", "it")
    assert done.returncode == 1
    assert message in done.stderr
    assert done.stderr.count("\n") == 1
    assert done.stdout == ""
