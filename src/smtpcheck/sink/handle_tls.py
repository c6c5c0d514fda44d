"""STARTTLS for the sink: the 220, the server-side handshake, and failing on purpose.

A mixin of `SinkSession` (see sink/handlers.py). After the 220 the protocol core drops
whatever the client sent in clear text (CVE-2011-0411, recorded as an anomaly), the
handshake runs on the same transport, and the session restarts (EHLO needed again).
`--starttls-fail` answers 220 and then sends a TLS handshake_failure alert.

The switch of transports has a window: asyncio's SSLProtocol finishes the handshake on
the client's Finished and hands the application data that came with it (a client sends
EHLO at once) to `data_received` in the same callback, before `loop.start_tls` has
returned the new transport (uvloop hands it over a tick later). In that window
`self.transport` is still the clear-text transport, which now feeds the TLS layer:
pausing it there (flow control while busy) would stop the connection for good, since
only the new transport is resumed. So `tls_switching` is set for the window: no pause
(the data is bounded by one read, processed as soon as `start_tls` returns), and the
new transport starts unpaused, as `loop.start_tls` leaves the old one reading.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from smtpcheck.protocol.events import Anomaly
from smtpcheck.protocol.server_events import ClientCommand

Pending = Any
TLS_ALERT_HANDSHAKE_FAILURE = b"\x15\x03\x03\x00\x02\x02\x28"


class TlsHandlers:
    """STARTTLS. Attributes used here are set by `SinkSession.__init__`."""

    server: Any
    config: Any
    persona: Any
    rules: Any
    conn: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport | None
    tls: dict[str, Any] | None
    helo: str
    closed: bool
    paused: bool
    tls_switching: bool
    bad_command: Any
    apply_rule: Any
    say: Any
    fields: Any
    note: Any
    close: Any
    reset_transaction: Any

    def tls_available(self) -> bool:
        return self.config.starttls and self.server.tls_context is not None

    @staticmethod
    def tls_facts(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
        ssl_object: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
        if ssl_object is None:
            return None
        cipher = ssl_object.cipher()
        return {"version": ssl_object.version(), "cipher": cipher[0] if cipher else None}

    def on_starttls(self, event: ClientCommand) -> Pending:
        if self.tls is not None or not self.tls_available():
            self.bad_command(
                "bad_sequence" if self.tls else "tls_unavailable", detail="TLS already active"
            )
            return None
        if event.argument:
            self.bad_command("syntax", detail="STARTTLS takes no argument")
            return None
        if self.transport is not None:
            self.transport.pause_reading()  # the ClientHello must reach the TLS layer
        return self.start_tls()

    async def start_tls(self) -> None:
        rule = self.rules.find("STARTTLS", None, None) if self.rules.rules else None
        if rule is not None:
            await self.apply_rule(rule, self.persona.reply("starttls_go", self.fields()), None)
            if self.closed or (rule.reply is not None and rule.reply[0] >= 400):
                if self.transport is not None and not self.closed:
                    self.transport.resume_reading()
                return
        else:
            self.say("starttls_go")
        seen = len(self.conn.anomalies)
        self.conn.start_tls()  # discards what came in clear after STARTTLS (CVE-2011-0411)
        for anomaly in self.conn.anomalies[seen:]:
            self.note(anomaly)
        assert self.transport is not None
        if self.rules.starttls_fail:
            self.transport.write(TLS_ALERT_HANDSHAKE_FAILURE)
            self.note(Anomaly("starttls-failed-on-purpose", "handshake failure sent (rule)"))
            self.close()
            return
        self.tls_switching = True
        try:
            new_transport = await self.loop.start_tls(
                self.transport,
                self,  # type: ignore[arg-type]  # a mixin of the session, a Protocol
                self.server.tls_context,
                server_side=True,
                ssl_handshake_timeout=self.config.limits.command_timeout,
            )
        except (TimeoutError, OSError, ssl.SSLError, ConnectionError) as exc:
            self.note(Anomaly("tls-handshake-failed", str(exc)[:200]))
            self.close()
            return
        finally:
            self.tls_switching = False
        if new_transport is None:
            self.close()
            return
        self.transport = new_transport
        self.paused = False  # loop.start_tls resumed the old transport; the new one reads
        if self.closed:  # the server shut down during the handshake
            new_transport.close()
            return
        self.tls = self.tls_facts(new_transport)
        self.helo = ""
        self.reset_transaction()
