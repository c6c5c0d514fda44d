"""The capture server: protocol server role + net + durable storage.

Public API (imported lazily, so `smtpcheck.sink.config` stays cheap):
`SinkConfig`, `Limits`, `SinkServer`, `run_in_thread`, `ThreadedSink`, `Store`,
`RuleSet`, `Rule`, `Greylist`, `get_persona`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SinkConfig": "config",
    "Limits": "config",
    "SinkServer": "server",
    "run_in_thread": "server",
    "ThreadedSink": "server",
    "Store": "store",
    "RuleSet": "rules",
    "Rule": "rules",
    "Greylist": "rules",
    "get_persona": "personas",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'smtpcheck.sink' has no attribute {name!r}")
    return getattr(importlib.import_module(f"smtpcheck.sink.{module}"), name)
