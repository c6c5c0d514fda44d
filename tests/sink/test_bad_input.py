"""Bad clients get the right reply or a clean close, and the server stays up."""

from __future__ import annotations

import smtplib
import socket

from sinkutil import wait_for

from smtpcheck.sink.server import ThreadedSink


def still_serving(sink: ThreadedSink) -> None:
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        assert client.noop()[0] == 250


def test_oversize_message_declared_and_sent(make_sink, raw) -> None:
    sink = make_sink(limits={"max_message_size": 10_000})
    client = raw(sink.port)
    client.reply()
    client.cmd("EHLO c.test")
    assert client.cmd("MAIL FROM:<a@c.test> SIZE=20000")[0] == 552
    assert client.cmd("MAIL FROM:<a@c.test>")[0] == 250
    assert client.cmd("RCPT TO:<b@s.test>")[0] == 250
    assert client.cmd("DATA")[0] == 354
    client.send(b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 30)
    code, lines = client.cmd(".")
    assert code == 552 and "5.3.4" in lines[0]
    assert client.cmd("QUIT")[0] == 221
    assert sink.messages() == []
    still_serving(sink)


def test_megabyte_line_is_refused(sink: ThreadedSink, raw) -> None:
    client = raw(sink.port)
    client.reply()
    client.send(b"EHLO " + b"a" * 1_000_000 + b"\r\n")
    try:
        code, _ = client.reply()
        assert code in (500, 421)
    except ConnectionError:
        pass  # a clean close is acceptable too
    still_serving(sink)


def test_binary_junk(sink: ThreadedSink, raw) -> None:
    client = raw(sink.port)
    client.reply()
    client.send(bytes(range(256)) * 40 + b"\r\n")
    client.closed_by_peer(2)
    assert client.buffer[:1] in (b"5", b"4")
    still_serving(sink)


def test_silent_client_is_timed_out(make_sink, raw) -> None:
    sink = make_sink(limits={"idle_timeout": 0.5})
    client = raw(sink.port)
    assert client.reply()[0] == 220
    assert client.closed_by_peer(5)
    assert client.buffer.startswith(b"421 4.4.2")
    still_serving(sink)


def test_slow_command_is_timed_out(make_sink, raw) -> None:
    sink = make_sink(limits={"command_timeout": 0.5, "idle_timeout": 30})
    client = raw(sink.port)
    client.reply()
    client.send(b"EHLO half-a-comm")
    assert client.closed_by_peer(5) and client.buffer.startswith(b"421")


def test_disconnect_mid_data_stores_nothing(sink: ThreadedSink, raw) -> None:
    client = raw(sink.port)
    client.reply()
    for line in ("EHLO c.test", "MAIL FROM:<a@c.test>", "RCPT TO:<b@s.test>", "DATA"):
        client.cmd(line)
    client.send(b"Subject: cut\r\n\r\nhalf a mess")
    client.sock.shutdown(socket.SHUT_RDWR)
    client.close()
    sessions = wait_for(lambda: sink.store.list_sessions())
    assert any(a["kind"] == "incomplete-transaction" for a in sessions[0]["anomalies"])
    assert sink.messages() == []
    still_serving(sink)


def test_recipient_and_connection_limits(make_sink, raw) -> None:
    sink = make_sink(limits={"max_recipients": 2, "max_connections": 1})
    client = raw(sink.port)
    client.reply()
    client.cmd("EHLO c.test")
    client.cmd("MAIL FROM:<a@c.test>")
    assert [client.cmd(f"RCPT TO:<r{i}@s.test>")[0] for i in range(3)] == [250, 250, 452]
    second = raw(sink.port)
    code, lines = second.reply()
    assert code == 421 and "too many connections" in lines[0]


def test_bad_sequences(sink: ThreadedSink, raw) -> None:
    client = raw(sink.port)
    client.reply()
    assert client.cmd("MAIL FROM:<a@c.test>")[0] == 503
    assert client.cmd("EHLO")[0] == 501
    client.cmd("EHLO c.test")
    assert client.cmd("RCPT TO:<b@s.test>")[0] == 503
    assert client.cmd("FROB")[0] == 500
    client.cmd("MAIL FROM:<a@c.test>")
    assert client.cmd("DATA")[0] == 503
    assert client.cmd("QUIT")[0] == 221
