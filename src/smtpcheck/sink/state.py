"""What one connection of the sink knows, as plain objects the dialogue's parts share.

`SessionState` holds the connection's facts (client, HELO name, TLS, AUTH), its
counters and its anomalies; `Transaction` the mail transaction being built (sender,
recipients, content); `AuthExchange` an AUTH exchange in progress. Like aiosmtpd's
`Session` and `Envelope`, they hold data and no behaviour: the dialogue
(sink/dialogue.py) changes them, the session (sink/session.py) reads them to record
the connection.

Everything a client can make grow is bounded here: anomalies are counted per kind and
only the first few of each kind are kept (`AnomalyLog`); recipients are bounded by the
dialogue (`max_recipients`) and content by the size limit.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

#: examples kept per anomaly kind (per session, and per message); the rest are counted
EXAMPLES_PER_KIND = 3
#: characters of an anomaly's detail kept
DETAIL_LIMIT = 300

_counter = itertools.count()
_worker_suffix = ""


def set_worker(number: int) -> None:
    """In a `--workers` process: ids end with the worker's number (unique across them)."""
    global _worker_suffix
    _worker_suffix = f"{number:02X}"


def new_id() -> str:
    """A short id, sortable by time: milliseconds and a counter, in hex (like Postfix)."""
    return f"{int(time.time() * 1000):011X}{next(_counter) % 4096:03X}{_worker_suffix}"


class AnomalyLog:
    """Anomalies of a session or a message: a count per kind, the first few examples.

    A client can provoke an anomaly with every line it sends (pipelined NOOPs); keeping
    each one would let it fill the memory, the index and the live log. So each kind is
    counted, and only its first `EXAMPLES_PER_KIND` occurrences are kept.
    """

    __slots__ = ("counts", "examples")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.examples: list[dict[str, str]] = []

    def add(self, kind: str, detail: str) -> dict[str, str] | None:
        """Count one anomaly; returns it when it is kept as an example (else None)."""
        count = self.counts.get(kind, 0) + 1
        self.counts[kind] = count
        if count > EXAMPLES_PER_KIND:
            return None
        item = {"kind": kind, "detail": detail[:DETAIL_LIMIT]}
        self.examples.append(item)
        return item

    def __bool__(self) -> bool:
        return bool(self.counts)

    def as_list(self) -> list[dict[str, str]]:
        """The examples, then one entry per kind that occurred more often than shown."""
        items = list(self.examples)
        for kind, count in self.counts.items():
            if count > EXAMPLES_PER_KIND:
                items.append(
                    {
                        "kind": kind,
                        "detail": f"{count - EXAMPLES_PER_KIND} more not kept ({count} in all)",
                    }
                )
        return items


@dataclass(slots=True)
class Transaction:
    """The mail transaction being built: MAIL, the accepted RCPTs, the content so far."""

    mail_from: str | None = None
    mail_params: dict[str, str | None] = field(default_factory=dict)
    recipients: list[str] = field(default_factory=list)
    rcpt_params: list[dict[str, str | None]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    too_big: bool = False  # over the size limit: content is counted, no longer kept
    anomalies: AnomalyLog = field(default_factory=AnomalyLog)
    content_started: float | None = None  # time.monotonic() of the first content
    content_received: int = 0  # content bytes so far, kept or not (for the min rate)


@dataclass(slots=True)
class AuthExchange:
    """An AUTH exchange after its first 334: the mechanism, and LOGIN's user so far."""

    mechanism: str
    login_user: str | None = None


@dataclass(slots=True)
class SessionState:
    """One connection's facts, counters and anomalies (see the module docstring)."""

    id: str = field(default_factory=new_id)
    started: float = field(default_factory=time.time)
    client: str = ""  # "ip:port" or "[v6]:port"
    client_ip: str = ""
    helo: str = ""
    tls: dict[str, Any] | None = None  # {"version", "cipher"} once TLS is on
    auth: dict[str, str] | None = None  # {"user", "mechanism"} once authenticated
    messages: int = 0  # stored
    errors: int = 0  # bad commands so far (too many: 421)
    anomalies: AnomalyLog = field(default_factory=AnomalyLog)
    transaction: Transaction = field(default_factory=Transaction)
    auth_exchange: AuthExchange | None = None
    #: client bytes are AUTH secrets now: from an AUTH command until its exchange ends
    #: (and, after a refused AUTH without initial response, until the next command
    #: the sink serves: a pipelining client sends its answer without waiting)
    auth_secret: bool = False

    def in_transaction(self) -> bool:
        return self.transaction.mail_from is not None

    def reset_transaction(self) -> None:
        self.transaction = Transaction()
