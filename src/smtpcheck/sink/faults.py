"""Fault injection for the crash tests: make the sink die (or a sync fail) at a named stage.

    SMTPCHECK_SINK_FAULT=STAGE:N[,STAGE:N...]

The N-th time the writer reaches STAGE, the sink's whole process group is killed with
SIGKILL on the spot (the server, its writer process and their threads die together, as
in a crash), or, for `spool-sync-error`, the spool's fdatasync fails with EIO. Stages,
in the order a message goes through them:

- `spool-torn`: half of a batch's spool records written, then the crash (a torn tail);
- `spool-written`: the batch written to the spool file, not yet fdatasync'ed;
- `spool-synced`: the batch durable, its 250s not yet released;
- `maildir-half`: half of a batch's Maildir files written, one more half-written in tmp/;
- `index-behind`: the batch's Maildir files written, its index transaction not committed;
- `compact`: a spool segment indexed and made durable, not yet deleted;
- `replay`: at start, a dead writer's segment replayed and made durable, not yet deleted.

Unset (always, outside the tests), `reached` is one dictionary lookup per batch.
Only the crash tests set it, on a sink started in a process group of its own.
"""

from __future__ import annotations

import errno
import os
import signal

STAGES = (
    "spool-torn",
    "spool-written",
    "spool-synced",
    "maildir-half",
    "index-behind",
    "compact",
    "replay",
    "spool-sync-error",
)


def _parse(spec: str) -> dict[str, int]:
    armed: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        stage, _, count = item.partition(":")
        if stage not in STAGES:
            raise ValueError(f"SMTPCHECK_SINK_FAULT: unknown stage {stage!r}")
        armed[stage] = int(count or "1")
    return armed


_armed = _parse(os.environ.get("SMTPCHECK_SINK_FAULT", ""))


def reached(stage: str) -> None:
    """Count a pass through `stage`; on the armed pass, crash (or fail, for a sync)."""
    if not _armed or stage not in _armed:
        return
    _armed[stage] -= 1
    if _armed[stage] != 0:
        return
    if stage == "spool-sync-error":
        raise OSError(errno.EIO, "fdatasync: Input/output error (injected)")
    os.killpg(os.getpgrp(), signal.SIGKILL)


def armed(stage: str) -> bool:
    """True when `stage` will fire on its next pass (so a caller can set the scene)."""
    return _armed.get(stage) == 1
