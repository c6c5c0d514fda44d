"""A tiny DNS server on a loopback UDP port, answering from a built-in table.

Built on dnspython's message API, it runs in the demo's own asyncio loop, so `check`
runs unchanged (`--dns 127.0.0.1:PORT`) with no network at all. Names in the table get
their records (NOERROR with no data for other types); every other name is NXDOMAIN.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

#: (name, type) -> records, in presentation format
DEMO_ZONE: dict[tuple[str, str], list[str]] = {
    ("fabrikam.com.", "MX"): ["10 mail1.fabrikam.com."],
    ("mail1.fabrikam.com.", "A"): ["127.0.0.1"],
    ("contoso.com.", "MX"): ["10 mail.contoso.com."],
    ("mail.contoso.com.", "A"): ["127.0.0.1"],
    ("1.0.0.127.in-addr.arpa.", "PTR"): ["mail1.fabrikam.com."],
}
TTL = 3600


def answer(query: dns.message.Message, zone: dict[tuple[str, str], list[str]]) -> bytes:
    """The wire-format response to `query` from `zone`."""
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    if not query.question:
        response.set_rcode(dns.rcode.FORMERR)
        return response.to_wire()
    question = query.question[0]
    name = question.name.to_text().lower()
    rdtype = dns.rdatatype.to_text(question.rdtype)
    records = zone.get((name, rdtype))
    if records:
        response.answer.append(
            dns.rrset.from_text_list(question.name, TTL, dns.rdataclass.IN, rdtype, records)
        )
    elif not any(known == name for known, _ in zone):
        response.set_rcode(dns.rcode.NXDOMAIN)
    return response.to_wire()


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, zone: dict[tuple[str, str], list[str]]) -> None:
        self.zone = zone
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        with contextlib.suppress(Exception):  # a malformed query gets no answer
            query = dns.message.from_wire(data)
            assert self.transport is not None
            self.transport.sendto(answer(query, self.zone), addr)


class DemoDns:
    """`async with DemoDns() as server: server.port` — stopped on exit."""

    def __init__(
        self, zone: dict[tuple[str, str], list[str]] | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.zone = zone or DEMO_ZONE
        self.host = host
        self.port = 0
        self._transport: asyncio.DatagramTransport | None = None

    async def __aenter__(self) -> DemoDns:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self.zone), local_addr=(self.host, 0)
        )
        self._transport = transport
        self.port = int(transport.get_extra_info("sockname")[1])
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"
