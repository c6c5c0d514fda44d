"""AUTH secrets never reach a transcript file (unless --show-secrets)."""

from __future__ import annotations

import base64
import smtplib
from pathlib import Path

from sinkutil import wait_for

from smtpcheck.sink.redact import Redactor, Secrecy, scrub_detail

PASSWORD = "s3cret-Pa55word"


def secret_forms() -> list[bytes]:
    """The password as typed and every base64 form a client may send it in."""
    plain = base64.b64encode(f"\0alice\0{PASSWORD}".encode())
    return [PASSWORD.encode(), plain, base64.b64encode(PASSWORD.encode())]


def transcripts(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.glob("*.jsonl")))


def test_auth_secrets_are_redacted_in_transcripts(make_sink, raw, tmp_path) -> None:
    directory = tmp_path / "t"
    sink = make_sink(transcript_dir=directory, starttls=False)
    plain = base64.b64encode(f"\0alice\0{PASSWORD}".encode()).decode()
    # 1. PLAIN with the initial response on the command line (smtplib does this)
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.ehlo("c.test")
        client.login("alice", PASSWORD)
    # 2. the same, sent one byte at a time (a telnet user)
    client = raw(sink.port)
    client.reply()
    client.cmd("EHLO c.test")
    for byte in f"AUTH PLAIN {plain}\r\n".encode():
        client.send(bytes([byte]))
    assert client.reply()[0] == 235
    client.cmd("QUIT")
    # 3. PLAIN as a continuation line, LOGIN with the user on the command line
    client = raw(sink.port)
    client.reply()
    client.cmd("EHLO c.test")
    assert client.cmd("AUTH PLAIN")[0] == 334
    assert client.cmd(plain)[0] == 235
    client.cmd("QUIT")
    client = raw(sink.port)
    client.reply()
    client.cmd("EHLO c.test")
    assert client.cmd("auth login " + base64.b64encode(b"alice").decode())[0] == 334
    assert client.cmd(base64.b64encode(PASSWORD.encode()).decode())[0] == 235
    client.cmd("QUIT")
    wait_for(lambda: len(sink.store.list_sessions()) >= 4)
    text = transcripts(directory)
    for secret in secret_forms():
        assert secret not in text, secret
    assert b"AUTH PLAIN <redacted>" in text  # the mechanism stays visible
    assert b"auth login <redacted>" in text


def test_show_secrets_keeps_them(make_sink, tmp_path) -> None:
    directory = tmp_path / "t"
    sink = make_sink(transcript_dir=directory, starttls=False, show_secrets=True)
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.ehlo("c.test")
        client.login("alice", PASSWORD)
    wait_for(lambda: sink.store.list_sessions())
    assert secret_forms()[1] in transcripts(directory)


def test_redactor_follows_lines_across_chunks() -> None:
    redactor = Redactor()
    chunks = [b"EHLO x\r\nAU", b"TH PLAIN AGF", b"hbGljZQ==\r", b"\nMAIL FROM:<a@b>\r\n"]
    out = b"".join(redactor.redact(chunk) for chunk in chunks)
    assert out == b"EHLO x\r\nAUTH PLAIN <redacted>\nMAIL FROM:<a@b>\r\n"
    assert Redactor().redact(b"AUTH PLAIN\r\n") == b"AUTH PLAIN\r\n"
    assert Redactor().redact(b"dXNlcg==\r\n", Secrecy.ANSWERS) == b"<redacted>\r\n"


def test_redactor_hides_answers_pipelined_after_auth() -> None:
    """An answer sent in the same write as its AUTH command (before any 334), or after
    a refused AUTH, is secret until the client sends a command again."""
    pipelined = Redactor().redact(b"AUTH LOGIN\r\ndXNlcg==\r\ncGFzcw==\r\nMAIL FROM:<a@b>\r\n")
    assert pipelined == b"AUTH LOGIN\r\n<redacted>\r\n<redacted>\r\nMAIL FROM:<a@b>\r\n"
    early = Redactor().redact(b"cGFzcw==\r\nQUIT\r\n", Secrecy.EARLY)
    assert early == b"<redacted>\r\nQUIT\r\n"


def test_quoted_auth_bytes_are_scrubbed_from_anomaly_details() -> None:
    detail = "a line longer than 4096 octets: " + repr(b"auth plain AGFsaWNlAHMzY3JldA==")
    assert scrub_detail(detail) == "a line longer than 4096 octets: b'auth plain <redacted>'"
    cut = "the client closed: " + repr(b"EHLO x\r\nAUTH LOGIN\r\ndXNlcg==") + "... (90 bytes)"
    assert (
        scrub_detail(cut) == "the client closed: b'EHLO x\\r\\nAUTH LOGIN <redacted>'... (90 bytes)"
    )
    assert scrub_detail("8-bit bytes in MAIL") == "8-bit bytes in MAIL"
