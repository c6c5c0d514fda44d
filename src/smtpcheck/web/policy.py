"""Where a check started from the web may connect: the SSRF guard.

People type host names and addresses into the page, and the server connects to them.
By default only public unicast addresses on the mail ports (25, 465, 587) are allowed:
never loopback, private, shared, link-local, multicast, reserved or this host's own
addresses. The operator may allow more with `--allow-targets CIDR,...` (ranges) and
`--allow-ports PORT,...`. `TargetPolicy` is asked right before each connection with
the address actually connected to (net.session resolves a name, asks, then connects
to that very address), so a name that changes its answer (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAIL_PORTS = frozenset({25, 465, 587})


class PolicyError(ValueError):
    """An --allow-targets or --allow-ports value that cannot be understood."""


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """`127.0.0.0/8,::1/128` -> networks (a bare address is a /32 or /128)."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise PolicyError(f"not an address range (CIDR): {item!r}") from None
    return tuple(networks)


def parse_ports(text: str) -> frozenset[int]:
    """`2525,10025` -> ports."""
    ports = set()
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        if not item.isdigit() or not 1 <= int(item) <= 65535:
            raise PolicyError(f"not a port number (1-65535): {item!r}")
        ports.add(int(item))
    return frozenset(ports)


def _kind(address: IPAddress) -> str | None:
    """What makes `address` no public unicast address, or None when it is one."""
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("multicast", address.is_multicast),
        ("link-local", address.is_link_local),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    )
    for name, matches in checks:
        if matches:
            return name
    if not address.is_global:
        return "non-public"
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped or 6to4 IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour
    return None


def is_own_address(address: IPAddress) -> bool:
    """True when `address` belongs to this host: binding a socket to it succeeds.

    No packet is sent. (Where the system allows binding any address, every address
    counts as this host's and is refused: the guard fails closed.)
    """
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(address), 0))
    except OSError as exc:
        return exc.errno not in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EINVAL)
    return True


@dataclass(frozen=True)
class TargetPolicy:
    """The SSRF guard: a `net.session.AddressPolicy` (None: allowed, else why not)."""

    allowed_networks: tuple[IPNetwork, ...] = ()
    ports: frozenset[int] = field(default=MAIL_PORTS)

    def __call__(self, ip: str, port: int) -> str | None:
        try:
            address = ipaddress.ip_address(ip.split("%", 1)[0])
        except ValueError:
            return f"{ip} is not an IP address"
        if port not in self.ports:
            allowed = ", ".join(str(p) for p in sorted(self.ports))
            return f"port {port} is not allowed here (allowed: {allowed})"
        embedded = _embedded_ipv4(address)
        candidates = [address] if embedded is None else [embedded, address]
        if any(c in network for c in candidates for network in self.allowed_networks):
            return None
        for candidate in candidates:
            kind = _kind(candidate)
            if kind is not None:
                return f"{ip} is a {kind} address: checks from this server reach public ones only"
            if is_own_address(candidate):
                return f"{ip} is an address of this server: checks may not connect to it"
        return None
