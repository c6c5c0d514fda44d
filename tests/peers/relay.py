"""A byte relay between two kinds of socket: TCP on one side, a UNIX socket on the other.

The browser runs in a network namespace of its own (no way off the machine, not even
to this test's loopback). UNIX sockets are files, so they cross namespaces: inside the
browser's namespace a relay listens on 127.0.0.1:PORT and passes each connection to a
UNIX socket; in the test's namespace another relay passes it on to the web server's
127.0.0.1:PORT. The browser sees the server at its usual address.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


def _bridge(one: socket.socket, other: socket.socket) -> None:
    threads = [
        threading.Thread(target=_pump, args=(one, other), daemon=True),
        threading.Thread(target=_pump, args=(other, one), daemon=True),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    one.close()
    other.close()


class Relay:
    """Accepts on `listener`; each connection is joined to a new `connect()`."""

    def __init__(self, listener: socket.socket, connect: Callable[[], socket.socket]) -> None:
        self.listener = listener
        self.connect = connect
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> Relay:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed: stop
            try:
                upstream = self.connect()
            except OSError:
                client.close()
                continue
            threading.Thread(target=_bridge, args=(client, upstream), daemon=True).start()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self._thread.join(timeout=5)


def unix_connector(path: str) -> Callable[[], socket.socket]:
    def connect() -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        return sock

    return connect


def tcp_connector(host: str, port: int) -> Callable[[], socket.socket]:
    return lambda: socket.create_connection((host, port), timeout=10)
