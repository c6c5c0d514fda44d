"""One HTTPS GET with everything bounded, for fetching small documents (MTA-STS policies).

Written on asyncio + ssl with h11 (the sans-IO HTTP/1.1 library this project's protocol
layer is modelled on) rather than httpx, because the fetch must: connect to addresses
we resolved through the configured DNS server (httpx asks the system resolver), verify
the certificate against the host name with an optional CA file (the lab's test CA),
end within one hard deadline (connect + TLS + request + body), stop reading past a size
bound, and never follow a redirect (RFC 8461 §3.3). Each of those is one line here.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

USER_AGENT = "smtpcheck"
_READ_CHUNK = 16384


class FetchProblem(StrEnum):
    """Why a fetch gave no document."""

    CONNECT = "connect"  # no TCP connection to any address
    TLS = "tls"  # the handshake failed for another reason than the certificate
    CERTIFICATE = "certificate"  # the certificate did not verify (trust, name, dates)
    TIMEOUT = "timeout"  # the deadline passed
    TOO_LARGE = "too_large"  # the body passed the size bound
    PROTOCOL = "protocol"  # not HTTP, or a broken response


@dataclass(frozen=True)
class FetchResult:
    """A response (`status`, `headers`, `body`), or the `problem` and its `detail`.

    `address` is the IP that answered (or the last one tried)."""

    url: str
    address: str = ""
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    problem: FetchProblem | None = None
    detail: str = ""


def client_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A verifying client context: the system's CAs, or only `ca_file` when given."""
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def _exchange(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    host: str,
    path: str,
    max_bytes: int,
) -> tuple[int, dict[str, str], bytes, FetchProblem | None, str]:
    import h11

    connection = h11.Connection(h11.CLIENT, max_incomplete_event_size=16384)
    request = h11.Request(
        method="GET",
        target=path,
        headers=[
            ("Host", host),
            ("User-Agent", USER_AGENT),
            ("Accept", "text/plain"),
            ("Connection", "close"),
        ],
    )
    writer.write(connection.send(request) + connection.send(h11.EndOfMessage()))
    await writer.drain()
    status = 0
    headers: dict[str, str] = {}
    body = bytearray()
    while True:
        try:
            event = connection.next_event()
        except h11.RemoteProtocolError as error:
            return status, headers, bytes(body), FetchProblem.PROTOCOL, str(error)
        if event is h11.NEED_DATA:
            data = await reader.read(_READ_CHUNK)
            connection.receive_data(data)
            continue
        if isinstance(event, h11.Response):
            status = event.status_code
            for name, value in event.headers:
                headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > max_bytes:
                return status, headers, bytes(body[:max_bytes]), FetchProblem.TOO_LARGE, ""
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            return status, headers, bytes(body), None, ""


async def https_get(
    host: str,
    path: str,
    addresses: Sequence[str],
    *,
    context: ssl.SSLContext,
    port: int = 443,
    timeout: float = 10.0,
    max_bytes: int = 65536,
) -> FetchResult:
    """GET https://`host``path` from the first of `addresses` that connects.

    The certificate must verify for `host` under `context`. Redirects are returned as
    they are (status 3xx), never followed. Never raises for network trouble.
    """
    url = f"https://{host}{path}"
    if not addresses:
        return FetchResult(url, problem=FetchProblem.CONNECT, detail="no address")
    last = FetchResult(url, problem=FetchProblem.CONNECT, detail="not tried")
    current = ""
    try:
        async with asyncio.timeout(timeout):
            for address in addresses:
                current = address
                try:
                    reader, writer = await asyncio.open_connection(
                        address, port, ssl=context, server_hostname=host
                    )
                except ssl.SSLCertVerificationError as error:
                    return FetchResult(
                        url,
                        address,
                        problem=FetchProblem.CERTIFICATE,
                        detail=error.verify_message or str(error),
                    )
                except ssl.SSLError as error:
                    return FetchResult(
                        url, address, problem=FetchProblem.TLS, detail=error.reason or str(error)
                    )
                except OSError as error:
                    last = FetchResult(
                        url, address, problem=FetchProblem.CONNECT, detail=error.strerror or ""
                    )
                    continue
                try:
                    status, headers, body, problem, detail = await _exchange(
                        reader, writer, host, path, max_bytes
                    )
                except (OSError, ssl.SSLError) as error:
                    return FetchResult(
                        url, address, problem=FetchProblem.PROTOCOL, detail=str(error)
                    )
                finally:
                    writer.close()
                return FetchResult(url, address, status, headers, body, problem, detail)
    except TimeoutError:
        return FetchResult(
            url,
            current,
            problem=FetchProblem.TIMEOUT,
            detail=f"no complete answer within {timeout:g} s",
        )
    return last
