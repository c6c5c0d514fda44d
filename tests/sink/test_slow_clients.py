"""Slowloris in DATA and BDAT: a message's content has a deadline and a minimum rate.

A real client dribbles its message; the sink, configured with small limits, answers
`421 4.4.2` and closes, stores nothing, and records why. The client's loop is bounded
(it gives up after a few seconds of dribbling), and no duration is asserted: only what
the sink answered and kept.
"""

from __future__ import annotations

import socket
import time

import pytest
from sinkutil import RawClient, wait_for

from smtpcheck.sink.server import ThreadedSink

SLOW = {"data_timeout": 0.5, "min_data_rate": 100.0, "message_timeout": 60.0}
SHORT = {"data_timeout": 60.0, "min_data_rate": 0.0, "message_timeout": 1.0}
PATIENT = {"idle_timeout": 60.0, "command_timeout": 60.0}


def dribble(client: RawClient, pieces: list[bytes], pause: float, give_up: float = 15.0) -> bytes:
    """Send one piece per `pause` until the sink answers or closes; what it sent."""
    client.sock.settimeout(pause)
    deadline = time.monotonic() + give_up
    for piece in pieces:
        assert time.monotonic() < deadline, "the sink kept the slow client"
        try:
            client.send(piece)
            answer = client.sock.recv(4096)
        except TimeoutError:
            continue  # nothing yet: keep dribbling
        except OSError:
            return client.buffer
        client.buffer += answer
        if not answer or b"\r\n" in client.buffer:
            client.closed_by_peer(5)
            return client.buffer
    raise AssertionError("the message was sent completely")


def start_message(sink: ThreadedSink, raw, bdat: int | None = None) -> RawClient:
    client = raw(sink.port)
    client.reply()
    assert client.cmd("EHLO c.test")[0] == 250
    assert client.cmd("MAIL FROM:<a@c.test>")[0] == 250
    assert client.cmd("RCPT TO:<b@s.test>")[0] == 250
    if bdat is None:
        assert client.cmd("DATA")[0] == 354
    else:
        client.send(b"BDAT %d LAST\r\n" % bdat)
    return client


def timeouts(sink: ThreadedSink) -> list[str]:
    sessions = wait_for(lambda: sink.store.list_sessions())
    return [a["detail"] for s in sessions for a in s["anomalies"] if a["kind"] == "timeout"]


@pytest.mark.parametrize("bdat", [None, 10_000], ids=["DATA", "BDAT"])
def test_content_below_the_minimum_rate_is_cut(make_sink, raw, bdat: int | None) -> None:
    sink = make_sink(limits={**SLOW, **PATIENT})
    client = start_message(sink, raw, bdat)
    answer = dribble(client, [b"x"] * 10_000, pause=0.05)  # about 20 bytes a second
    assert answer.startswith(b"421 4.4.2 "), answer
    assert sink.messages() == []
    assert any("too slow" in detail for detail in timeouts(sink))


def test_bdat_chunks_are_timed_as_one_message(make_sink, raw) -> None:
    """One-byte chunks, each answered at once: the message as a whole is too slow."""
    sink = make_sink(limits={**SLOW, **PATIENT})
    client = raw(sink.port)
    client.reply()
    client.cmd("EHLO c.test")
    client.cmd("MAIL FROM:<a@c.test>")
    client.cmd("RCPT TO:<b@s.test>")
    codes = []
    for _ in range(300):  # at most 15 s
        client.send(b"BDAT 1\r\nx")
        try:
            code, lines = client.reply()
        except (ConnectionError, OSError):
            break
        codes.append(code)
        if code != 250:
            assert lines[0].startswith("421 4.4.2"), lines
            break
        time.sleep(0.05)
    assert codes and codes[-1] == 421, codes
    assert sink.messages() == []


def test_whole_message_deadline_even_at_a_good_rate(make_sink, raw) -> None:
    sink = make_sink(limits={**SHORT, **PATIENT})
    client = start_message(sink, raw)
    pieces = [b"y" * 50] * 400  # about 1000 bytes a second: no rate limit is hit
    answer = dribble(client, pieces, pause=0.05)
    assert answer.startswith(b"421 4.4.2 "), answer
    assert sink.messages() == []
    assert any("not complete after 1 s" in detail for detail in timeouts(sink))


def test_a_prompt_client_is_not_affected(make_sink, raw) -> None:
    sink = make_sink(limits={**SLOW, **PATIENT, "message_timeout": 5.0})
    client = start_message(sink, raw)
    client.send(b"Subject: big\r\n\r\n" + (b"z" * 998 + b"\r\n") * 500)
    assert client.cmd(".")[0] == 250
    assert client.cmd("MAIL FROM:<a@c.test>")[0] == 250  # a second message, same session
    client.cmd("RCPT TO:<b@s.test>")
    assert client.cmd("DATA")[0] == 354
    assert client.cmd("Subject: two\r\n\r\nsecond\r\n.")[0] == 250
    assert client.cmd("QUIT")[0] == 221
    assert len(wait_for(lambda: len(sink.messages()) == 2 and sink.messages())) == 2
    assert timeouts(sink) == []


def test_cli_flags_set_the_content_limits() -> None:
    from smtpcheck.cli.sink import build_config, sink

    limits = ["--data-timeout", "7", "--min-data-rate", "0", "--message-timeout", "9"]
    context = sink.make_context(
        "sink", [*limits, "--transcript-limit", "1000", "--listen", "26040"]
    )
    config = build_config(context.params)
    limits = config.limits
    assert (limits.data_timeout, limits.min_data_rate, limits.message_timeout) == (7, 0, 9)
    assert limits.transcript_limit == 1000
    assert (config.host, config.port) == ("127.0.0.1", 26040)  # a bare port


def test_slow_sockets_do_not_hold_every_slot(make_sink) -> None:
    """Clients stuck in DATA are cut, so a new client gets a slot again."""
    sink = make_sink(limits={**SLOW, **PATIENT, "max_connections": 3})
    stuck = []
    for _ in range(3):
        client = RawClient(sink.port)
        client.reply()
        for line in ("EHLO c.test", "MAIL FROM:<a@c.test>", "RCPT TO:<b@s.test>", "DATA"):
            client.cmd(line)
        client.send(b"x")
        stuck.append(client)
    for client in stuck:
        assert client.closed_by_peer(15) and client.buffer.startswith(b"421 4.4.2"), client.buffer
    with socket.create_connection(("127.0.0.1", sink.port), 10) as late:
        assert late.recv(100).startswith(b"220 ")
