"""Real Postfix sends to `smtpcheck receive` over loopback, with and without TLS, from
the lab's good address and from its listed, dynamic-looking one; the listener grades
each message against the planted truth. Then `receive list` and `show` read the store,
and `--analyze` on the same message saved to disk agrees."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from clirun import run_cli
from peers.dnsmasq import Dnsmasq
from peers.postfix_relay import RelayPostfix
from peers.process import running
from peers.receive_lab import DkimKey, build_message, dkim_sign
from peers.receive_listener import ThreadedListener, listening


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("receive-store")


@pytest.fixture(scope="module")
def listener(store: Path, lab_dns: Dnsmasq, zones_file: Path) -> Iterator[ThreadedListener]:
    with listening(store, lab_dns.server, zones_file) as threaded:
        yield threaded


@pytest.fixture(scope="module")
def relay(request: pytest.FixtureRequest, listener: ThreadedListener) -> Iterator[RelayPostfix]:
    yield from running(request, "Postfix (relay)", lambda: RelayPostfix(listener.port))


def submit(relay: RelayPostfix, message: bytes, recipient: str) -> None:
    with smtplib.SMTP("127.0.0.1", relay.main_port, timeout=20) as client:
        client.ehlo("submitter.test")
        client.sendmail("alice@sender.test", [recipient], message)


def codes(report) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.code for step in report.walk() for f in step.findings}


def test_postfix_over_tls_signed_message_passes(
    relay: RelayPostfix, listener: ThreadedListener, dkim_key: DkimKey
) -> None:
    message = dkim_sign(build_message(subject="over tls"), dkim_key)
    submit(relay, message, "bob@receive.test")
    report = listener.wait_for_report(lambda raw: b"Subject: over tls" in raw)
    found = codes(report)
    assert {"tls-used", "ptr-ok", "helo-ok", "spf-pass", "dkim-pass", "dmarc-pass"} <= found, found
    client = next(s for s in report.steps if s.name == "client")
    assert client.data["ip"] == "127.0.9.1" and client.data["helo"] == "mail.sender.test"
    assert client.data["tls"]["version"].startswith("TLSv1.")
    assert "dnsbl-listed" not in found


def test_postfix_without_tls_is_named(
    relay: RelayPostfix, listener: ThreadedListener, dkim_key: DkimKey
) -> None:
    message = dkim_sign(build_message(subject="in clear"), dkim_key)
    submit(relay, message, "bob@plain.receive.test")
    report = listener.wait_for_report(lambda raw: b"Subject: in clear" in raw)
    found = codes(report)
    assert "tls-not-used" in found and "tls-used" not in found
    tls_item = [f for s in report.walk() for f in s.findings if "comes over TLS" in f.message]
    assert tls_item and tls_item[0].code == "requirement-missed"


def test_postfix_from_a_listed_dynamic_address_without_date(
    relay: RelayPostfix, listener: ThreadedListener, store: Path, lab_dns: Dnsmasq, zones_file: Path
) -> None:
    message = build_message(subject="from the dynamic address", date=False, message_id=False)
    submit(relay, message, "bob@dyn.receive.test")
    report = listener.wait_for_report(lambda raw: b"Subject: from the dynamic address" in raw)
    found = codes(report)
    assert {"ptr-not-confirmed", "ptr-generic", "helo-not-fqdn", "dnsbl-listed"} <= found, found
    assert {"date-missing", "message-id-missing", "dkim-none"} <= found
    assert report.exit_code == 3

    listed = run_cli("receive", "list", "--store", str(store), "--output", "json")
    assert listed.code == 0, listed.stderr
    rows = listed.report["messages"]
    row = next(r for r in rows if r["subject"] == "from the dynamic address")
    assert row["status"] == "fail" and row["requirements_missed"] >= 1
    shown = run_cli("receive", "show", row["id"], "--store", str(store), "--output", "json")
    assert shown.code == 3 and shown.report["verdict"] == report.verdict

    # the same message saved to disk, with what the session told, grades the same
    raw = listener.listener.reader.raw(
        listener.listener.reader.resolve(row["id"]), with_trace=False
    )
    saved = store / "saved.eml"
    saved.write_bytes(raw)
    again = run_cli(
        "receive", "--analyze", str(saved), "--client-ip", "127.0.9.2", "--helo", "localhost",
        "--mail-from", "alice@sender.test", "--dns", lab_dns.server,
        "--dnsbl-zones", str(zones_file), "--output", "json",
    )  # fmt: skip
    assert again.code == 3
    again_codes = {f["code"] for f in again.report["findings"]}
    assert {"ptr-not-confirmed", "dnsbl-listed", "date-missing"} <= again_codes
