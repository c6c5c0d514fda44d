"""What the sink stores: one accepted message (`Envelope`) and one finished connection
(`SessionRecord`), as the session hands them to the committer.

Both travel through the spool (sink/spool.py) as JSON metadata (plus the message bytes),
so every field is a JSON value: strings may carry surrogate escapes (undecodable bytes
from the wire), which JSON's ASCII form keeps exactly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Envelope:
    """One accepted message, as the session hands it to the store."""

    id: str
    mail_from: str
    recipients: list[str]
    data: bytes
    mail_params: dict[str, str | None] = field(default_factory=dict)
    rcpt_params: list[dict[str, str | None]] = field(default_factory=list)
    client: str = ""
    helo: str = ""
    protocol: str = "ESMTP"
    tls: dict[str, Any] | None = None
    auth: dict[str, Any] | None = None
    session_id: str = ""
    anomalies: list[dict[str, str]] = field(default_factory=list)
    received_at: float = field(default_factory=time.time)
    hostname: str = "sink.localhost"


@dataclass
class SessionRecord:
    """What the index keeps about one connection."""

    id: str
    started_at: float
    ended_at: float | None
    client: str
    helo: str
    tls: dict[str, Any] | None
    auth: dict[str, Any] | None
    messages: int
    anomalies: list[dict[str, str]]
    transcript: str | None = None
