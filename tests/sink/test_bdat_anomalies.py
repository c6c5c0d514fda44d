"""BDAT byte by byte, and the protocol anomalies the sink records per session."""

from __future__ import annotations

import time

from sinkutil import wait_for

from smtpcheck.sink.personas import SMTPCHECK, Persona
from smtpcheck.sink.server import ThreadedSink


def kinds(sink: ThreadedSink) -> set[str]:
    sessions = wait_for(lambda: sink.store.list_sessions())
    return {a["kind"] for s in sessions for a in s["anomalies"]}


def test_bdat_sent_byte_by_byte(sink: ThreadedSink, raw) -> None:
    client = raw(sink.port)
    client.reply()
    client.cmd("EHLO c.test")
    client.cmd("MAIL FROM:<a@c.test>")
    client.cmd("RCPT TO:<b@s.test>")
    first, second = b"Subject: chunks\r\n\r\n", b"two chunks\r\n"
    for byte in b"BDAT %d\r\n" % len(first) + first:
        client.send(bytes([byte]))
        time.sleep(0.001)
    assert client.reply()[0] == 250
    for byte in b"BDAT %d LAST\r\n" % len(second) + second:
        client.send(bytes([byte]))
    assert client.reply()[0] == 250
    stored = wait_for(sink.messages)[0]
    assert sink.store.raw(stored, with_trace=False) == first + second


def send_data(client, body: bytes) -> tuple[int, list[str]]:
    client.reply()
    client.cmd("EHLO c.test")
    client.cmd("MAIL FROM:<a@c.test>")
    client.cmd("RCPT TO:<b@s.test>")
    client.cmd("DATA")
    client.send(body)
    return client.reply()


def test_bare_lf_and_smuggling_eod_are_recorded(sink: ThreadedSink, raw) -> None:
    client = raw(sink.port)
    code, _ = send_data(client, b"Subject: x\r\n\r\nbare\nlf\r\n\n.\nMAIL FROM:<evil@x>\r\n.\r\n")
    assert code == 250
    client.cmd("QUIT")
    found = kinds(sink)
    assert "bare-lf-in-data" in found and "smuggling-eod" in found
    stored = sink.messages()[0]
    assert {"smuggling-eod"} <= {a["kind"] for a in stored["anomalies"]}


def test_eight_bit_without_8bitmime(sink: ThreadedSink, raw) -> None:
    client = raw(sink.port)
    assert send_data(client, "Subject: è\r\n\r\ncaffè\r\n.\r\n".encode())[0] == 250
    client.cmd("QUIT")
    assert "eight-bit-without-8bitmime" in kinds(sink)


def test_command_before_greeting(make_sink, raw) -> None:
    from smtpcheck.sink.rules import RuleSet

    sink = make_sink(rules=RuleSet(greeting_delay=0.3))
    client = raw(sink.port)
    client.send(b"EHLO early.test\r\n")
    assert client.reply()[0] == 220
    assert client.reply()[0] == 250
    client.cmd("QUIT")
    assert "command-before-greeting" in kinds(sink)


def test_pipelining_without_pipelining_advertised(make_sink, raw) -> None:
    keywords = tuple(k for k in SMTPCHECK.keywords if k != "PIPELINING")
    persona = Persona("nopipe", "no PIPELINING", keywords, SMTPCHECK.replies)
    sink = make_sink(persona=persona)
    client = raw(sink.port)
    client.reply()
    client.cmd("EHLO c.test")
    client.send(b"MAIL FROM:<a@c.test>\r\nRCPT TO:<b@s.test>\r\n")
    assert client.reply()[0] == 250 and client.reply()[0] == 250
    client.cmd("QUIT")
    assert "unadvertised-pipelining" in kinds(sink)


def test_data_after_starttls_in_same_packet(sink: ThreadedSink, raw) -> None:
    client = raw(sink.port)
    client.reply()
    client.cmd("EHLO c.test")
    client.send(b"STARTTLS\r\nMAIL FROM:<injected@x>\r\n")
    assert client.reply()[0] == 220
    client.close()
    assert "buffered-after-starttls" in kinds(sink)


def test_transcript_is_byte_exact(make_sink, raw, tmp_path) -> None:
    import json

    sink = make_sink(transcript_dir=tmp_path / "t")
    client = raw(sink.port)
    client.reply()
    client.send(b"EHLO c.test\n")  # bare LF, kept as sent
    client.reply()
    client.cmd("QUIT")
    path = wait_for(lambda: list((tmp_path / "t").glob("*.jsonl")))[0]
    wait_for(lambda: sink.store.list_sessions())
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    sent = b"".join(e["data"].encode("latin-1") for e in entries if e["dir"] == "C")
    assert sent == b"EHLO c.test\nQUIT\r\n"
    assert entries[0]["dir"] == "S" and entries[0]["data"].startswith("220 ")
