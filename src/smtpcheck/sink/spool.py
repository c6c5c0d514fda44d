"""The spool: an append-only log that is the sink's commit point.

A message is acknowledged (250) once its record is in a spool segment and the segment is
fdatasync'ed; the Maildir file and the index row are written behind it (sink/journal.py)
and the segment is deleted once everything in it is indexed and durable there too.

A segment (`STORE/spool/<time_ns>-<pid>.spool`) is a 16-byte magic and then records:

    length  u32 big-endian   length of the payload
    crc     u32 big-endian   CRC-32 of the 4 length bytes and the payload
    payload kind (b"M" message | b"S" session) + u32 meta length + meta (JSON) + body

The body is the message exactly as received (nothing for a session). A reader stops at
the first record that is short or fails its CRC: the torn tail of a write that never
completed (never acknowledged: the fdatasync that would have made it so never returned).

Each segment is held with flock(LOCK_EX) by the process that writes it, until it is
deleted; a segment nobody holds belongs to a writer that died and is replayed by the
next `Store.open`. A new segment is created under a temporary name, locked, then renamed,
so no replayer can take a segment before its writer holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import struct
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from smtpcheck.sink import faults
from smtpcheck.sink.records import Envelope, SessionRecord

MAGIC = b"smtpcheck-spool1"
SUFFIX = ".spool"
_HEADER = struct.Struct(">II")
_META_LENGTH = struct.Struct(">I")
MAX_RECORD = 1 << 30  # a bigger length is a corrupt header, not a message
# A segment's size, written with zeros when it is made (the crash tests make it small,
# to rotate often).
SEGMENT_BYTES = int(os.environ.get("SMTPCHECK_SINK_SEGMENT_BYTES", 4 << 20))
KIND_MESSAGE = b"M"
KIND_SESSION = b"S"

_ENVELOPE_FIELDS = frozenset(f.name for f in fields(Envelope)) - {"data"}
_SESSION_FIELDS = frozenset(f.name for f in fields(SessionRecord))

Record = Envelope | SessionRecord


def _frame(kind: bytes, meta: dict[str, object], body: bytes = b"") -> bytes:
    encoded = json.dumps(meta, separators=(",", ":")).encode("ascii")
    payload = kind + _META_LENGTH.pack(len(encoded)) + encoded + body
    length = _META_LENGTH.pack(len(payload))
    return length + _META_LENGTH.pack(zlib.crc32(payload, zlib.crc32(length))) + payload


def encode_message(envelope: Envelope) -> bytes:
    """The spool record of a message: its envelope as JSON, then its bytes."""
    meta = dict(envelope.__dict__)
    del meta["data"]
    return _frame(KIND_MESSAGE, meta, envelope.data)


def encode_session(record: SessionRecord) -> bytes:
    """The spool record of a finished session."""
    return _frame(KIND_SESSION, dict(record.__dict__))


def decode(payload: bytes) -> Record:
    """A record's payload (after length and CRC) back into what was encoded."""
    kind = payload[:1]
    (meta_length,) = _META_LENGTH.unpack_from(payload, 1)
    meta = json.loads(payload[5 : 5 + meta_length])
    if kind == KIND_MESSAGE:
        known = {key: value for key, value in meta.items() if key in _ENVELOPE_FIELDS}
        return Envelope(data=payload[5 + meta_length :], **known)
    if kind == KIND_SESSION:
        return SessionRecord(**{k: v for k, v in meta.items() if k in _SESSION_FIELDS})
    raise ValueError(f"unknown spool record kind {kind!r}")


def payloads(data: bytes) -> list[bytes]:
    """The valid records of a segment's bytes, up to the first torn or corrupt one."""
    if not data.startswith(MAGIC):
        return []
    return split_records(data[len(MAGIC) :])[0]


def segment_paths(directory: Path) -> list[Path]:
    """The spool's segments, oldest first (their names start with the creation time)."""
    try:
        names = [name for name in os.listdir(directory) if name.endswith(SUFFIX)]
    except FileNotFoundError:
        return []
    return [directory / name for name in sorted(names)]


def read_records(path: Path) -> list[Record]:
    """Every valid record of one segment ([] when it is gone: compacted meanwhile)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    return [decode(payload) for payload in payloads(data)]


def try_lock(path: Path) -> int | None:
    """Open and lock a segment nobody holds: its fd, or None (held by a live writer, or
    gone)."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_nlink == 0:  # deleted between the open and the lock
            raise BlockingIOError
    except OSError:
        os.close(fd)
        return None
    return fd


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(eq=False)
class Segment:
    """One spool file, as its writer sees it."""

    path: Path
    fd: int  # -1 once sealed: the indexer's copy of the descriptor keeps the lock
    size: int  # bytes written, up to the end of the last record
    indexed: int = 0  # bytes whose records the indexer has written behind
    sealed: bool = False  # no more appends: deleted once every record is indexed

    @property
    def name(self) -> str:
        return self.path.name


class SpoolWriter:
    """Appends batches of records to the active segment: one write and one fdatasync.

    Used by one thread (the committer's). `on_open` hears of each new segment (before
    anything is appended to it), `on_seal` of each sealed one (with its final size).
    """

    def __init__(
        self,
        directory: Path,
        durable: bool,
        on_open: Callable[[Segment], None],
        on_seal: Callable[[Segment], None],
        segment_bytes: int = SEGMENT_BYTES,
    ) -> None:
        self.directory = directory
        self.durable = durable
        self.on_open = on_open
        self.on_seal = on_seal
        self.segment_bytes = segment_bytes
        self.active: Segment | None = None

    def append(self, records: Sequence[bytes], sync: bool = True) -> Segment:
        """Write `records` at the end of the active segment; durable on return when `sync`.

        If the sync fails the batch is cut off again and the segment sealed (what a
        failed fdatasync left on disk is unknown: nothing more is appended to it).
        """
        data = records[0] if len(records) == 1 else b"".join(records)
        segment = self.active
        if segment is not None and segment.size + len(data) > self.segment_bytes:
            self.seal()  # full (a batch bigger than a segment goes alone, past its end)
            segment = None
        segment = segment or self._new_segment()
        start = segment.size
        if faults.armed("spool-torn"):
            _write_all(segment.fd, data[: len(data) // 2], start)
        faults.reached("spool-torn")
        _write_all(segment.fd, data, start)
        faults.reached("spool-written")
        if sync and self.durable:
            try:
                faults.reached("spool-sync-error")
                os.fdatasync(segment.fd)
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(segment.fd, start)
                self.seal()
                raise
        segment.size = start + len(data)
        return segment

    def seal(self) -> None:
        """No more appends to the active segment; the next batch starts a new one."""
        segment, self.active = self.active, None
        if segment is not None:
            segment.sealed = True
            os.close(segment.fd)
            segment.fd = -1
            self.on_seal(segment)

    def _new_segment(self) -> Segment:
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            name = f"{time.time_ns():020d}-{os.getpid()}{SUFFIX}"
            temporary = self.directory / f".{name}.new"
            try:
                fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                break
            except FileExistsError:
                continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            _write_all(fd, MAGIC, 0)
            if self.durable:
                _preallocate(fd, self.segment_bytes)
            os.rename(temporary, self.directory / name)
            if self.durable:
                fsync_dir(self.directory)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        self.active = Segment(self.directory / name, fd, len(MAGIC))
        self.on_open(self.active)
        return self.active


def split_records(data: bytes) -> tuple[list[bytes], int, bool]:
    """The payloads of the whole records at the start of `data` (which starts at a
    record), how many bytes they take, and False when a record there is corrupt."""
    found: list[bytes] = []
    offset, size = 0, len(data)
    while size - offset >= _HEADER.size:
        length, crc = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        if length > MAX_RECORD:
            return found, offset, False
        if start + length > size:
            break
        payload = data[start : start + length]
        if zlib.crc32(payload, zlib.crc32(data[offset : offset + 4])) != crc:
            return found, offset, False
        found.append(payload)
        offset = start + length
    return found, offset, True


def _preallocate(fd: int, size: int) -> None:
    """Write zeros up to `size` and sync them: appending a batch then overwrites blocks
    the file already has, so its fdatasync need not commit the file system's journal
    (which would wait for every other file's metadata, the Maildir's included). The
    zeros read as the end of the log: a zero header fails its CRC."""
    zeros = bytes(min(size, 1 << 20))
    offset = len(MAGIC)
    while offset < size:
        _write_all(fd, zeros[: size - offset], offset)
        offset += min(len(zeros), size - offset)
    os.fdatasync(fd)


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        offset += written
        view = view[written:]
