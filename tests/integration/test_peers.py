"""Self-tests of the test peers: every case the fixtures promise is really provoked.

They use smtplib and raw sockets only, so they do not depend on the project's client.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest

from peers.badserver import CLOSE, HANG, RESET, BadServerFactory
from peers.postfix import PostfixPeer

CLIENT = "client.example.test"


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}"


@contextlib.contextmanager
def session(
    postfix: PostfixPeer, port: int | None = None, source: str | None = None
) -> Iterator[smtplib.SMTP]:
    smtp = smtplib.SMTP(
        postfix.host,
        port or postfix.main_port,
        timeout=10,
        source_address=(source, 0) if source else None,
    )
    try:
        smtp.ehlo(CLIENT)
        yield smtp
    finally:
        smtp.close()


def tight_connection(postfix: PostfixPeer, timeout: float = 5.0) -> tuple[socket.socket, bytes]:
    """A raw connection to the one-connection listener, its banner read.

    Retries while a previous test's connection is still being counted by anvil.
    """
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.create_connection((postfix.host, postfix.tight_port), timeout=5)
        banner = read_reply(sock)
        if banner.startswith(b"220") or time.monotonic() >= deadline:
            return sock, banner
        sock.close()
        time.sleep(0.1)


def read_reply(sock: socket.socket) -> bytes:
    """Read one complete (possibly multi-line) SMTP reply from a raw socket."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
        lines = data.split(b"\r\n")
        complete = lines[:-1]
        if complete and re.match(rb"^\d{3}( |$)", complete[-1]):
            return data


def command(sock: socket.socket, line: bytes) -> bytes:
    sock.sendall(line + b"\r\n")
    return read_reply(sock)


# ---------------------------------------------------------------- Postfix: main port


def test_main_listener_advertises_the_extensions(postfix: PostfixPeer) -> None:
    with session(postfix) as smtp:
        features = smtp.esmtp_features
        assert smtp.ehlo_resp is not None
        assert postfix.hostname in smtp.ehlo_resp.decode()
    for keyword in (
        "pipelining",
        "starttls",
        "enhancedstatuscodes",
        "8bitmime",
        "dsn",
        "smtputf8",
        "chunking",
    ):
        assert keyword in features, keyword
    assert features["size"] == str(postfix.message_size_limit) == "1048576"
    assert "auth" not in features  # only after STARTTLS


def test_invalid_helo_name_gives_501_5_5_2(postfix: PostfixPeer) -> None:
    smtp = smtplib.SMTP(postfix.host, postfix.main_port, timeout=10)
    try:
        code, text = smtp.ehlo("bad..host")
    finally:
        smtp.close()
    assert code == 501
    assert text.startswith(b"5.5.2 <bad..host>") and b"Invalid name" in text


def test_recipient_replies_on_main_port(postfix: PostfixPeer) -> None:
    with session(postfix) as smtp:
        assert smtp.mail("alice@example.test")[0] == 250
        expected = {
            "nosuchuser@localhost": (550, b"5.1.1", b"User unknown"),
            "nobody@example.test": (550, b"5.1.1", b"User unknown"),
            "someone@remote.test": (554, b"5.7.1", b"Relay access denied"),
            "full@example.test": (452, b"4.2.2", b"Mailbox full"),
            "greylist@example.test": (450, b"4.7.1", b"Greylisted"),
            "denied@example.test": (550, b"5.7.1", b"Rejected by local policy"),
            "bob@example.test": (250, b"2.1.5", b"Ok"),
            "tester@localhost": (250, b"2.1.5", b"Ok"),
        }
        for recipient, (code, status, words) in expected.items():
            got_code, got_text = smtp.rcpt(recipient)
            assert (got_code, got_text[:5]) == (code, status), (recipient, got_text)
            assert words in got_text, (recipient, got_text)
        smtp.rset()
        code, text = smtp.mail("alice@example.test", ["SIZE=2000000"])
        assert (code, text[:5]) == (552, b"5.3.4")


def test_trusted_client_may_relay(postfix: PostfixPeer) -> None:
    with session(postfix, source=postfix.trusted_client) as smtp:
        smtp.mail("alice@example.test")
        code, _ = smtp.rcpt("someone@remote.test")
    assert code == 250


def test_busy_recipient_gives_421_and_disconnects(postfix: PostfixPeer) -> None:
    with session(postfix) as smtp:
        smtp.mail("alice@example.test")
        code, text = smtp.rcpt("busy@example.test")
        assert (code, text[:5]) == (421, b"4.3.2")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            smtp.noop()


def test_delivery_lands_in_alices_maildir(postfix: PostfixPeer) -> None:
    marker = unique("delivery")
    with session(postfix) as smtp:
        refused = smtp.sendmail(
            "bob@example.test",
            ["alice@example.test"],
            f"From: bob@example.test\r\nSubject: {marker}\r\n\r\nhello\r\n",
        )
    assert refused == {}
    delivery = postfix.wait_for_delivery("alice", marker, timeout=10)
    assert delivery.path.parent == postfix.maildir("alice@example.test") / "new"
    assert delivery.message["Subject"] == marker
    assert postfix.log_path.is_file()


def test_smtputf8_delivery_and_dsn_success_report(postfix: PostfixPeer) -> None:
    marker, envid = unique("utf8"), unique("envid")
    with session(postfix) as smtp:
        assert smtp.mail("alice@example.test", ["SMTPUTF8", "RET=HDRS", f"ENVID={envid}"])[0] == 250
        code, _ = smtp.rcpt("jöran@example.test", ["NOTIFY=SUCCESS,FAILURE"])
        assert code == 250
        code, _ = smtp.data(f"Subject: {marker}\r\n\r\nhej jöran\r\n".encode())
        assert code == 250
    postfix.wait_for_delivery("jöran", marker)
    report = postfix.wait_for_delivery("alice", envid)
    assert b"Action: delivered" in report.raw


def test_starttls_verifies_only_against_the_fixture_certificate(postfix: PostfixPeer) -> None:
    with session(postfix) as smtp, pytest.raises(ssl.SSLCertVerificationError):
        smtp.starttls(context=ssl.create_default_context())
    with session(postfix) as smtp:
        code, _ = smtp.starttls(context=postfix.ssl_context())
        assert code == 220
        assert isinstance(smtp.sock, ssl.SSLSocket)
        assert smtp.sock.version() in ("TLSv1.2", "TLSv1.3")
        smtp.ehlo(CLIENT)
        assert "PLAIN" in smtp.esmtp_features["auth"]


def test_implicit_tls_port(postfix: PostfixPeer) -> None:
    smtp = smtplib.SMTP_SSL(
        postfix.host, postfix.implicit_tls_port, context=postfix.ssl_context(), timeout=10
    )
    try:
        code, _ = smtp.ehlo(CLIENT)
        assert code == 250
        assert isinstance(smtp.sock, ssl.SSLSocket) and smtp.sock.version()
    finally:
        smtp.close()


def test_ipv6_main_listener(postfix: PostfixPeer) -> None:
    if postfix.ipv6_host is None:
        pytest.fail("this machine has no usable ::1: enable IPv6 on lo", pytrace=False)
    with socket.create_connection((postfix.ipv6_host, postfix.main_port), timeout=5) as sock:
        assert read_reply(sock).startswith(b"220 " + postfix.hostname.encode())


# ---------------------------------------------------------------- Postfix: submission


def test_submission_requires_starttls_then_auth(postfix: PostfixPeer) -> None:
    with session(postfix, postfix.submission_port) as smtp:
        code, text = smtp.mail("alice@example.test")
        assert (code, text) == (530, b"5.7.0 Must issue a STARTTLS command first")
    with session(postfix, postfix.submission_port) as smtp:
        smtp.starttls(context=postfix.ssl_context())
        smtp.ehlo(CLIENT)
        assert smtp.mail("alice@example.test")[0] == 250
        code, text = smtp.rcpt("bob@example.test")
        assert (code, text[:5]) == (530, b"5.7.0")
        assert b"Authentication required" in text


def test_submission_auth_wrong_then_right_password(postfix: PostfixPeer) -> None:
    with session(postfix, postfix.submission_port) as smtp:
        smtp.starttls(context=postfix.ssl_context())
        smtp.ehlo(CLIENT)
        with pytest.raises(smtplib.SMTPAuthenticationError) as failed:
            smtp.login(postfix.sasl_user, "wrong")
        assert failed.value.smtp_code == 535
        assert failed.value.smtp_error.startswith(b"5.7.8")
    marker = unique("auth")
    with session(postfix, postfix.submission_port) as smtp:
        smtp.starttls(context=postfix.ssl_context())
        smtp.ehlo(CLIENT)
        code, _ = smtp.login(postfix.sasl_user, postfix.sasl_password)
        assert code == 235
        refused = smtp.sendmail(
            postfix.sasl_user, ["bob@example.test"], f"Subject: {marker}\r\n\r\nx\r\n"
        )
        assert refused == {}
    postfix.wait_for_delivery("bob", marker)


# ---------------------------------------------------------------- Postfix: tight port


def test_tight_port_limits(postfix: PostfixPeer) -> None:
    sock, banner = tight_connection(postfix)
    with sock:
        assert banner.startswith(b"220")
        # a second concurrent connection from the same client is refused
        with socket.create_connection((postfix.host, postfix.tight_port), timeout=5) as second:
            refused = read_reply(second)
        assert refused.startswith(b"421 4.7.0") and b"too many connections" in refused

        assert command(sock, b"EHLO " + CLIENT.encode()).startswith(b"250")
        assert command(sock, b"MAIL FROM:<alice@example.test> SIZE=20000").startswith(b"552 5.3.4")
        # Postfix remembers the refused SIZE= until RSET: a plain MAIL would get 552 too.
        assert command(sock, b"RSET").startswith(b"250")
        assert command(sock, b"MAIL FROM:<alice@example.test>").startswith(b"250")
        assert command(sock, b"RCPT TO:<alice@example.test>").startswith(b"250")
        assert command(sock, b"RCPT TO:<bob@example.test>").startswith(b"250")
        too_many = command(sock, b"RCPT TO:<tester@localhost>")
        assert too_many.startswith(b"452 4.5.3") and b"too many recipients" in too_many

        assert command(sock, b"DATA").startswith(b"354")
        sock.sendall(b"Subject: big\r\n\r\n" + (b"x" * 76 + b"\r\n") * 400 + b".\r\n")
        assert read_reply(sock).startswith(b"552 5.3.4")

        assert command(sock, b"MAIL FROM:<alice@example.test>").startswith(b"250")
        assert command(sock, b"RCPT TO:<bob@example.test>").startswith(b"250")
        assert command(sock, b"DATA").startswith(b"354")
        sock.sendall(b"Subject: bare\r\n\r\nbare\nnewline\r\n.\r\n")
        bare = read_reply(sock)
        assert bare.startswith(b"550 5.5.2") and b"bare <LF>" in bare
        command(sock, b"QUIT")


def test_tight_port_rejects_unauthorised_pipelining(postfix: PostfixPeer) -> None:
    sock, banner = tight_connection(postfix)
    with sock:
        assert banner.startswith(b"220")
        # HELO does not offer PIPELINING, so a batch of commands is a protocol error
        sock.sendall(b"HELO c.example.test\r\nMAIL FROM:<alice@example.test>\r\n")
        replies = b""
        with contextlib.suppress(TimeoutError, ConnectionError):
            while chunk := sock.recv(4096):
                replies += chunk
    assert b"554 5.5.0" in replies and b"synchronization" in replies


# ---------------------------------------------------------------- swaks


def test_swaks_fixture_talks_to_postfix(postfix: PostfixPeer, swaks: str) -> None:
    result = subprocess.run(
        [
            swaks,
            "--server",
            f"{postfix.host}:{postfix.main_port}",
            "--to",
            "nobody@example.test",
            "--quit-after",
            "RCPT",
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 24, result.stdout + result.stderr  # 24: RCPT rejected
    assert "550 5.1.1" in result.stdout


# ---------------------------------------------------------------- bad server


def raw_connect(server_address: tuple[str, int], timeout: float = 2.0) -> socket.socket:
    return socket.create_connection(server_address, timeout=timeout)


def test_bad_server_no_banner(bad_server: BadServerFactory) -> None:
    server = bad_server("no-banner")
    with raw_connect(server.address, timeout=0.3) as sock, pytest.raises(TimeoutError):
        sock.recv(100)


def test_bad_server_close_after_banner(bad_server: BadServerFactory) -> None:
    server = bad_server("close-after-banner")
    with raw_connect(server.address) as sock:
        assert read_reply(sock).startswith(b"220 ")
        assert sock.recv(100) == b""


def test_bad_server_slow(bad_server: BadServerFactory) -> None:
    server = bad_server("slow")
    with raw_connect(server.address, timeout=0.5) as sock:
        assert sock.recv(100) == b"2"
        with pytest.raises(TimeoutError):
            sock.recv(100)


def test_bad_server_endless_multiline(bad_server: BadServerFactory) -> None:
    server = bad_server("endless-multiline")
    with raw_connect(server.address) as sock:
        assert read_reply(sock).startswith(b"220 ")
        sock.sendall(b"EHLO c.example.test\r\n")
        data = b""
        while data.count(b"\r\n") < 500:
            data += sock.recv(65536)
    lines = data.split(b"\r\n")[:500]
    assert all(line.startswith(b"250-") for line in lines)


def test_bad_server_garbage(bad_server: BadServerFactory) -> None:
    server = bad_server("garbage")
    with raw_connect(server.address) as sock:
        first = sock.recv(100)
        assert first and not re.match(rb"^\d{3}[ -]", first)
        sock.sendall(b"EHLO c.example.test\r\n")
        assert not re.match(rb"^\d{3}[ -]", sock.recv(100))


def test_bad_server_reset_in_data(bad_server: BadServerFactory) -> None:
    server = bad_server("reset-in-data")
    with raw_connect(server.address) as sock:
        read_reply(sock)
        assert command(sock, b"EHLO c.example.test").startswith(b"250-")
        assert command(sock, b"MAIL FROM:<a@example.test>").startswith(b"250")
        assert command(sock, b"RCPT TO:<b@example.test>").startswith(b"250")
        assert command(sock, b"DATA").startswith(b"354")
        sock.sendall(b"Subject: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            sock.recv(100)
            sock.sendall(b"more\r\n" * 1000)  # in case the RST arrives after the recv
            sock.recv(100)


def test_bad_server_scripted(bad_server: BadServerFactory) -> None:
    server = bad_server(
        "scripted",
        steps=[
            (b"", b"220 scripted.example.test ESMTP\r\n"),
            (b"EHLO", b"250-scripted.example.test\r\n250 PIPELINING\r\n"),
            (b"MAIL FROM:", b"250 2.1.0 Ok\r\n"),
            (b"RCPT TO:", b"250 2.1.5 Ok\r\n"),
            (b"DATA", b"354 go ahead\r\n"),
            (b"Subject: scripted", b"451 4.3.0 Try later\r\n"),
            (b"QUIT", CLOSE),
        ],
    )
    with raw_connect(server.address) as sock:
        assert read_reply(sock) == b"220 scripted.example.test ESMTP\r\n"
        assert command(sock, b"EHLO c.example.test").endswith(b"250 PIPELINING\r\n")
        assert command(sock, b"MAIL FROM:<a@example.test>") == b"250 2.1.0 Ok\r\n"
        assert command(sock, b"RCPT TO:<b@example.test>") == b"250 2.1.5 Ok\r\n"
        assert command(sock, b"DATA").startswith(b"354")
        assert command(sock, b"Subject: scripted\r\n\r\nbody\r\n.") == b"451 4.3.0 Try later\r\n"
        sock.sendall(b"QUIT\r\n")
        assert sock.recv(100) == b""
    assert server.errors == []
    assert b"Subject: scripted" in server.received


def test_bad_server_scripted_records_mismatch_and_actions(bad_server: BadServerFactory) -> None:
    server = bad_server("scripted", steps=[(b"", b"220 hi\r\n"), (b"EHLO", RESET)])
    with raw_connect(server.address) as sock:
        read_reply(sock)
        assert command(sock, b"HELO c.example.test").startswith(b"500 5.5.1")
    assert server.errors and "expected b'EHLO'" in server.errors[0]

    hang = bad_server("scripted", steps=[(b"", HANG)])
    with raw_connect(hang.address, timeout=0.3) as sock, pytest.raises(TimeoutError):
        sock.recv(100)


def test_bad_server_stops_promptly_with_clients_connected(bad_server: BadServerFactory) -> None:
    server = bad_server("slow")
    with raw_connect(server.address) as sock:
        assert sock.recv(1) == b"2"
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2
        rest = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(100):
                rest += chunk
        assert len(rest) <= 2  # at most the byte or two sent before the stop
