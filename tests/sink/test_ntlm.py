"""AUTH NTLM as the exchange persona advertises it: the 3-message exchange, any user."""

from __future__ import annotations

import base64
import struct

from sinkutil import wait_for

from smtpcheck.sink import ntlm
from smtpcheck.sink.personas import get_persona

NEGOTIATE = ntlm.SIGNATURE + struct.pack("<II", 1, 0x00088207) + bytes(16)


def authenticate(domain: str, user: str) -> bytes:
    """A type 3 message (Unicode) with a dummy 24-byte NT response."""
    fields = [b"", b"\x01" * 24, domain.encode("utf-16-le"), user.encode("utf-16-le"), b"WS"]
    fields.append(b"")  # session key
    offset, buffers, payload = 64, b"", b""
    for value in fields:
        buffers += struct.pack("<HHI", len(value), len(value), offset + len(payload))
        payload += value
    return ntlm.SIGNATURE + struct.pack("<I", 3) + buffers + struct.pack("<I", 0x1) + payload


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_ntlm_three_message_exchange(make_sink, raw) -> None:
    sink = make_sink(persona=get_persona("exchange"), starttls=False)
    client = raw(sink.port)
    client.reply()
    code, lines = client.cmd("EHLO c.test")
    assert code == 250 and "250-AUTH NTLM" in lines
    code, lines = client.cmd("AUTH NTLM " + b64(NEGOTIATE))
    assert code == 334
    challenge = base64.b64decode(lines[0][4:])
    assert ntlm.message_type(challenge) == 2 and len(challenge[24:32]) == 8
    assert client.cmd(b64(authenticate("CONTOSO", "chris")))[0] == 235
    assert client.cmd("MAIL FROM:<chris@contoso.com>")[0] == 250
    client.cmd("QUIT")
    sessions = wait_for(lambda: sink.store.list_sessions())
    assert sessions[0]["auth"] == {"user": "CONTOSO\\chris", "mechanism": "NTLM"}


def test_ntlm_without_initial_response_and_garbage(make_sink, raw) -> None:
    sink = make_sink(persona=get_persona("exchange"), starttls=False)
    client = raw(sink.port)
    client.reply()
    client.cmd("EHLO c.test")
    assert client.cmd("AUTH NTLM")[0] == 334
    assert client.cmd(b64(NEGOTIATE))[0] == 334
    assert client.cmd(b64(b"not ntlm"))[0] == 535
    assert client.cmd("AUTH PLAIN " + b64(b"\0u\0p"))[0] == 504  # not advertised here
