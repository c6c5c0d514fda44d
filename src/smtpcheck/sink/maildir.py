"""The Maildir files: what a mail reader sees of each captured message.

Each message is one file in `Maildir/new/`, written in `tmp/` and renamed (a reader never
sees half a file). Its name is fixed by the message (`<time>.<id>.<hostname>`), so
writing it again from the spool after a crash finds or replaces the same file: never a
duplicate. The file starts with the trace headers an MDA adds (`Return-Path`,
`Delivered-To`, `Received`), then the message exactly as received.
"""

from __future__ import annotations

import contextlib
import os
from email.utils import formatdate
from pathlib import Path

from smtpcheck.sink.records import Envelope

SUBDIRS = ("tmp", "new", "cur")


def trace_headers(env: Envelope) -> bytes:
    """Return-Path, Delivered-To and Received, as an MDA would prepend them."""
    lines = [f"Return-Path: <{env.mail_from}>"]
    lines += [f"Delivered-To: {rcpt}" for rcpt in env.recipients]
    lines.append(
        f"Received: from {env.helo or 'unknown'} ({env.client})\r\n"
        f"\tby {env.hostname} (smtpcheck sink) with {env.protocol} id {env.id}\r\n"
        f"\t; {formatdate(env.received_at, localtime=True)}"
    )
    return ("\r\n".join(lines) + "\r\n").encode("utf-8", "surrogateescape")


def trace_length(raw: bytes) -> int:
    """Length of our prepended trace headers (up to the end of the Received field)."""
    marker = raw.find(b"(smtpcheck sink)")
    if marker < 0:
        return 0
    end = raw.find(b"\r\n", raw.find(b"\t; ", marker))
    return end + 2 if end >= 0 else 0


def file_name(env: Envelope) -> str:
    return f"{int(env.received_at)}.{env.id}.{env.hostname.replace('/', '_')}"


def relative_path(env: Envelope) -> str:
    """Where the message's file is (or will be), relative to the Maildir."""
    return f"new/{file_name(env)}"


def deliver(maildir: Path, env: Envelope, trace: bytes, fsync: bool) -> None:
    """Write the message's file into `new/` (via `tmp/`), replacing an earlier copy.

    Not durable by itself unless `fsync`: the spool holds the message until a barrier
    (syncfs) has made the Maildir durable.
    """
    name = file_name(env)
    tmp_path = f"{maildir}/tmp/{name}"
    # O_TRUNC, not O_EXCL: a crash may have left this very file half-written in tmp/.
    fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(trace + env.data)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp_path, f"{maildir}/new/{name}")


def write_partial(maildir: Path, env: Envelope) -> None:
    """Half of a message's file in tmp/ (the `maildir-half` crash test's scene)."""
    with open(f"{maildir}/tmp/{file_name(env)}", "wb") as partial:
        partial.write(env.data[: len(env.data) // 2])


def remove(maildir: Path, env: Envelope) -> None:
    """Delete the message's file if it is there (a message cleared while in flight)."""
    for path in (f"{maildir}/new/{file_name(env)}", f"{maildir}/tmp/{file_name(env)}"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
