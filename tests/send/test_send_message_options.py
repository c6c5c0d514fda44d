"""Message and transport options of `send`, each proven by what a server received.

Postfix delivers (MIME parts, --repeat, --local-port in its log, --tls-optional's
clear-text fallback) or refuses (--no-data-fixup's bare LF on the strict listener); a
small server of the test's own stands in where Postfix cannot show the effect (a UNIX
socket; a TLS server that demands a client certificate from a trustme CA).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from clirun import run_cli
from sendhelp import send, server_of

SENDER = "sender@example.test"


def _send(postfix, *args: str, port: str = "main"):
    return send(server_of(postfix, port), *args, sender=SENDER)


# -- MIME ------------------------------------------------------------------------------


def test_attach_inline_has_a_content_id_and_arrives_intact(postfix, tmp_path):
    image = tmp_path / "logo.png"
    payload = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    image.write_bytes(payload)
    marker = uuid.uuid4().hex
    result = _send(
        postfix,
        "--to",
        "alice@example.test",
        "--header",
        f"X-Test-Marker: {marker}",
        "--attach-inline",
        f"@{image}",
    )
    assert result.code == 0, result.stdout
    message = postfix.wait_for_delivery("alice", marker).message
    assert message.get_content_type() == "multipart/mixed"
    parts = [p for p in message.walk() if not p.is_multipart()]
    inline = [p for p in parts if p.get_content_disposition() == "inline"]
    assert len(inline) == 1
    part = inline[0]
    assert part.get_content_type() == "image/png"
    assert part.get_filename() == "logo.png"
    assert re.fullmatch(r"<[^<>@\s]+@[^<>\s]+>", part["Content-ID"])
    assert part.get_payload(decode=True) == payload
    assert parts[0].get_content_type() == "text/plain"


def test_attach_body_makes_an_html_alternative(postfix, tmp_path):
    html = "<html><body><p>Hello in <b>HTML</b> – ünïcode</p></body></html>\n"
    page = tmp_path / "body.html"
    page.write_text(html, encoding="utf-8")
    marker = uuid.uuid4().hex
    result = _send(
        postfix,
        "--to",
        "alice@example.test",
        "--header",
        f"X-Test-Marker: {marker}",
        "--body",
        "Hello in plain text.",
        "--attach-body",
        f"@{page}",
    )
    assert result.code == 0, result.stdout
    message = postfix.wait_for_delivery("alice", marker).message
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    assert plain is not None and rich is not None
    assert plain.get_content().strip() == "Hello in plain text."
    assert rich.get_content_charset() == "utf-8"
    assert rich.get_content() == html


# -- --no-data-fixup -------------------------------------------------------------------

BARE_LF_MESSAGE = b"Subject: bare LF test\r\nX-Test-Marker: %s\r\n\r\nline one\nline two\r\n.\r\n"


def test_no_data_fixup_really_sends_a_bare_lf(postfix, tmp_path):
    """The strict listener refuses a bare LF: proof it went out as given."""
    data = tmp_path / "bare.eml"
    data.write_bytes(BARE_LF_MESSAGE % uuid.uuid4().hex.encode())
    result = _send(
        postfix,
        "--to",
        "alice@example.test",
        "--data",
        f"@{data}",
        "--no-data-fixup",
        port="tight",
    )
    assert result.code == 26, result.stdout
    reply = result.step("eod")["reply"]
    assert reply["code"] == 550 and "bare <LF>" in " ".join(reply["lines"])


def test_with_data_fixup_the_same_message_is_normalised_and_accepted(postfix, tmp_path):
    marker = uuid.uuid4().hex
    data = tmp_path / "bare.eml"
    # without the final dot: with fixup, send adds it (and stuffs, and makes CRLFs)
    data.write_bytes((BARE_LF_MESSAGE % marker.encode())[: -len(b".\r\n")])
    result = _send(postfix, "--to", "alice@example.test", "--data", f"@{data}", port="tight")
    assert result.code == 0, result.stdout
    delivered = postfix.wait_for_delivery("alice", marker)
    assert "line one\nline two" in delivered.text


# -- --repeat --------------------------------------------------------------------------


def test_repeat_runs_whole_sessions(postfix):
    marker = uuid.uuid4().hex
    result = _send(
        postfix, "--to", "bob@example.test", "--header", f"X-Test-Marker: {marker}", "--repeat", "3"
    )
    assert result.code == 0, result.stdout
    reports = json.loads(result.stdout)
    assert isinstance(reports, list) and len(reports) == 3  # one report per session
    queue_ids = {
        re.search(r"queued as (\w+)", " ".join(s["reply"]["lines"])).group(1)
        for r in reports
        for s in r["steps"]
        if s["name"] == "eod"
    }
    assert len(queue_ids) == 3
    postfix.wait_for_delivery("bob", lambda d: len(_with(postfix, "bob", marker)) == 3)
    message_ids = {d.message["Message-Id"] for d in _with(postfix, "bob", marker)}
    assert len(message_ids) == 3  # each session built its own message


def _with(postfix, user: str, marker: str):
    return [d for d in postfix.messages(user) if marker.encode() in d.raw]


# -- --local-port ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_local_port_is_the_port_postfix_sees(postfix):
    port = _free_port()
    result = _send(
        postfix,
        "--to",
        "alice@example.test",
        "--local-port",
        str(port),
        "-q",
        "helo",
        port="xclient",
    )
    assert result.code == 0, result.stdout
    assert result.step("connect")["data"]["local"] == ["127.0.0.1", port]
    # smtpd_client_port_logging=yes on this listener: Postfix names the client's port
    deadline_text = ""
    for _ in range(100):
        deadline_text = postfix.log_path.read_text(errors="replace")
        if f"connect from unknown[127.0.0.1]:{port}" in deadline_text:
            break
        threading.Event().wait(0.05)
    assert f"connect from unknown[127.0.0.1]:{port}" in deadline_text, postfix.log_tail()


# -- a server of our own ---------------------------------------------------------------


class TinyServer:
    """One-connection-at-a-time SMTP server on a thread; `handle(conn)` per connection."""

    def __init__(self, listener: socket.socket, handle: Callable[[socket.socket], None]):
        self.listener = listener
        self.handle = handle
        self.errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(10)
                try:
                    self.handle(conn)
                except (OSError, ssl.SSLError) as exc:
                    self.errors.append(exc)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self._thread.join(5)


def _lines(conn: socket.socket) -> Iterator[bytes]:
    buffer = b""
    while True:
        while b"\r\n" not in buffer:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buffer += chunk
        line, buffer = buffer.split(b"\r\n", 1)
        yield line


def _plain_dialogue(conn: socket.socket, received: list[bytes]) -> None:
    conn.sendall(b"220 tiny.example.test ESMTP\r\n")
    lines = _lines(conn)
    for line in lines:
        received.append(line)
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            conn.sendall(b"250-tiny.example.test\r\n250 8BITMIME\r\n")
        elif verb == b"DATA":
            conn.sendall(b"354 go ahead\r\n")
            for body_line in lines:
                received.append(body_line)
                if body_line == b".":
                    break
            conn.sendall(b"250 2.0.0 queued on a unix socket\r\n")
        elif verb == b"QUIT":
            conn.sendall(b"221 bye\r\n")
            return
        else:
            conn.sendall(b"250 ok\r\n")


@pytest.fixture
def unix_server(tmp_path):
    path = tmp_path / "smtp.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(4)
    received: list[bytes] = []
    server = TinyServer(listener, lambda conn: _plain_dialogue(conn, received))
    try:
        yield path, received
    finally:
        server.close()


def test_socket_talks_over_a_unix_socket(unix_server):
    path, received = unix_server
    marker = uuid.uuid4().hex
    result = run_cli(
        "send",
        "--socket",
        str(path),
        "--from",
        SENDER,
        "--to",
        "alice@example.test",
        "--header",
        f"X-Test-Marker: {marker}",
        "--output",
        "json",
        "--timeout",
        "10s",
    )
    assert result.code == 0, result.stdout
    assert result.step("eod")["reply"]["lines"] == ["2.0.0 queued on a unix socket"]
    assert b"RCPT TO:<alice@example.test>" in received
    assert f"X-Test-Marker: {marker}".encode() in received


# -- client certificates ---------------------------------------------------------------


@pytest.fixture(scope="module")
def pki():
    root = trustme.CA()
    intermediate = root.create_child_ca()
    client = intermediate.issue_cert("client.example.test")
    server = root.issue_cert("localhost", "127.0.0.1")
    return root, intermediate, client, server


def _client_files(tmp_path: Path, client) -> tuple[Path, Path, Path]:
    pems = client.cert_chain_pems
    cert, key, chain = tmp_path / "client.pem", tmp_path / "client.key", tmp_path / "chain.pem"
    cert.write_bytes(pems[0].bytes())  # the leaf alone
    key.write_bytes(client.private_key_pem.bytes())
    chain.write_bytes(b"".join(p.bytes() for p in pems[1:]))  # the intermediate
    return cert, key, chain


@pytest.fixture
def tls_server(pki):
    """STARTTLS server that requires a client certificate chaining up to the root."""
    root, _, _, server_cert = pki
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_cert.configure_cert(context)
    root.configure_trust(context)  # the root only: the intermediate must come from the client
    context.verify_mode = ssl.CERT_REQUIRED
    seen: dict[str, object] = {}

    def handle(conn: socket.socket) -> None:
        conn.sendall(b"220 tls.example.test ESMTP\r\n")
        lines = _lines(conn)
        next(lines)  # EHLO
        conn.sendall(b"250-tls.example.test\r\n250 STARTTLS\r\n")
        next(lines)  # STARTTLS
        conn.sendall(b"220 go ahead\r\n")
        try:
            tls = context.wrap_socket(conn, server_side=True)
        except ssl.SSLError as exc:
            seen["error"] = exc.reason or str(exc)
            return
        peer = tls.getpeercert()
        seen["subject"] = dict(x[0] for x in peer["subject"]) if peer.get("subject") else {}
        seen["names"] = [v for _, v in peer.get("subjectAltName", ())]
        for line in _lines(tls):
            if line[:4].upper() == b"EHLO":
                tls.sendall(b"250 tls.example.test\r\n")
            elif line[:4].upper() == b"QUIT":
                tls.sendall(b"221 bye\r\n")
                break
        with contextlib.suppress(OSError, ssl.SSLError):
            tls.unwrap()

    listener = socket.create_server(("127.0.0.1", 0))
    server = TinyServer(listener, handle)
    try:
        yield listener.getsockname()[1], seen
    finally:
        server.close()


def _tls_send(port: int, *args: str):
    return run_cli(
        "send",
        "--server",
        f"127.0.0.1:{port}",
        "--from",
        SENDER,
        "--to",
        "alice@example.test",
        "--tls",
        "--quit-after",
        "helo",
        "--timeout",
        "10s",
        "--output",
        "json",
        *args,
    )


def test_client_certificate_with_chain_reaches_the_server(tls_server, pki, tmp_path):
    port, seen = tls_server
    cert, key, chain = _client_files(tmp_path, pki[2])
    result = _tls_send(
        port, "--tls-cert", str(cert), "--tls-key", str(key), "--tls-chain", str(chain)
    )
    assert result.code == 0, result.stdout
    assert "error" not in seen
    assert "client.example.test" in seen["names"]  # the server verified our certificate
    notes = [e["text"] for e in result.report["transcript"] if e["direction"] == "note"]
    assert any(n == f"TLS local certificate: {cert}" for n in notes)


def test_without_the_chain_the_server_cannot_verify_the_client(tls_server, pki, tmp_path):
    port, seen = tls_server
    cert, key, _ = _client_files(tmp_path, pki[2])
    # TLS 1.2: the server's verdict on our certificate comes inside the handshake
    result = _tls_send(
        port, "--tls-cert", str(cert), "--tls-key", str(key), "--tls-max-version", "tlsv1_2"
    )
    assert result.code == 29, result.stdout
    assert "CERTIFICATE_VERIFY_FAILED" in str(seen.get("error")), seen
    assert "subject" not in seen


# -- --tls-optional after a failed handshake -------------------------------------------

#: TLS 1.2 with ECDSA suites only; the Postfix peer's key is RSA: no shared cipher
NO_SHARED_CIPHER = ("--tls-max-version", "tlsv1_2", "--tls-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")


def test_tls_optional_goes_on_in_clear_text_after_a_failed_handshake(postfix):
    """Only ECDSA cipher suites, while Postfix has an RSA key: the handshake fails.

    Like swaks, --tls-optional goes on; unlike swaks (which keeps writing on the broken
    connection), a new clear-text connection carries the message -- and it arrives.
    """
    marker = uuid.uuid4().hex
    result = _send(
        postfix,
        "--to",
        "alice@example.test",
        "--header",
        f"X-Test-Marker: {marker}",
        "--tls-optional",
        *NO_SHARED_CIPHER,
    )
    assert result.code == 0, result.stdout
    assert result.step("tls")["status"] == "warn"
    assert "tls_fallback" in result.report["data"]
    assert [s["name"] for s in result.report["steps"]].count("connect") == 2
    delivered = postfix.wait_for_delivery("alice", marker)
    received = delivered.message.get_all("Received")[0]
    assert "with ESMTP id" in received  # not ESMTPS: the message came in clear text


def test_tls_required_still_fails_after_a_failed_handshake(postfix):
    result = _send(postfix, "--to", "alice@example.test", "--tls", *NO_SHARED_CIPHER)
    assert result.code == 29
