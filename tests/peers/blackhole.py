"""A TCP port that never completes a connection, on loopback, without a firewall rule.

The trick: a socket that listens with a backlog of 0 holds one connection in its
accept queue and never accepts it. `FullBacklogListener` fills that queue itself (one
client connection of its own); from then on Linux drops every SYN to the port
(the accept queue is full; `tcp_abort_on_overflow` is 0 by default), so a connecting
client sees exactly what a filtered port 25 looks like from a blocked network: its SYN
retransmitted and then a connect timeout. No iptables rule, nothing left behind:
`close()` (or the `with` block) releases both sockets.
"""

from __future__ import annotations

import socket
import time


class BlackholeError(RuntimeError):
    """The trick did not work here (a connection got through)."""


class FullBacklogListener:
    """`host:port` bound and listening, its accept queue full: connects time out."""

    def __init__(self, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host, self.port = host, port
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.filler = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.listener.bind((host, port))
            self.listener.listen(0)
            self.filler.settimeout(2.0)
            self.filler.connect((host, port))  # the one connection the queue holds
            self._verify()
        except BaseException:
            self.close()
            raise

    def _verify(self, wait: float = 0.2) -> None:
        """One more connection must not complete: else the test would prove nothing."""
        time.sleep(0.05)  # let the filler's handshake land in the queue
        family = self.listener.family
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(wait)
            try:
                probe.connect((self.host, self.port))
            except TimeoutError:
                return
            except OSError as exc:
                raise BlackholeError(f"{self.host}:{self.port}: {exc}") from None
        raise BlackholeError(f"{self.host}:{self.port}: a connection got through the full queue")

    def close(self) -> None:
        self.filler.close()
        self.listener.close()

    def __enter__(self) -> FullBacklogListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
