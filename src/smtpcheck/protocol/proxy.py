"""PROXY protocol headers (HAProxy's spec, versions 1 and 2), built from parts.

A load balancer sends one of these before the SMTP banner to tell the server who the
real client was. Postfix reads them with `smtpd_upstream_proxy_protocol = haproxy`.
"""

from __future__ import annotations

import ipaddress
import struct

V2_SIGNATURE = b"\r\n\r\n\0\r\nQUIT\n"
_V2_COMMANDS = {"LOCAL": 0x0, "PROXY": 0x1}
_V2_FAMILIES = {"AF_UNSPEC": 0x0, "AF_INET": 0x1, "AF_INET6": 0x2, "AF_UNIX": 0x3}
_V2_PROTOCOLS = {"UNSPEC": 0x0, "STREAM": 0x1, "DGRAM": 0x2}


class ProxyHeaderError(ValueError):
    """The parts given cannot make a header (bad address, mixed families)."""


def _family_of(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "AF_UNIX"
    return "AF_INET" if ip.version == 4 else "AF_INET6"


def v1_header(
    source: str, source_port: int, dest: str, dest_port: int, family: str | None = None
) -> bytes:
    """`PROXY TCP4 1.2.3.4 5.6.7.8 1234 25\\r\\n` (or TCP6, or UNKNOWN)."""
    if family and family.upper() == "UNKNOWN":
        return b"PROXY UNKNOWN\r\n"
    fam = _family_of(source)
    if fam != _family_of(dest) or fam == "AF_UNIX":
        raise ProxyHeaderError(f"PROXY v1 needs two IPv4 or two IPv6 addresses: {source}, {dest}")
    proto = family.upper() if family else ("TCP4" if fam == "AF_INET" else "TCP6")
    if proto not in ("TCP4", "TCP6"):
        raise ProxyHeaderError(f"PROXY v1 family is TCP4, TCP6 or UNKNOWN, not {family!r}")
    return f"PROXY {proto} {source} {dest} {source_port} {dest_port}\r\n".encode("ascii")


def v2_header(
    source: str | None,
    source_port: int | None,
    dest: str | None,
    dest_port: int | None,
    *,
    family: str | None = None,
    protocol: str | None = None,
    command: str | None = None,
) -> bytes:
    """The binary v2 header: signature, version/command, family/protocol, addresses."""
    cmd = (command or "PROXY").upper()
    if cmd not in _V2_COMMANDS:
        raise ProxyHeaderError(f"PROXY v2 command is LOCAL or PROXY, not {command!r}")
    fam = (family or _family_of(source or "")).upper()
    if not fam.startswith("AF_"):
        fam = "AF_" + fam
    if fam not in _V2_FAMILIES:
        raise ProxyHeaderError(f"unknown PROXY v2 family {family!r}")
    proto = (protocol or "STREAM").upper()
    if proto not in _V2_PROTOCOLS:
        raise ProxyHeaderError(f"PROXY v2 protocol is STREAM or DGRAM, not {protocol!r}")
    if cmd == "LOCAL" and source is None:
        body = b""
    elif fam in ("AF_INET", "AF_INET6"):
        if source is None or dest is None:
            raise ProxyHeaderError("PROXY v2 needs a source and a destination address")
        try:
            src_ip, dst_ip = ipaddress.ip_address(source), ipaddress.ip_address(dest)
        except ValueError as exc:
            raise ProxyHeaderError(str(exc)) from None
        if src_ip.version != dst_ip.version:
            raise ProxyHeaderError("PROXY source and destination are of different families")
        body = src_ip.packed + dst_ip.packed + struct.pack(">HH", source_port or 0, dest_port or 0)
    elif fam == "AF_UNIX":
        body = (source or "").encode()[:108].ljust(108, b"\0")
        body += (dest or "").encode()[:108].ljust(108, b"\0")
    else:
        body = b""
    head = bytes([0x20 | _V2_COMMANDS[cmd], (_V2_FAMILIES[fam] << 4) | _V2_PROTOCOLS[proto]])
    return V2_SIGNATURE + head + struct.pack(">H", len(body)) + body


def parse_raw(text: str, version: int = 1) -> bytes:
    """`--proxy` raw value, as swaks reads it: what follows the header's fixed start.

    Text is sent after `PROXY ` (v1, ended with CRLF) or after the 12-byte signature
    (v2), so `--proxy "TCP4 192.0.2.1 192.0.2.2 1234 25"` works as in swaks; text that
    already has that start is sent as is. `base64:DATA` is always sent exactly as
    decoded (whole header, or deliberately broken bytes).
    """
    if text.startswith("base64:"):
        import base64

        try:
            return base64.b64decode(text[7:], validate=True)
        except ValueError:
            raise ProxyHeaderError("--proxy base64: value is not valid base64") from None
    raw = text.encode("utf-8")
    if version == 2:
        return raw if raw.startswith(V2_SIGNATURE) else V2_SIGNATURE + raw
    if not raw.startswith(b"PROXY "):
        raw = b"PROXY " + raw
    return raw if raw.endswith(b"\n") else raw + b"\r\n"
