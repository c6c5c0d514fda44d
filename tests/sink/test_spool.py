"""The spool on its own: records that survive only whole, replay that is idempotent,
readers that see what is still only in the spool, and `clear` racing the writer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from smtpcheck.sink.records import Envelope, SessionRecord
from smtpcheck.sink.recovery import replay_spool
from smtpcheck.sink.spool import (
    MAGIC,
    SpoolWriter,
    encode_message,
    encode_session,
    read_records,
    segment_paths,
)
from smtpcheck.sink.store import Store


def envelope(number: int, at: float | None = None) -> Envelope:
    return Envelope(
        id=f"ID{number:04d}",
        mail_from="a@x.test",
        recipients=["b@y.test"],
        data=f"Subject: m{number}\r\n\r\nbody {number}\xe9\r\n".encode("latin-1"),
        client="127.0.0.1:1",
        helo="client.test",
        hostname="sink.test",
        mail_params={"BODY": "8BITMIME"},
        anomalies=[{"kind": "bare-lf", "detail": "x"}],
        received_at=at if at is not None else time.time(),
    )


def writer_for(store: Path) -> SpoolWriter:
    """A spool writer as the journal has one (it holds its segment's lock)."""
    return SpoolWriter(store / "spool", True, lambda segment: None, lambda segment: None)


def sink_cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "smtpcheck", "sink", *args]
    return subprocess.run(command, capture_output=True, timeout=60)


def test_records_round_trip_and_a_torn_tail_is_ignored(tmp_path: Path) -> None:
    weird = envelope(1)
    weird.mail_from = "s\udcffnder@x.test"  # undecodable bytes from the wire
    session = SessionRecord("S1", 1.0, 2.0, "127.0.0.1:1", "c.test", None, None, 1, [])
    writer = writer_for(tmp_path)
    segment = writer.append([encode_message(weird), encode_session(session)])
    last = encode_message(envelope(2))
    os.pwrite(segment.fd, last[: len(last) - 3], segment.size)  # cut short by a crash
    assert read_records(segment.path) == [weird, session]
    corrupt = bytearray(segment.path.read_bytes())
    corrupt[len(MAGIC) + 20] ^= 0xFF  # inside the first record: its CRC fails
    segment.path.write_bytes(bytes(corrupt))
    assert read_records(segment.path) == []


def test_replay_is_idempotent_and_empties_the_spool(tmp_path: Path) -> None:
    first, second, third = envelope(1), envelope(2), envelope(3)
    store = Store(tmp_path).open()
    store.index_batch([first])  # indexed before the crash
    store.close()
    maildir_only = tmp_path / "Maildir" / "new" / f"{int(second.received_at)}.ID0002.sink.test"
    writer = writer_for(tmp_path)
    segment = writer.append([encode_message(m) for m in (first, second, third)])
    os.close(segment.fd)  # the writer dies: nobody holds the segment now
    # the crash came after second's Maildir file, before its index row
    maildir_only.write_bytes(b"half-")
    (tmp_path / "Maildir" / "tmp" / maildir_only.name).write_bytes(b"half-written")
    store = Store(tmp_path).open()
    try:
        assert [m["id"] for m in store.list_messages()] == ["ID0001", "ID0002", "ID0003"]
        for message, sent in zip(store.list_messages(), (first, second, third), strict=True):
            assert store.raw(message, with_trace=False) == sent.data
            assert message["anomalies"] == sent.anomalies  # the envelope, not a recovery
        assert len(os.listdir(tmp_path / "Maildir" / "new")) == 3
        assert not os.listdir(tmp_path / "Maildir" / "tmp")
        assert segment_paths(tmp_path / "spool") == []
        assert replay_spool(store) == 0
    finally:
        store.close()


def test_readers_see_what_is_only_in_the_spool(tmp_path: Path) -> None:
    """While the Maildir catches up: `list`, `show`, `--raw`, `--export` read the spool."""
    Store(tmp_path).open().close()
    writer = writer_for(tmp_path)  # alive: its segment is locked, nobody replays it
    sent = envelope(7)
    writer.append([encode_message(sent)])
    assert os.listdir(tmp_path / "Maildir" / "new") == []
    listed = sink_cli("list", "--store", str(tmp_path), "--json")
    assert listed.returncode == 0, listed.stderr
    assert [m["id"] for m in json.loads(listed.stdout)["messages"]] == ["ID0007"]
    raw = sink_cli("show", "1", "--raw", "--store", str(tmp_path))
    assert raw.stdout == sent.data
    exported = sink_cli("show", "ID0007", "--store", str(tmp_path), "--export", str(tmp_path))
    assert (tmp_path / "ID0007.eml").read_bytes().endswith(sent.data), exported.stderr
    assert (tmp_path / "ID0007.eml").read_bytes().startswith(b"Return-Path: <a@x.test>")
    assert os.listdir(tmp_path / "Maildir" / "new") == []  # still nothing replayed
    assert len(segment_paths(tmp_path / "spool")) == 1


def test_clear_drops_what_is_in_flight_and_keeps_later_mail(tmp_path: Path) -> None:
    store = Store(tmp_path).open()
    writer = writer_for(tmp_path)
    before = envelope(1, at=time.time() - 10)
    writer.append([encode_message(before)])
    assert store.count() == 1
    assert store.clear() == 1
    assert store.list_messages() == []
    after = envelope(2)
    store.index_batch([before, after])  # the writer catches up after the clear
    try:
        assert [m["id"] for m in store.list_messages()] == ["ID0002"]
        assert len(os.listdir(tmp_path / "Maildir" / "new")) == 1
    finally:
        store.close()
