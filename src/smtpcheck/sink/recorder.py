"""What the sink keeps and tells about one session: anomalies, transcript, live events,
and the record the index gets when the connection ends.

Anomalies are counted per kind for the session and its transaction, the first few of
each kind kept (sink/state.py) and shown live; their details never carry AUTH secrets
(sink/redact.py). The transcript (`--transcript`) gets client bytes with what the
session knows of the AUTH exchange, so it can redact them.
"""

from __future__ import annotations

import time
from typing import Any

from smtpcheck.protocol.events import Anomaly
from smtpcheck.sink.interfaces import SinkHost
from smtpcheck.sink.redact import SECRET_DETAIL, Secrecy, scrub_detail
from smtpcheck.sink.state import SessionState
from smtpcheck.sink.store import SessionRecord
from smtpcheck.sink.transcript import Transcript


class SessionRecorder:
    """Records one session (see the module docstring)."""

    __slots__ = ("host", "state", "transcript")

    def __init__(self, state: SessionState, host: SinkHost) -> None:
        self.state = state
        self.host = host
        self.transcript: Transcript | None = None
        config = host.config
        if config.transcript_dir is not None:
            self.transcript = Transcript(
                config.transcript_dir / f"{state.id}.jsonl",
                state.started,
                config.show_secrets,
                config.limits.transcript_limit,
            )

    @property
    def listening(self) -> bool:
        return self.host.on_event is not None

    def emit(self, event: dict[str, Any]) -> None:
        """A live event about this session (its id and client added)."""
        self.host.emit({**event, "session": self.state.id, "client": self.state.client})

    def note(self, anomaly: Anomaly, secret: bool = False) -> None:
        """Count an anomaly for the session and the transaction; `secret`: it came with
        AUTH bytes, its detail is not kept."""
        kind = str(anomaly.kind)
        detail = SECRET_DETAIL if secret else scrub_detail(anomaly.detail)
        kept = self.state.anomalies.add(kind, detail)
        self.state.transaction.anomalies.add(kind, detail)
        if kept is not None and self.host.on_event is not None:
            self.emit({"event": "anomaly", **kept})

    def record(self, direction: str, data: bytes, under_tls: bool) -> None:
        """Bytes received ("C") or sent ("S"), for the transcript."""
        if self.transcript is None:
            return
        state = self.state
        secrecy = Secrecy.NONE
        if direction == "C" and state.auth_secret:
            secrecy = Secrecy.ANSWERS if state.auth_exchange else Secrecy.EARLY
        self.transcript.record(direction, data, under_tls, secrecy)

    def finish(self) -> None:
        """The connection is gone: close the transcript, index the session, tell."""
        state = self.state
        transcript = None
        if self.transcript is not None:
            transcript = self.transcript.name
            self.transcript.close()
        anomalies = state.anomalies.as_list()
        record = SessionRecord(
            state.id,
            state.started,
            time.time(),
            state.client,
            state.helo,
            state.tls,
            state.auth,
            state.messages,
            anomalies,
            transcript,
        )
        if self.host.committer is not None:
            self.host.committer.record_session(record)
        if self.host.on_event is not None:
            self.emit(
                {
                    "event": "close",
                    "messages": state.messages,
                    "duration": time.time() - state.started,
                    "tls": state.tls,
                    "auth": state.auth,
                    "anomalies": anomalies,
                    "anomaly_counts": dict(state.anomalies.counts),
                }
            )
