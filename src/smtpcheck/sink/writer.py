"""Group commit in a writer process: the store's writes leave the event loop's process.

`ProcessCommitter` has `GroupCommitter`'s interface (sink/commit.py) but hands each
message over a Unix socket to a child process (`python -m smtpcheck.sink.writer FD
STORE DURABLE`) that runs `Store.write_batch` on whatever arrived since its last batch
(Maildir files, index rows, one syncfs) and answers with the sequence numbers it made
durable. The loop watches that socket (`add_reader`) and releases the batch's 250s.

Why a process: the writes are syscalls (creating a file costs ~0.4 ms of kernel time
on ext4 here) and SQLite work; in a thread each one gives the GIL back and then waits
for the event loop to drop it. In a process they run on another CPU, with no GIL.

Nothing acknowledged is lost: a 250 goes out only after the writer reported the
message durable. If the sink dies, the writer sees EOF, finishes the batch it holds and
exits (those messages were never acknowledged; keeping them is harmless). If the writer
dies, every waiting message is answered with the storage error (451) and so are later
ones. Frames are a 4-byte big-endian length and a pickle, both ways (the child is our
own code, started by us: nothing untrusted is ever unpickled).
"""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import socket
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smtpcheck.sink.store import Envelope, SessionRecord, Store

Done = Callable[[BaseException | None], None]
_LENGTH = struct.Struct(">I")
_READ_SIZE = 1 << 20
SESSION_DELAY = 0.2  # seconds a finished session's record may wait for a batch


def _frame(item: object) -> bytes:
    payload = pickle.dumps(item, pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(payload)) + payload


def _frames(buffer: bytearray) -> list[Any]:
    """Take every complete frame off the front of `buffer`."""
    items: list[Any] = []
    start = 0
    size = len(buffer)
    while size - start >= 4:
        (length,) = _LENGTH.unpack_from(buffer, start)
        if size - start - 4 < length:
            break
        items.append(pickle.loads(buffer[start + 4 : start + 4 + length]))
        start += 4 + length
    if start:
        del buffer[:start]
    return items


class WriterError(OSError):
    """The writer process failed or is gone."""


class ProcessCommitter:
    """The single writer of a `Store`, in a child process, driven from one asyncio loop."""

    def __init__(self, store: Store, loop: asyncio.AbstractEventLoop) -> None:
        self.store = store
        self.loop = loop
        self.batches = 0
        self.committed = 0
        self._sock: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._out = bytearray()
        self._in = bytearray()
        self._pending: dict[int, Done] = {}
        self._seq = 0
        self._broken: BaseException | None = None
        self._stopped: asyncio.Future[None] | None = None

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "smtpcheck.sink.writer",
                    str(theirs.fileno()),
                    str(self.store.root),
                    "1" if self.store.durable else "0",
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        ours.setblocking(False)
        self._sock = ours
        self.loop.add_reader(ours.fileno(), self._readable)

    # -- the loop's side -----------------------------------------------------------
    def submit(self, envelope: Envelope, done: Done) -> None:
        """Queue a message; `done(None)` runs on the loop once it is durable, else
        `done(error)`."""
        if self._broken is not None:
            error = self._broken
            self.loop.call_soon(done, error)
            return
        self._seq += 1
        self._pending[self._seq] = done
        self._send(("m", self._seq, envelope))

    def record_session(self, record: SessionRecord) -> None:
        """Queue a finished session's record (not awaited: nothing is acknowledged)."""
        if self._broken is None:
            self._send(("s", record))

    def _send(self, item: object) -> None:
        frame = _frame(item)
        if self._out:  # the socket is full: keep order, the writer callback drains
            self._out += frame
            return
        assert self._sock is not None
        try:
            sent = self._sock.send(frame)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            self._fail(WriterError(f"the writer process is gone: {exc}"))
            return
        if sent < len(frame):
            self._out += frame[sent:]
            self.loop.add_writer(self._sock.fileno(), self._writable)

    def _writable(self) -> None:
        assert self._sock is not None
        try:
            sent = self._sock.send(self._out)
        except BlockingIOError:
            return
        except OSError as exc:
            self._fail(WriterError(f"the writer process is gone: {exc}"))
            return
        del self._out[:sent]
        if not self._out:
            self.loop.remove_writer(self._sock.fileno())

    def _readable(self) -> None:
        assert self._sock is not None
        try:
            data = self._sock.recv(_READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._gone()
            return
        self._in += data
        for seqs, error_text in _frames(self._in):
            error = None if error_text is None else WriterError(error_text)
            self.batches += 1
            if error is None:
                self.committed += len(seqs)
            for seq in seqs:
                done = self._pending.pop(seq, None)
                if done is not None:
                    with contextlib.suppress(Exception):  # a session's bug is its own
                        done(error)

    def _gone(self) -> None:
        """EOF from the writer: after our stop request, or it died."""
        self._close_socket()
        if self._stopped is not None and not self._stopped.done():
            self._stopped.set_result(None)
        if self._pending or self._stopped is None:
            self._fail(WriterError("the writer process exited"))

    def _fail(self, error: BaseException) -> None:
        self._broken = error
        self._close_socket()
        pending, self._pending = self._pending, {}
        for done in pending.values():
            with contextlib.suppress(Exception):
                done(error)

    def _close_socket(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(Exception):
                self.loop.remove_reader(self._sock.fileno())
                self.loop.remove_writer(self._sock.fileno())
            self._sock.close()
            self._sock = None

    async def aclose(self) -> None:
        """Write what is queued, then end the writer process."""
        if self._sock is not None and self._broken is None:
            self._stopped = self.loop.create_future()
            self._send(None)  # the stop request: the writer answers, then exits
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._stopped), 60)
        self._close_socket()
        if self._process is not None:
            process = self._process
            self._process = None
            try:
                await self.loop.run_in_executor(None, process.wait, 30)
            except subprocess.TimeoutExpired:
                process.kill()
                await self.loop.run_in_executor(None, process.wait)


# -- the writer process ------------------------------------------------------------
def serve(sock: socket.socket, store: Store) -> None:
    """Batch what arrives, make it durable, answer with the sequence numbers; until EOF
    or a stop request.

    Finished sessions' records ride along with the next batch of messages (or go in
    after `SESSION_DELAY` seconds without one, and at the end): with a new connection
    per message, a commit of its own per closed session would double the index work.
    """
    buffer = bytearray()
    stopping = False
    sessions: list[SessionRecord] = []
    while not stopping:
        sock.settimeout(SESSION_DELAY if sessions else None)
        try:
            data = sock.recv(_READ_SIZE)
        except TimeoutError:
            _write(store, [], sessions)
            sessions = []
            continue
        if not data:
            stopping = True
        buffer += data
        sock.setblocking(False)  # take whatever else is already there into this batch
        with contextlib.suppress(BlockingIOError):
            while len(buffer) < 64 * _READ_SIZE:
                more = sock.recv(_READ_SIZE)
                if not more:
                    stopping = True
                    break
                buffer += more
        envelopes: list[Envelope] = []
        seqs: list[int] = []
        for item in _frames(buffer):
            if item is None:
                stopping = True
            elif item[0] == "m":
                seqs.append(item[1])
                envelopes.append(item[2])
            else:
                sessions.append(item[1])
        if not envelopes and not stopping:
            continue
        error = _write(store, envelopes, sessions)
        sessions = []
        if seqs:
            sock.setblocking(True)
            with contextlib.suppress(OSError):  # the sink is gone: nobody to tell
                sock.sendall(_frame((seqs, error)))


def _write(store: Store, envelopes: list[Envelope], sessions: list[SessionRecord]) -> str | None:
    """One batch; the error text for the waiting sessions, or None once durable."""
    try:
        store.write_batch(envelopes, sessions)
    except Exception as exc:  # reported to every waiting session as a 451
        if sessions:  # informative only; losing one loses no mail
            with contextlib.suppress(Exception):
                store.record_sessions(sessions)
        return f"{type(exc).__name__}: {exc}"
    return None


def main(argv: list[str]) -> int:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the sink, which stops us
    fd, root, durable = int(argv[0]), Path(argv[1]), argv[2] == "1"
    sock = socket.socket(fileno=fd)
    store = Store(root, durable=durable).open(reconcile=False)  # the sink reconciled
    try:
        serve(sock, store)
    finally:
        store.close()
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
