"""What the durability tests share: a sink started as the CLI starts it, in a process
group of its own (so it can be killed whole, as a crash or systemd would), a load of
pipelining clients that note each message the sink acknowledged, and the check that
every acknowledged message is in the store.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sinkutil import RawClient

from smtpcheck.sink.store import Store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SinkProcess:
    """`smtpcheck sink` in a new session (its own process group, with its writer)."""

    def __init__(
        self,
        store: Path,
        writer: str,
        fault: str | None = None,
        segment_bytes: int = 0,
        wrapper: list[str] | None = None,
    ) -> None:
        self.store = store
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMTPCHECK_SINK_")}
        if fault:
            env["SMTPCHECK_SINK_FAULT"] = fault
        if segment_bytes:
            env["SMTPCHECK_SINK_SEGMENT_BYTES"] = str(segment_bytes)
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (open as long as the sink)
        self.stderr_text = ""
        command = [*(wrapper or []), sys.executable, "-m", "smtpcheck", "sink"]
        command += ["--quiet", "--no-starttls"]
        command += ["--listen", f"127.0.0.1:{self.port}", "--store", str(store)]
        command += ["--writer", writer, "--max-connections", "1000"]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
            env=env,
            start_new_session=True,
        )
        self.pgid = self.process.pid

    def errors(self) -> str:
        """What it wrote on stderr so far (all of it, once it is gone)."""
        if self.stderr.closed:
            return self.stderr_text
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def wait_listening(self, timeout: float = 30) -> bool:
        """True once it accepts connections; False if it died first (a fault at start)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return True
            time.sleep(0.02)
        raise AssertionError(f"the sink did not listen within {timeout} s: {self.errors()}")

    def died_by_itself(self) -> bool:
        return self.process.poll() == -signal.SIGKILL

    def kill_group(self, signum: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signum)

    def wait_gone(self, timeout: float = 60) -> int:
        """Wait until every process of the group has exited; the sink's exit status."""
        status = self.process.wait(timeout)
        deadline = time.monotonic() + timeout
        while group_members(self.pgid):
            assert time.monotonic() < deadline, f"group {self.pgid} still alive"
            time.sleep(0.01)
        self.stderr_text = self.errors()
        self.stderr.close()
        return status


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group, from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[2]) == pgid and fields[0] not in "ZX":
            members.append(int(entry))
    return members


class Load:
    """Clients sending pipelined messages (a new connection now and then) until stopped
    or the sink dies; `acknowledged` holds the subject of every message that got 250."""

    def __init__(self, port: int, tag: str, clients: int = 4) -> None:
        self.port = port
        self.tag = tag
        self.acknowledged: list[str] = []
        self.sessions: list[str] = []  # the EHLO name of every session the sink greeted
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(clients)
        ]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)
            assert not thread.is_alive(), "a load client hangs"

    def _client(self, number: int) -> None:
        count = 0
        while not self._stop.is_set():
            name = f"{self.tag}-{number}-{count}"
            try:
                client = RawClient(self.port, timeout=10)
            except OSError:
                return
            try:
                count = self._session(client, name, number, count)
            except (OSError, ValueError):
                return
            finally:
                client.close()

    def _session(self, client: RawClient, name: str, number: int, count: int) -> int:
        if client.reply()[0] != 220 or client.cmd(f"EHLO {name}.test")[0] != 250:
            raise ValueError("refused")
        self.sessions.append(f"{name}.test")
        for _ in range(20):  # then QUIT and a new connection
            if self._stop.is_set():
                break
            subject = f"{self.tag}-{number}-{count}"
            count += 1
            client.send(b"MAIL FROM:<a@c.test>\r\nRCPT TO:<b@s.test>\r\nDATA\r\n")
            if [client.reply()[0] for _ in range(3)] != [250, 250, 354]:
                raise ValueError("refused")
            client.send(f"Subject: {subject}\r\n\r\nbody of {subject}\r\n.\r\n".encode())
            if client.reply()[0] != 250:
                raise ValueError("not stored")
            self.acknowledged.append(subject)
        client.cmd("QUIT")
        return count


def missing_acknowledged(store_dir: Path, acknowledged: list[str]) -> list[str]:
    """Acknowledged messages not in the index with their Maildir file (after a stop)."""
    store = Store(store_dir).open()
    try:
        present = set()
        for message in store.list_messages():
            path = store.maildir / message["path"]
            subject = message["subject"]
            if path.is_file() and path.read_bytes().endswith(f"body of {subject}\r\n".encode()):
                present.add(subject)
        return [subject for subject in acknowledged if subject not in present]
    finally:
        store.close()
