"""Nothing acknowledged is lost, whatever the moment the sink dies.

The whole process group (the server, its writer process, their threads) is killed with
SIGKILL under concurrent load, 50 times for each `--writer` (100 kills): at random
moments, and at every named stage of the write path (sink/faults.py), where the sink
kills its own group: a batch half-written to the spool, written but not synced, synced
but not answered, Maildir files half-written, the index behind the Maildir, a segment
indexed but not deleted, and a dead writer's segment replayed at start but not deleted.
Spool segments are kept small, so that they rotate and are deleted under the load.
After each kill the sink starts again on the same store (replaying the spool). At the
end every message that got its 250 must be in the index and in the Maildir, once.

Killing processes cannot lose what the kernel already holds: that the fdatasync comes
before the 250 is proven by test_durable_path.py.
"""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from crashkit import Load, SinkProcess, missing_acknowledged

from smtpcheck.sink.store import Store

SPOOL_STAGES = ("spool-torn", "spool-written", "spool-synced")
INDEX_STAGES = ("maildir-half", "index-behind")
STAGES = (*SPOOL_STAGES, *INDEX_STAGES, "compact", "replay")
KILLS = 50  # per writer
SEGMENT_BYTES = 64 * 1024  # a new spool segment every few dozen messages


def fault_for(stage: str | None, rng: random.Random) -> str | None:
    """The SMTPCHECK_SINK_FAULT value that crashes at `stage` (after a few passes)."""
    if stage is None:
        return None
    if stage in SPOOL_STAGES:
        return f"{stage}:{rng.randint(1, 8)}"
    if stage in INDEX_STAGES:
        return f"{stage}:{rng.randint(1, 3)}"
    return f"{stage}:1"


def died_within(sink: SinkProcess, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if sink.process.poll() is not None:
            return True
        time.sleep(0.01)
    return False


def crash_once(store: Path, writer: str, stage: str | None, tag: str, rng: random.Random):
    """Start the sink, load it, let it crash at `stage` (or kill it at a random moment).
    Returns the acknowledged subjects and whether the stage's fault fired."""
    sink = SinkProcess(store, writer, fault_for(stage, rng), SEGMENT_BYTES)
    fired = False
    acknowledged: list[str] = []
    if not sink.wait_listening():
        fired = True  # crashed while starting: the replay stage
    else:
        with Load(sink.port, tag) as load:
            if stage is None:
                time.sleep(rng.uniform(0.05, 0.4))
            elif stage == "compact":  # a segment is deleted after a pause in the mail
                time.sleep(0.2)
                load.stop()
                fired = died_within(sink, 5)
            else:
                fired = died_within(sink, 3)
            sink.kill_group()
        acknowledged = load.acknowledged
    sink.wait_gone()
    return acknowledged, fired


@pytest.mark.timeout(600)
@pytest.mark.parametrize("writer", ["process", "thread"])
def test_no_acknowledged_message_is_lost_in_50_kills(tmp_path: Path, writer: str) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    store = tmp_path / "store"
    plan: list[str | None] = [None] * (KILLS - 6 * len(STAGES)) + list(STAGES) * 6
    rng.shuffle(plan)
    acknowledged: list[str] = []
    fired: Counter[str] = Counter()
    for cycle, stage in enumerate(plan):
        got, stage_fired = crash_once(store, writer, stage, f"c{cycle}", rng)
        acknowledged += got
        if stage is not None and stage_fired:
            fired[stage] += 1
    final = SinkProcess(store, writer)  # replays what the last kill left, then stops
    assert final.wait_listening(), final.errors()
    final.kill_group(signal.SIGTERM)
    assert final.wait_gone() == 0
    context = f"(seed {seed}, faults fired {dict(fired)})"
    assert len(acknowledged) > 1000, context
    missing = missing_acknowledged(store, acknowledged)
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged lost {context}"
    assert set(fired) == set(STAGES), f"a stage never crashed the sink {context}"
    reopened = Store(store).open()
    try:
        files = list((store / "Maildir" / "new").iterdir())
        assert reopened.count() == len(files), "a message indexed twice or a file left over"
        assert not list((store / "spool").iterdir()), "the spool is not empty after a stop"
    finally:
        reopened.close()
