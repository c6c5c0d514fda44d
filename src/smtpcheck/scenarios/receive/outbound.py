"""Can this machine send mail out at all? Connect to port 25 of a host the user names
(never a built-in third-party host), read the greeting, and compare with 587 and 465:
the common "the provider blocks port 25" case is a timeout on 25 with the others open.

Each connection has a hard deadline; nothing is sent but QUIT after a 220 greeting.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from smtpcheck.net.errors import describe_os_error

COMPARE_PORTS = (587, 465)
MAX_GREETING = 512


@dataclass(frozen=True)
class PortProbe:
    """One connection attempt: `status` open (a greeting came, or TLS on 465),
    refused, timeout, error; `greeting` the first line read (peer text)."""

    host: str
    port: int
    status: str
    greeting: str = ""
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "host": self.host,
            "port": self.port,
            "status": self.status,
            "greeting": self.greeting,
            "detail": self.detail,
        }


async def probe_port(host: str, port: int, timeout: float) -> PortProbe:
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            if port == 465:  # implicit TLS: the greeting comes after a handshake
                return PortProbe(host, port, "open", detail="connected")
            line = await reader.readline()
            greeting = line[:MAX_GREETING].decode("utf-8", "replace").rstrip("\r\n")
            if greeting.startswith("220"):
                writer.write(b"QUIT\r\n")
                with contextlib.suppress(OSError):
                    await writer.drain()
            return PortProbe(host, port, "open", greeting=greeting)
    except TimeoutError:
        return PortProbe(host, port, "timeout", detail=f"no answer within {timeout:g} s")
    except ConnectionRefusedError as error:
        return PortProbe(host, port, "refused", detail=describe_os_error(error))
    except OSError as error:
        return PortProbe(host, port, "error", detail=describe_os_error(error))
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()


async def probe_outbound(
    host: str, port: int = 25, *, timeout: float = 10.0, compare: bool = True
) -> list[PortProbe]:
    """Probe `host`:`port`, and (when it is 25) 587 and 465 beside it, at once."""
    ports = [port] + ([p for p in COMPARE_PORTS if p != port] if compare and port == 25 else [])
    return list(await asyncio.gather(*(probe_port(host, p, timeout) for p in ports)))


def blocked_verdict(probes: list[PortProbe]) -> str:
    """ "open", "blocked" (25 timed out while another port answered: filtered on the
    way), "closed" (25 refused: nothing listens, or a firewall rejects), "unreachable"."""
    first = probes[0]
    if first.status == "open":
        return "open"
    others_open = any(p.status == "open" for p in probes[1:])
    if first.status == "timeout" and others_open:
        return "blocked"
    if first.status == "refused":
        return "closed"
    return "unreachable" if not others_open else "blocked"
