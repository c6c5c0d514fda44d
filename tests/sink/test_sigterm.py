"""SIGTERM to the sink's process group (what systemd and `kill -- -PGID` send) under
load: the server drains and its writer outlives it, so every acknowledged message and
every session's record is in the Maildir and the index when the group has exited —
without a restart replaying anything."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from crashkit import Load, SinkProcess, missing_acknowledged

from smtpcheck.sink.store import Store


@pytest.mark.parametrize("writer", ["process", "thread"])
def test_sigterm_to_the_group_loses_no_message_and_no_session(tmp_path: Path, writer: str) -> None:
    store_dir = tmp_path / "store"
    sink = SinkProcess(store_dir, writer, segment_bytes=64 * 1024)
    assert sink.wait_listening(), sink.errors()
    with Load(sink.port, "t", clients=6) as load:
        time.sleep(1.0)
        sink.kill_group(signal.SIGTERM)
        status = sink.wait_gone()
    assert status == 0
    assert "process exited" not in sink.errors()  # SIGTERM killed neither writer
    assert len(load.acknowledged) > 50
    assert not list((store_dir / "spool").iterdir()), "the writer left before the end"
    store = Store(store_dir).open(reconcile=False)  # as the sink left it: no replay
    try:
        recorded = {session["helo"] for session in store.list_sessions()}
    finally:
        store.close()
    assert set(load.sessions) <= recorded, sorted(set(load.sessions) - recorded)[:5]
    assert not missing_acknowledged(store_dir, load.acknowledged)
