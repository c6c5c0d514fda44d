"""The interactive console in a real pseudo-terminal, against Postfix, the sink and a
server that hangs up: what a person types, key by key, and what they see."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smtpcheck.sink import SinkConfig, get_persona, run_in_thread

from .conftest import Start

PROMPT = "smtpcheck>"  # prompt_toolkit draws the trailing space as a cursor move


@pytest.fixture
def exchange_sink(tmp_path: Path) -> Iterator[object]:
    """The capture server answering as the seed article's Exchange server does."""
    config = SinkConfig(
        port=0,
        store_dir=tmp_path / "sink",
        hostname="mail1.fabrikam.com",
        persona=get_persona("exchange"),
        durable=False,
    )
    with run_in_thread(config) as sink:
        yield sink


def test_the_seed_session_typed_key_by_key(
    console_pty: Start, exchange_sink: object, tmp_path: Path
) -> None:
    log = tmp_path / "TelnetTest.txt"
    port = exchange_sink.port  # type: ignore[attr-defined]
    console = console_pty()
    console.expect(PROMPT)
    console.type("set localecho")
    console.expect("local echo is always on")
    console.type(f"set logfile {log}")
    console.expect("Logging the transcript to")
    console.type(f"OPEN 127.0.0.1 {port}")
    console.expect("220 mail1.fabrikam.com Microsoft ESMTP MAIL Service ready")
    console.expect("(Service ready)")  # each reply has its meaning beneath
    console.type("EHLO contoso.com")
    console.expect("250 XRDST")
    console.type("MAIL FROM: <chris@contoso.com>")
    console.expect("250 2.1.0 Sender OK")
    console.type("RCPT TO: <kate@fabrikam.com> NOTIFY=success,failure")
    console.expect("250 2.1.5 Recipient OK")
    console.type("DATA")
    console.expect("354 Start mail input")
    console.type("Subject: Test from Contoso")
    console.type("")
    console.type("This is a test message")
    console.type(".")
    console.expect("Queued mail for delivery")
    console.type("QUIT")
    console.expect("221 2.0.0 Service closing transmission channel")
    console.expect("Connection closed")
    console.type("quit")
    assert console.finish() == 0

    messages = exchange_sink.messages()  # type: ignore[attr-defined]
    assert len(messages) == 1
    assert messages[0]["mail_from"] == "chris@contoso.com"
    raw = (tmp_path / "sink" / "Maildir" / messages[0]["path"]).read_bytes()
    assert b"Subject: Test from Contoso\r\n\r\nThis is a test message\r\n" in raw
    logged = log.read_text()
    assert " -> EHLO contoso.com" in logged
    assert "<-  250 2.1.5 Recipient OK" in logged
    assert " -> RCPT TO: <kate@fabrikam.com> NOTIFY=success,failure" in logged
    history = Path(console.child.env["SMTPCHECK_CONSOLE_HISTORY"]).read_text()
    assert "EHLO contoso.com" in history and "set localecho" in history


def test_a_mistyped_command_is_corrected_with_backspace(
    postfix: object, console_pty: Start
) -> None:
    console = console_pty("127.0.0.1", str(postfix.main_port))  # type: ignore[attr-defined]
    console.expect("220 mx.example.test")
    console.keys("EHOL")
    console.keys("\x7f\x7f")  # two backspaces: telnet would have sent them to the server
    console.type("LO contoso.test")
    console.expect("250 CHUNKING")
    console.keys("MAIL FROM:<chris@cot")
    console.keys("\x08")  # Ctrl-H works as well
    console.type("ntoso.test>")
    console.expect("250 2.1.0 Ok")
    console.type("quit")
    console.expect("221 2.0.0 Bye")
    console.type("exit")
    assert console.finish() == 0
    assert " -> EHLO contoso.test" in console.screen
    assert " -> MAIL FROM:<chris@contoso.test>" in console.screen
    assert "500 5.5.2" not in console.screen  # the server never saw a wrong command


def test_starttls_then_auth_then_a_message_with_a_leading_dot(
    postfix: object, console_pty: Start, tmp_path: Path
) -> None:
    peer = postfix
    user, password = peer.sasl_user, peer.sasl_password  # type: ignore[attr-defined]
    marker = uuid.uuid4().hex
    log = tmp_path / "session.log"
    console = console_pty("--logfile", str(log), "127.0.0.1", str(peer.submission_port))  # type: ignore[attr-defined]
    console.expect("220 mx.example.test")
    console.type("ehlo contoso.test")
    console.expect("250 CHUNKING")
    console.type("starttls")
    console.expect("220 2.0.0 Ready to start TLS")
    console.expect("TLS: TLSv1.")
    console.expect("Certificate subject: CN=mx.example.test")
    console.expect("Names: mx.example.test")
    console.expect("Expires: ")
    console.expect("Certificate NOT verified")  # self-signed, and no --ca-file given
    console.type("ehlo contoso.test")
    console.expect("250-AUTH PLAIN LOGIN")
    console.expect("250 CHUNKING")
    console.type("auth plain")
    console.expect("Username:")
    console.type(user)
    console.expect("Password:")
    console.type(password)
    console.expect("235 2.7.0 Authentication successful")
    console.type(f"MAIL FROM:<{user}>")
    console.expect("250 2.1.0 Ok")
    console.type("RCPT TO:<bob@example.test>")
    console.expect("250 2.1.5 Ok")
    console.type("data")
    console.expect("354 End data with")
    for line in (f"Subject: dots {marker}", "", "first line", ".hidden dot line", "..two", "."):
        console.type(line)
    console.expect("250 2.0.0 Ok: queued")
    console.type("explain")
    console.expect("250 2.0.0")
    console.type("quit")
    console.expect("221 2.0.0 Bye")
    console.type("exit")
    assert console.finish() == 0

    delivered = peer.wait_for_delivery("bob", marker)  # type: ignore[attr-defined]
    body = delivered.raw.split(b"\n\n", 1)[1]
    assert body == b"first line\n.hidden dot line\n..two\n"  # as typed: stuffing undone
    assert " ~> ..hidden dot line\n ~> ...two\n ~> .\n" in console.screen  # stuffed

    secrets = [
        password,
        base64.b64encode(f"\0{user}\0{password}".encode()).decode(),
        base64.b64encode(password.encode()).decode(),
    ]
    history = Path(console.child.env["SMTPCHECK_CONSOLE_HISTORY"]).read_text()
    logged = log.read_text()
    assert " ~> AUTH PLAIN <redacted>" in logged
    for secret in secrets:
        assert secret not in console.screen
        assert secret not in history
        assert secret not in logged


def test_the_server_hanging_up_leaves_a_clear_line_and_the_prompt(
    bad_server: Callable[..., object], console_pty: Start
) -> None:
    server = bad_server("close-after-banner")
    console = console_pty("127.0.0.1", str(server.port))  # type: ignore[attr-defined]
    console.expect("220 bad.example.test")
    console.expect("the server closed the connection")
    console.expect("Disconnected: `open` connects again")
    console.type("EHLO contoso.test")
    console.expect("not connected: use `open HOST [PORT]`")
    console.type("open 127.0.0.1 1")
    console.expect("connection refused")
    console.expect(PROMPT)
    console.type("exit")
    assert console.finish() == 0
    assert "Traceback" not in console.screen


def test_tab_completes_verbs_and_inserts_the_header_template_for_bdat(
    postfix: object, console_pty: Start
) -> None:
    marker = uuid.uuid4().hex
    console = console_pty("127.0.0.1", str(postfix.main_port))  # type: ignore[attr-defined]
    console.expect("220 mx.example.test")
    console.keys("EH\t")  # the only verb starting so: completed
    console.expect_typed("EHLO")  # completion runs in the background: wait, as a person does
    console.type(" contoso.test")
    console.expect("250 CHUNKING")
    console.type("MAIL FROM:<chris@contoso.test>")
    console.expect("250 2.1.0 Ok")
    console.type("RCPT TO:<bob@example.test>")
    console.expect("250 2.1.5 Ok")
    console.keys("bd\t")
    console.expect_typed("bdat")
    console.child.send("\r")
    console.expect("Message mode (BDAT)")
    console.keys("\t")  # an empty message: Tab inserts the header template
    console.type(f"sent with BDAT {marker}")
    console.type(".")
    console.expect("bytes queued as")
    console.type("quit")
    console.expect("221 2.0.0 Bye")
    console.type("exit")
    assert console.finish() == 0
    assert " -> EHLO contoso.test" in console.screen
    assert (
        " -> BDAT " in console.screen and " LAST\n -> From: <chris@contoso.test>" in console.screen
    )
    raw = postfix.wait_for_delivery("bob", marker).raw  # type: ignore[attr-defined]
    assert b"From: <chris@contoso.test>\n" in raw
    assert b"To: <bob@example.test>\n" in raw
    assert b"Message-ID: <" in raw
    assert raw.endswith(f"\n\nsent with BDAT {marker}\n".encode())


def test_ctrl_c_while_waiting_for_a_silent_server_returns_to_the_prompt(
    bad_server: Callable[..., object], console_pty: Start
) -> None:
    server = bad_server("no-banner")
    console = console_pty()
    console.expect(PROMPT)
    console.type(f"open 127.0.0.1 {server.port}")  # type: ignore[attr-defined]
    console.expect("Connected to 127.0.0.1")
    console.child.sendintr()
    console.expect("Interrupted: the connection is dropped")
    console.expect(PROMPT)
    console.type("status")
    console.expect("not connected")
    # Ctrl-D only once the next prompt reads: typed earlier, the terminal's line
    # discipline (cooked mode between prompts) would eat it.
    console.expect(PROMPT)
    console.child.sendeof()  # Ctrl-D leaves
    assert console.finish() == 0
    assert "Traceback" not in console.screen


def test_answers_to_auth_challenges_typed_by_hand_are_never_shown_logged_or_kept(
    console_pty: Start, tmp_path: Path
) -> None:
    user64 = base64.b64encode(b"kate@fabrikam.com").decode()
    password64 = base64.b64encode(b"Typed-By-Hand-9").decode()
    log = tmp_path / "session.log"
    config = SinkConfig(port=0, store_dir=tmp_path / "sink", durable=False)  # any password
    with run_in_thread(config) as sink:
        console = console_pty("--logfile", str(log), "127.0.0.1", str(sink.port))
        console.expect("220 ")
        console.type("ehlo contoso.test")
        console.expect("250 AUTH PLAIN LOGIN")
        console.type("smtp AUTH LOGIN")  # by hand: the helper does not answer the challenges
        console.expect("334 VXNlcm5hbWU6")
        console.type(user64)
        console.expect("334 UGFzc3dvcmQ6")
        console.type(password64)
        console.expect("235 2.7.0 Authentication successful")
        console.type("quit")
        console.expect("221 2.0.0")
        console.type("exit")
        assert console.finish() == 0

    # The order of lines is checked in the log: on screen, the next prompt may be drawn
    # between two lines (patch_stdout flushes from its own thread).
    logged = log.read_text()
    assert " -> <redacted>\n<-  334 UGFzc3dvcmQ6" in logged
    assert " -> <redacted>\n<-  235 2.7.0" in logged
    assert console.screen.count(" -> <redacted>") == 2
    history = Path(console.child.env["SMTPCHECK_CONSOLE_HISTORY"]).read_text()
    for secret in (user64, password64):
        assert f" -> {secret}" not in console.screen  # typed at the prompt, never shown sent
        assert secret not in logged
        assert secret not in history
