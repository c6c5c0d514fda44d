"""The sink's store read back for the mailbox pages, and news of mail as it arrives.

`Mailbox` reads through the store's API (list, resolve, raw, sessions, delete); the
sink running in the same process calls `on_sink_event`, which wakes the pages that
watch (Server-Sent Events). Search matches the sender, the recipients, the subject and
the From/To fields.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from smtpcheck.sink.store import Store

MAX_TRANSCRIPT = 256 * 1024  # bytes of a session transcript file read for a page
SUMMARY_KEYS = (
    "id",
    "received_at",
    "mail_from",
    "recipients",
    "subject",
    "from_header",
    "to_header",
    "size",
    "client",
    "helo",
    "protocol",
    "tls",
    "anomalies",
)


def summary(message: dict[str, Any]) -> dict[str, Any]:
    return {key: message.get(key) for key in SUMMARY_KEYS}


def _matches(message: dict[str, Any], words: list[str]) -> bool:
    haystack = " ".join(
        str(message.get(key) or "")
        for key in ("mail_from", "subject", "from_header", "to_header", "id")
    )
    haystack = (haystack + " " + " ".join(message.get("recipients") or [])).lower()
    return all(word in haystack for word in words)


class Mailbox:
    """Reads the store; knows when something changed."""

    def __init__(self, store: Store, transcript_dir: Path | None = None) -> None:
        self.store = store
        self.transcript_dir = transcript_dir
        self.version = 0
        self._changed: asyncio.Future[None] | None = None

    def on_sink_event(self, event: dict[str, Any]) -> None:
        """The sink's event listener: a message stored or a session ended."""
        if event.get("event") in ("message", "close"):
            self.touch()

    def touch(self) -> None:
        self.version += 1
        changed, self._changed = self._changed, None
        if changed is not None and not changed.done():
            changed.set_result(None)

    def messages(self, query: str = "") -> list[dict[str, Any]]:
        """Newest first, matching every word of `query`."""
        words = query.lower().split()
        found = [m for m in self.store.list_messages() if not words or _matches(m, words)]
        return [summary(m) for m in reversed(found)]

    def message(self, message_id: str) -> dict[str, Any] | None:
        found = self.store.resolve(message_id)
        if found is None or found["id"] != message_id:  # ids only, no prefix or position
            return None
        return found

    def raw(self, message: dict[str, Any]) -> bytes:
        return self.store.raw(message, with_trace=False)

    def delete(self, message_id: str) -> bool:
        deleted = self.store.delete(message_id)
        if deleted:
            self.touch()
        return deleted

    def session(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """The session record that carried the message, with its transcript lines."""
        wanted = message.get("session_id")
        if not wanted:
            return None
        for record in self.store.list_sessions():
            if record["id"] == wanted:
                record["transcript_lines"] = self._transcript(record.get("transcript"))
                return record
        return None

    def _transcript(self, path: str | None) -> list[dict[str, Any]]:
        if not path or self.transcript_dir is None:
            return []
        file = Path(path).resolve()
        if file.parent != self.transcript_dir.resolve():  # only our own files are read
            return []
        try:
            with open(file, encoding="utf-8") as stream:
                text = stream.read(MAX_TRANSCRIPT)
        except OSError:
            return []
        lines = []
        for line in text.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict):
                lines.append(
                    {
                        "t": item.get("t"),
                        "dir": item.get("dir"),
                        "tls": bool(item.get("tls")),
                        "data": str(item.get("data", "")),
                    }
                )
        return lines

    async def arrivals(self, heartbeat: float = 15.0) -> AsyncIterator[list[dict[str, Any]] | None]:
        """New messages (summaries, oldest first) each time some arrive; None: keep-alive."""
        known = {m["id"] for m in self.store.list_messages()}
        while True:
            if self._changed is None:
                self._changed = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(asyncio.shield(self._changed), heartbeat)
            except TimeoutError:
                yield None
                continue
            current = self.store.list_messages()
            new = [summary(m) for m in current if m["id"] not in known]
            known = {m["id"] for m in current}
            if new:
                yield new
