"""The writer process of `--writer process`: the indexer (sink/indexer.py) in a process
of its own, at a lower CPU priority than the server's, sharing no GIL with it.

`IndexerProcess` is the server's end (sink/journal.py's `IndexerLink`); the other end is
`python -m smtpcheck.sink.indexer_process FD STORE DURABLE`, which runs `drive`. They
talk over a Unix SOCK_SEQPACKET socket, one short text message each:

    open NAME     (with the segment's descriptor: the writer holds its lock from then)
    commit NAME OFFSET    seal NAME OFFSET       server -> writer
    indexed NAME OFFSET                          writer -> server

`commit` and `indexed` only say how far: when the socket is full, a newer one replaces
an older one for the same segment instead of waiting (`Mailbox`): neither side ever
blocks on the other.

The writer ignores SIGINT and SIGTERM (they reach the whole process group): it leaves
when the server closes the socket, after writing everything it was told of (a segment
it was not told is complete stays for the next start to replay).
"""

from __future__ import annotations

import array
import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from smtpcheck.sink.indexer import Indexer, Message, drive
from smtpcheck.sink.spool import Segment
from smtpcheck.sink.store import Store

STOP_TIMEOUT = 120.0  # seconds the server waits for the writer to finish at close
NICE = 10  # the writer's CPU priority, below the server's
_MESSAGE_SIZE = 512
_IGNORED = {signal.SIGINT, signal.SIGTERM}
_FD_SPACE = socket.CMSG_LEN(array.array("i").itemsize)


class Mailbox:
    """Messages to send without ever blocking: kept in order when the socket is full,
    a newer message with the same key replacing an older one."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.gone = False
        self._waiting: dict[object, tuple[bytes, int | None]] = {}

    def post(self, key: object, text: str, fd: int | None = None) -> None:
        if self.gone:
            if fd is not None:
                os.close(fd)
            return
        previous = self._waiting.get(key)
        if previous is not None and previous[1] is not None:
            os.close(previous[1])
        self._waiting[key] = (text.encode("ascii"), fd)
        self.flush()

    def flush(self) -> None:
        """Send what waits, as far as the socket takes it."""
        while self._waiting and not self.gone:
            key = next(iter(self._waiting))
            data, fd = self._waiting[key]
            try:
                _send(self.sock, data, fd, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError:
                self.gone = True
            del self._waiting[key]
            if fd is not None:
                os.close(fd)
        if self.gone:
            for _, fd in self._waiting.values():
                if fd is not None:
                    os.close(fd)
            self._waiting.clear()

    @property
    def pending(self) -> bool:
        return bool(self._waiting)

    def flush_waiting(self, timeout: float) -> None:
        """Send everything that waits, waiting for room up to `timeout` for each."""
        self.sock.settimeout(timeout)
        try:
            while self._waiting and not self.gone:
                key = next(iter(self._waiting))
                data, fd = self._waiting.pop(key)
                try:
                    _send(self.sock, data, fd)
                finally:
                    if fd is not None:
                        os.close(fd)
        except OSError:
            self.gone = True
        self.flush()  # closes what is left once gone


Received = list[tuple[list[str], int | None]]


def _receive(sock: socket.socket, timeout: float | None) -> Received | None:
    """The messages waiting on `sock` (after waiting up to `timeout` for the first one),
    split into words, each with its descriptor; None once the peer closed."""
    found: Received = []
    if timeout != 0:
        readable, _, _ = select.select([sock], [], [], timeout)
        if not readable:
            return found
    while True:
        try:
            data, ancillary, _, _ = sock.recvmsg(_MESSAGE_SIZE, _FD_SPACE, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return found
        except OSError:
            data, ancillary = b"", []
        fds = _descriptors(ancillary)
        if not data:
            for fd in fds:
                os.close(fd)
            return found or None
        found.append((data.decode("ascii").split(), fds[0] if fds else None))


def _send(sock: socket.socket, data: bytes, fd: int | None, flags: int = 0) -> None:
    """One message, with a descriptor when `fd` is given (the socket module's `send_fds`
    takes no flags)."""
    if fd is None:
        sock.send(data, flags)
    else:
        rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))]
        sock.sendmsg([data], rights, flags)


def _descriptors(ancillary: list[tuple[int, int, bytes]]) -> list[int]:
    fds = array.array("i")
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    return list(fds)


class IndexerProcess:
    """The server's end of the link to a writer process (an `IndexerLink`)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.process: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._mailbox: Mailbox | None = None
        self._eof = False

    @property
    def alive(self) -> bool:
        return self._mailbox is not None and not self._mailbox.gone and not self._eof

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # Blocked signals are inherited: a SIGTERM to the group while the writer starts
        # waits until it ignores them (main), instead of killing it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _IGNORED)
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "smtpcheck.sink.indexer_process",
                    str(theirs.fileno()),
                    str(self.store.root),
                    "1" if self.store.durable else "0",
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            theirs.close()
        self._sock = ours
        self._mailbox = Mailbox(ours)

    def open(self, segment: Segment) -> None:
        if self._mailbox is not None:
            self._mailbox.post(("open", segment.name), f"open {segment.name}", os.dup(segment.fd))

    def commit(self, name: str, offset: int) -> None:
        if self._mailbox is not None:
            self._mailbox.post(("commit", name), f"commit {name} {offset}")

    def seal(self, name: str, offset: int) -> None:
        if self._mailbox is not None:
            self._mailbox.post(("seal", name), f"seal {name} {offset}")

    def pending(self) -> bool:
        return self._mailbox is not None and self._mailbox.pending

    def reports(self, timeout: float) -> list[tuple[str, int]]:
        if self._mailbox is None or self._sock is None or self._eof:
            return []
        self._mailbox.flush()
        messages = _receive(self._sock, timeout)
        if messages is None:
            self._eof = True
            return []
        return [(words[1], int(words[2])) for words, _ in messages if words[0] == "indexed"]

    def close(self) -> None:
        """Tell the writer we are done, then wait until it has written everything."""
        if self._sock is not None and self._mailbox is not None:
            self._mailbox.flush_waiting(STOP_TIMEOUT)
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_WR)
                while self._sock.recv(_MESSAGE_SIZE):  # its last reports, then EOF
                    pass
            self._sock.close()
            self._sock = None
        if self.process is not None:
            # Never killed: what it still writes is acknowledged mail. If it is slow, it
            # finishes on its own after we are gone.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(30)


# -- the writer process ------------------------------------------------------------
def serve(sock: socket.socket, store: Store) -> None:
    """Index what the server commits until it closes the socket and all is written."""
    reports = Mailbox(sock)
    indexer = Indexer(store, lambda name, offset: reports.post(name, f"indexed {name} {offset}"))

    def receive(timeout: float) -> list[Message] | None:
        reports.flush()
        messages = _receive(sock, timeout)
        if messages is None:
            return None
        return [_message(words, fd) for words, fd in messages]

    drive(indexer, receive)
    reports.flush()


def _message(words: Sequence[str], fd: int | None) -> Message:
    if words[0] == "open" and fd is not None:
        return ("open", words[1], fd)
    return (words[0], words[1], int(words[2]))


def main(argv: list[str]) -> int:
    # The server decides when we stop (it closes the socket), after it drained.
    for signum in _IGNORED:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _IGNORED)
    with contextlib.suppress(OSError):
        os.nice(NICE)
    fd, root, durable = int(argv[0]), Path(argv[1]), argv[2] == "1"
    sock = socket.socket(fileno=fd)
    store = Store(root, durable=durable).open(reconcile=False)
    try:
        serve(sock, store)
    finally:
        store.close()
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
