"""Real clients against the sink on loopback: smtplib, curl, swaks, smtp-source."""

from __future__ import annotations

import shutil
import smtplib
import ssl
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest
from sinkutil import wait_for

from smtpcheck.sink.server import ThreadedSink


def message(subject: str = "Hi", body: str = "Hello there.\n") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@client.test", "b@sink.test", subject
    msg.set_content(body)
    return msg


def need(tool: str) -> str:
    path = shutil.which(tool)
    assert path is not None, f"{tool} is missing: run scripts/install-peers.sh"
    return path


def test_smtplib_plain_send_is_stored(sink: ThreadedSink) -> None:
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        code, _text = client.ehlo("client.test")
        assert code == 250
        for keyword in (
            "pipelining",
            "size",
            "8bitmime",
            "smtputf8",
            "dsn",
            "enhancedstatuscodes",
            "chunking",
            "starttls",
            "auth",
        ):
            assert client.has_extn(keyword), keyword
        refused = client.send_message(
            message("plain"), "a@client.test", ["b@sink.test", "c@sink.test"]
        )
        assert refused == {}
    stored = wait_for(sink.messages)
    assert stored[0]["recipients"] == ["b@sink.test", "c@sink.test"]
    assert stored[0]["subject"] == "plain" and stored[0]["helo"] == "client.test"
    assert b"Hello there." in sink.store.raw(stored[0], with_trace=False)


def test_smtplib_starttls_and_auth_with_users_file(make_sink, tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text("alice:secret\n")
    sink = make_sink(users_file=users)
    context = ssl.create_default_context(cafile=sink.cert_path)
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.starttls(context=context)
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("alice", "wrong")
        client.login("alice", "secret")
        client.send_message(message("tls"), "a@client.test", ["b@sink.test"])
    stored = wait_for(sink.messages)[0]
    assert stored["tls"]["version"].startswith("TLSv1.")
    assert stored["auth"] == {"user": "alice", "mechanism": "PLAIN"}
    assert stored["protocol"] == "ESMTPSA"


def test_auth_login_and_implicit_tls(make_sink) -> None:
    sink = make_sink(tls_port=0)
    context = ssl.create_default_context(cafile=sink.cert_path)
    with smtplib.SMTP_SSL("127.0.0.1", sink.tls_port, timeout=10, context=context) as client:
        client.ehlo("client.test")
        client.user, client.password = "bob", "anything"
        code, _ = client.auth("LOGIN", client.auth_login)
        assert code == 235
        client.send_message(message("smtps"), "a@client.test", ["b@sink.test"])
    stored = wait_for(sink.messages)[0]
    assert stored["auth"]["mechanism"] == "LOGIN" and stored["tls"] is not None


def test_lmtp_one_reply_per_recipient(make_sink, raw) -> None:
    # smtplib.LMTP reads a single reply after the data, so speak LMTP by hand.
    sink = make_sink(lmtp=True)
    client = raw(sink.port)
    client.reply()
    assert client.cmd("EHLO c.test")[0] == 500
    assert client.cmd("LHLO c.test")[0] == 250
    client.cmd("MAIL FROM:<a@c.test>")
    client.cmd("RCPT TO:<x@s.test>")
    client.cmd("RCPT TO:<y@s.test>")
    assert client.cmd("DATA")[0] == 354
    first = client.cmd(b"Subject: lmtp\r\n\r\nbody\r\n.")
    second = client.reply()
    assert first[0] == second[0] == 250
    assert "<x@s.test>" in first[1][0] and "<y@s.test>" in second[1][0]
    assert client.cmd("QUIT")[0] == 221
    assert wait_for(sink.messages)[0]["protocol"] == "LMTP"


def test_curl_smtp(sink: ThreadedSink, tmp_path: Path) -> None:
    mail = tmp_path / "mail.txt"
    mail.write_bytes(b"Subject: from curl\r\n\r\ncurl body\r\n")
    result = subprocess.run(
        [
            need("curl"),
            "-sS",
            f"smtp://127.0.0.1:{sink.port}/client.test",
            "--mail-from",
            "a@client.test",
            "--mail-rcpt",
            "b@sink.test",
            "--upload-file",
            str(mail),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert wait_for(sink.messages)[0]["subject"] == "from curl"


def test_swaks_with_tls_auth_and_pipelining(sink: ThreadedSink) -> None:
    result = subprocess.run(
        [
            need("swaks"),
            "--server",
            f"127.0.0.1:{sink.port}",
            "--from",
            "a@client.test",
            "--to",
            "b@sink.test",
            "--tls",
            "--auth",
            "PLAIN",
            "--auth-user",
            "u",
            "--auth-password",
            "p",
            "--pipeline",
            "--header",
            "Subject: from swaks",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    stored = wait_for(sink.messages)[0]
    assert stored["subject"] == "from swaks" and stored["protocol"] == "ESMTPSA"


@pytest.mark.parametrize("reuse", [False, True])
def test_smtp_source_many_sessions(make_sink, reuse: bool) -> None:
    sink = make_sink(starttls=False)
    command = (
        [
            need("smtp-source"),
            "-s",
            "5",
            "-m",
            "50",
            "-l",
            "1024",
            "-f",
            "a@client.test",
            "-t",
            "b@sink.test",
        ]
        + (["-d"] if reuse else [])
        + [f"127.0.0.1:{sink.port}"]
    )
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(wait_for(lambda: len(sink.messages()) == 50 and sink.messages())) == 50
