"""What the Italian user reads is Italian: the demo, `check` (against the sink through the
demo and against Postfix), `send` (accepted and refused, and a refused connection),
`mx` and `explain`, each run in Italian as a user types it, against real servers on
loopback (Postfix, our sink, dnsmasq).

A word fails the test when it is English and not one of: a protocol token, a name, or
text the server sent (transcripts and quoted replies are taken out first). "English" is
what the English catalogues say and the Italian ones never do, plus common English
words (`COMMON_ENGLISH`) that code might print around the catalogue. The allow-list
(`ALLOWED`) is small and each entry says why.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from peers.dnsmasq import Dnsmasq
from peers.postfix import PostfixPeer
from smtpcheck.knowledge import _data
from smtpcheck.knowledge.i18n import tn

SMTPCHECK = [sys.executable, "-m", "smtpcheck"]

# Words common in English text that a program prints around its messages.
_COMMON = """
    the of to and is are was were be been with for from on at by this that these those it
    its not no yes or but if then than when while into onto over under after before about
    connected connection connect refused timed out started start lines line sent received
    warning error failed failure success passed pass fail warn skipped info details
    message messages bytes byte arrived port ports host hosts certificate peer subject issuer
    recipient recipients sender delivery accepted rejected deferred exit code status result
    mail goes named lowest preference first records record given local set none unknown
    chunk final dot trying next new old closed closing child process output waiting
"""
COMMON_ENGLISH = set(_COMMON.split())

# Not Italian words, yet right in Italian output. Keep it short; each line says why.
ALLOWED = {
    # protocol tokens and acronyms (commands, EHLO keywords, standards), as written
    "ehlo", "helo", "mail", "rcpt", "data", "quit", "rset", "starttls", "auth", "bdat",
    "from", "to", "tls", "smtp", "esmtp", "dns", "mx", "ptr", "ipv", "spf", "dkim",
    "dmarc", "dsn", "ttl", "fqdn", "ca", "rfc", "notify", "ret", "envid", "size",
    "pipelining", "chunking", "xrdst", "exps", "anonymoustls", "enhancedstatuscodes",
    "bitmime", "binarymime", "smtputf", "login", "plain", "ntlm", "gssapi", "ok",
    # names: products, vendors, the program and its commands
    "smtpcheck", "exchange", "microsoft", "postfix", "exim", "gmail", "outlook",
    "send", "check", "explain", "demo", "console", "sink", "receive",
    # terms Italian mail administrators use as they are
    "server", "host", "relay", "banner", "handshake", "record", "standard", "catch",
    "all", "open", "greylisting", "tarpitting", "firewall", "provider", "log", "spam",
    "cipher", "suite", "resolver", "flag", "hash", "bit", "ms", "s",
}  # fmt: skip

_TRANSCRIPT = re.compile(r"^ *(?:->|~>|<-|<~|<\*\*|<~\*|\|) ")
# A reply quoted in a sentence: its code, the enhanced code, then the server's text to
# the end of the line (an explanation's own "550 5.1.1: ..." summary is not a quote).
_QUOTED_REPLY = re.compile(r"\b[2-5]\d\d(?>(?: [245]\.\d{1,3}\.\d{1,3})?) [^:\n(][^\n]*")
_SINGLE_QUOTED = re.compile(r"(?<![\w])'[^'\n]+'(?![\w])")
_TECHNICAL = re.compile(r"\S*[@<>/=_\[\]]\S*|--[\w-]+|\b[\w-]+(?:\.[\w-]+)+\b|\S*\d\S*")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def _catalogue_words(lang: str) -> set[str]:
    words: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, str):  # ALL-CAPS tokens (REFUSED, NXDOMAIN) prove nothing
            found = _WORD.findall(_TECHNICAL.sub(" ", re.sub(r"\{[^{}]*\}", " ", node)))
            words.update(w.lower() for w in found if not (w.isupper() and len(w) > 1))
        elif isinstance(node, dict):
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for name in _data.LANGUAGE_FILES:
        walk(_data.language_file(lang, name))
    return words


@cache
def english_only() -> frozenset[str]:
    italian = _catalogue_words("it")
    return frozenset((_catalogue_words("en") | COMMON_ENGLISH) - italian - ALLOWED)


def english_words(output: str) -> list[tuple[str, str]]:
    """(word, line) for every English word left once server text is taken out."""
    found = []
    for line in output.splitlines():
        if _TRANSCRIPT.match(line) or line.startswith("$ smtpcheck "):
            continue  # what went over the wire, and the command line the demo shows
        text = _QUOTED_REPLY.sub(" ", line)
        text = _SINGLE_QUOTED.sub(" ", text)
        text = _TECHNICAL.sub(" ", text)
        for word in _WORD.findall(text):
            if word.lower() in english_only():
                found.append((word, line))
    return found


def run(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LANGUAGE")}
    env.update(NO_COLOR="1", COLUMNS="400", LANG="it_IT.UTF-8")
    proc = subprocess.run(
        [*SMTPCHECK, *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout + proc.stderr


def assert_italian(output: str) -> None:
    english = english_words(output)
    shown = "\n".join(f"{word!r} in: {line.strip()}" for word, line in english[:15])
    assert not english, f"English in the Italian output:\n{shown}"


# ---- the detector itself ------------------------------------------------------------


def test_the_detector_finds_english_and_spares_quotes_and_tokens() -> None:
    assert [w for w, _ in english_words("=== Connected to 127.0.0.1 port 25")] == [
        "Connected",
        "port",
    ]
    assert {w for w, _ in english_words("*** connect: 127.0.0.1 port 25: connection refused")} >= {
        "connection",
        "refused",
    }
    assert english_words("! WARN Record MX di example.test") != []
    assert english_words("Il mittente <a@b.test> è stato rifiutato: 530 5.7.1 Client was not") == []
    assert english_words("530 5.7.1: Autenticazione richiesta (errore permanente)") == []
    assert english_words("Estensioni: SIZE PIPELINING STARTTLS") == []
    assert english_words("Demo conclusa: 1 messages catturati") != []


# ---- the commands, in Italian -----------------------------------------------------------


@pytest.fixture(scope="module")
def demo_output() -> str:
    return run("demo", "--lang", "it")


def test_demo(demo_output: str) -> None:
    assert "Demo conclusa: 1 messaggio catturato" in demo_output
    assert_italian(demo_output)


def test_check_against_postfix(postfix: PostfixPeer, dnsmasq: Dnsmasq) -> None:
    good = run(
        "check", "alice@example.test", "--server", f"127.0.0.1:{postfix.main_port}",
        "--tls-ca", str(postfix.ca_file), "--lang", "it",
    )  # fmt: skip
    assert "La posta per alice@example.test funziona: 1 indirizzo di server di posta su 1" in good
    assert_italian(good)
    # MX 10 refuses the connection, MX 20 is Postfix (mxfallback.test is its alias domain)
    fallback = run(
        "check", "alice@mxfallback.test", "--dns", dnsmasq.server, "--port",
        str(postfix.main_port), "--tls-ca", str(postfix.ca_file), "--lang", "it", "-v",
    )  # fmt: skip
    assert "ha rifiutato la connessione" in fallback
    assert_italian(fallback)
    unknown = run(
        "check", "nobody@example.test", "--server", f"127.0.0.1:{postfix.main_port}",
        "--tls-ca", str(postfix.ca_file), "--lang", "it",
    )  # fmt: skip
    assert "non può essere consegnata" in unknown
    assert_italian(unknown)


def test_send_accepted_refused_and_no_connection(postfix: PostfixPeer) -> None:
    server = f"127.0.0.1:{postfix.main_port}"
    accepted = run(
        "send", "--server", server, "--from", "chris@example.test", "--to", "alice@example.test",
        "--tls", "--lang", "it",
    )  # fmt: skip
    assert "Messaggio accettato per la consegna. (codice di uscita 0)" in accepted
    assert_italian(accepted)
    partly = run(
        "send", "--server", server, "--from", "chris@example.test",
        "--to", "alice@example.test,nobody@example.test", "--lang", "it",
    )  # fmt: skip
    assert "1 destinatario su 2 rifiutato: nobody@example.test" in partly
    assert_italian(partly)
    refused = run(
        "send", "--server", server, "--from", "chris@example.test", "--to", "x@remote.test",
        "--lang", "it",
    )  # fmt: skip
    assert "Relay non consentito" in refused
    assert_italian(refused)
    nobody_listens = run(
        "send", "--server", "127.0.0.1:9", "--from", "chris@example.test", "--to",
        "alice@example.test", "--lang", "it",
    )  # fmt: skip
    assert "connessione rifiutata" in nobody_listens.lower()
    assert_italian(nobody_listens)


def test_mx(dnsmasq: Dnsmasq) -> None:
    for domain in ("example.test", "nullmx.test", "dangling.test", "cnamemx.test"):
        assert_italian(run("mx", domain, "--dns", dnsmasq.server, "--lang", "it"))


EXPLAINED = [
    "550", "5.1.1", "421", "--step rcpt 452", "CHUNKING", "X-ANONYMOUSTLS",
    "Relay access denied", "530 5.7.1 Client was not authenticated",
    "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    "501 5.1.3 Bad recipient address syntax", "--connection refused", "FOOBAR",
    "--ehlo AUTH PLAIN LOGIN",
]  # fmt: skip


@pytest.mark.parametrize("query", EXPLAINED)
def test_explain(query: str) -> None:
    *options, last = query.split(" ") if query.startswith("--") else ("", query)
    args = [o for o in options if o]
    if query.startswith("--ehlo"):
        args, last = ["--ehlo"], query[len("--ehlo ") :]
    assert_italian(run("explain", "--lang", "it", *args, last))


# ---- plural forms for 0, 1 and 2 -----------------------------------------------------------


def _plural_keys() -> Iterator[str]:
    from smtpcheck.knowledge.i18n import is_plural_entry

    def walk(node: Any, prefix: str) -> Iterator[str]:
        if is_plural_entry(node):
            yield prefix
        elif isinstance(node, dict):
            for key, child in node.items():
                yield from walk(child, f"{prefix}.{key}" if prefix else key)

    yield from walk(_data.language_file("it", "messages"), "")


@pytest.mark.parametrize("key", sorted(_plural_keys()))
def test_plural_forms_for_0_1_2(key: str) -> None:
    facts = {"total": 2, "addresses": "x@y.test", "refused": "x@y.test (ok)",
             "of_total": "su 2", "date": "1999-11-11", "domain": "example.test",
             "target": "a@example.test", "root": "/tmp/store"}  # fmt: skip
    for lang in ("it", "en"):
        zero, one, two = (tn(key, n, lang, **facts) for n in (0, 1, 2))
        assert zero.replace("0", "2") == two, (zero, two)  # 0 and 2 take the same form
        forms = _data.language_file(lang, "messages")
        for part in key.split("."):
            forms = forms[part]
        if forms["one"] != forms["other"]:  # "su {count}" is the same for any number
            assert one != two.replace("2", "1"), (one, two)  # 1 takes its own form
        if lang == "it":
            assert_italian(one)
            assert_italian(two)
