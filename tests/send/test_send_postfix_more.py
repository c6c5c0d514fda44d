"""More `send` options against the real Postfix: each one's effect seen by the server."""

from __future__ import annotations

import uuid

from clirun import run_cli
from sendhelp import send, server_of


def _send(postfix, *args: str, port: str = "main"):
    return send(server_of(postfix, port), *args)


def test_bdat_chunks_delivered(postfix):
    marker = uuid.uuid4().hex
    body = "line of text\\n" * 40
    result = _send(
        postfix,
        "--to",
        "alice@example.test",
        "--chunking",
        "--chunk-size",
        "200",
        "--header",
        f"X-Test-Marker: {marker}",
        "--body",
        body,
    )
    assert result.code == 0, result.stdout
    chunks = result.steps("bdat")
    assert len(chunks) >= 2 and all(c["reply"]["code"] == 250 for c in chunks)
    assert result.step("eod")["command"].endswith("LAST")
    assert not result.steps("data")
    delivered = postfix.wait_for_delivery("alice", marker)
    assert delivered.text.count("line of text") == 40


def test_pipelining_batch_and_partial_rejection(postfix):
    result = _send(
        postfix,
        "--pipeline",
        "--to",
        "alice@example.test,nosuchuser@example.test",
        "--quit-after",
        "rcpt",
    )
    assert result.code == 0, result.stdout
    sent = [e for e in result.report["transcript"] if e["direction"] == "sent"]
    received = [e for e in result.report["transcript"] if e["direction"] == "received"]
    # MAIL and both RCPTs were written before the first of their replies arrived
    mail_at = next(e["elapsed_ms"] for e in sent if e["text"].startswith("MAIL"))
    last_rcpt_at = [e["elapsed_ms"] for e in sent if e["text"].startswith("RCPT")][-1]
    first_reply_after_mail = min(e["elapsed_ms"] for e in received if e["elapsed_ms"] > mail_at)
    assert last_rcpt_at <= first_reply_after_mail
    assert result.report["data"]["recipients"]["rejected"] == ["nosuchuser@example.test"]


def test_smtputf8_automatic_for_utf8_recipient(postfix):
    marker = uuid.uuid4().hex
    result = _send(postfix, "--to", "jöran@example.test", "--header", f"X-Test-Marker: {marker}")
    assert result.code == 0, result.stdout
    assert "SMTPUTF8" in result.step("mail")["command"]
    postfix.wait_for_delivery("jöran", marker)


def test_size_and_8bitmime_declared(postfix):
    result = _send(postfix, "--to", "alice@example.test", "--size", "--8bitmime", "-q", "mail")
    command = result.step("mail")["command"]
    assert result.code == 0 and "SIZE=" in command and "BODY=8BITMIME" in command
    too_big = _send(
        postfix, "--to", "alice@example.test", "--size", "--body", "x" * 20000, port="tight"
    )
    assert too_big.code == 23 and too_big.step("mail")["reply"]["code"] == 552


def test_tls_verify_host_and_peer_cert_saved(postfix, tmp_path):
    saved = tmp_path / "peer.pem"
    good = _send(
        postfix,
        "--tls",
        "--tls-verify-ca",
        "--tls-verify-host",
        "--tls-ca-path",
        str(postfix.ca_file),
        "--tls-verify-target",
        "mx.example.test",
        "--to",
        "alice@example.test",
        "-q",
        "tls",
        "--tls-get-peer-cert",
        str(saved),
    )
    assert good.code == 0, good.stdout
    assert saved.read_text().startswith("-----BEGIN CERTIFICATE-----")
    verification = good.step("tls")["data"]["verification"]
    assert verification["ca"] is True and verification["host"] is True
    wrong = _send(
        postfix,
        "--tls",
        "--tls-verify-host",
        "--tls-verify-target",
        "other.example.test",
        "--to",
        "alice@example.test",
        "-q",
        "tls",
    )
    assert wrong.code == 29
    tls = wrong.step("tls")
    assert "does not match" in tls["detail"]
    assert tls["data"]["chain"][0]["names"]  # the certificate is still shown


def test_tls_protocol_and_text_summary(postfix):
    result = run_cli(
        "send",
        "-s",
        f"{postfix.host}:{postfix.main_port}",
        "-t",
        "alice@example.test",
        "--tls",
        "--tls-protocol",
        "tlsv1_2",
        "-q",
        "tls",
    )
    assert result.code == 0, result.stdout
    assert "=== TLS started with cipher TLSv1.2:" in result.stdout
    assert "TLS peer[0]   subject=[CN=mx.example.test]" in result.stdout


def test_protocol_esmtpsa_implies_tls_and_auth(postfix):
    result = _send(
        postfix,
        "--protocol",
        "ESMTPSA",
        "-au",
        postfix.sasl_user,
        "-ap",
        postfix.sasl_password,
        "--to",
        "bob@example.test",
        "-q",
        "auth",
        port="submission",
    )
    assert result.code == 0, result.stdout
    assert result.step("tls")["status"] == "pass"
    assert result.step("auth")["reply"]["code"] == 235


def test_count_sends_several_messages_in_one_connection(postfix):
    marker = uuid.uuid4().hex
    result = _send(
        postfix, "--to", "bob@example.test", "--count", "3", "--header", f"X-Test-Marker: {marker}"
    )
    assert result.code == 0, result.stdout
    assert len(result.steps("eod")) == 3 and len(result.steps("rset")) == 2
    assert len(result.steps("connect")) == 1


def test_same_exit_codes_as_swaks(postfix, swaks):
    import subprocess

    server = f"{postfix.host}:{postfix.main_port}"
    cases = [
        ["--to", "nosuchuser@example.test"],
        ["--to", "alice@example.test", "--quit-after", "RCPT"],
        ["--to", "alice@example.test", "--ehlo", "bad..host"],
        ["--to", "alice@example.test", "--auth", "PLAIN", "-au", "u", "-ap", "p"],
        ["--to", "alice@example.test", "--drop-after", "mail"],
    ]
    for args in cases:
        theirs = subprocess.run(
            [swaks, "--server", server, *args], capture_output=True, timeout=60
        ).returncode
        ours = run_cli("send", "--server", server, *args).code
        assert ours == theirs, (args, ours, theirs)
