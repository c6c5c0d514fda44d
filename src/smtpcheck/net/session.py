"""The SMTP session driver: runs the sans-IO `ClientConnection` over asyncio streams.

Every step (connect, banner, each command, the TLS handshake, the message) has a hard
deadline (`asyncio.timeout`, not an idle timer: a server that trickles one byte a second
still hits it). Every byte goes through the `Transcript`; secrets are redacted there
unless `show_secrets` is set. Failures raise `SessionError`, naming the step.
"""

from __future__ import annotations

import asyncio
import math
import re
import socket
import ssl
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from smtpcheck.knowledge.i18n import t, t_or, tn
from smtpcheck.net.errors import (
    FailureKind,
    SessionError,
    classify_os_error,
    describe_os_error,
    tls_alert,
)
from smtpcheck.net.tls import tls_info
from smtpcheck.net.transcript import Transcript
from smtpcheck.protocol import (
    CONNECTION_CLOSED,
    NEED_DATA,
    ClientConnection,
    Command,
    ProtocolError,
    Reply,
)

if TYPE_CHECKING:
    from smtpcheck.net.handshake import TlsInfo

READ_SIZE = 65536
#: a line that can be part of an SMTP reply: three digits, then space, dash or the end
_REPLY_LINE = re.compile(rb"^[0-9]{3}(?:[ -]|\r?\n$)")
#: most bytes of chatter kept while waiting for the end of a line, over --pipe
PIPE_LINE_LIMIT = 4096
#: how much of an incomplete reply is kept to show when a step fails
PARTIAL_SHOWN = 8192

#: gives the one-line meaning of a reply at a step (from knowledge/), or None
Annotator = Callable[[Reply, str], str | None]
#: asked right before each TCP connect with (IP address, port): None to go ahead, else
#: the reason the connection is not allowed (the web interface's SSRF guard)
AddressPolicy = Callable[[str, int], str | None]


class SmtpSession:
    """One client connection to one SMTP server."""

    def __init__(
        self,
        transcript: Transcript,
        *,
        timeout: float = 30.0,
        lmtp: bool = False,
        show_secrets: bool = False,
        annotator: Annotator | None = None,
        address_policy: AddressPolicy | None = None,
    ) -> None:
        self.transcript = transcript
        self.annotator = annotator
        self.address_policy = address_policy
        self.timeout = timeout
        self.show_secrets = show_secrets
        self.protocol = ClientConnection(lmtp=lmtp)
        self.tls: TlsInfo | None = None
        self.peer: tuple[str, int] | None = None
        self.local: tuple[str, int] | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._partial = bytearray()  # bytes of a reply not yet complete, for the transcript
        self._child: Any = None  # the subprocess of a --pipe transport
        self._pipe_line = bytearray()  # over --pipe: the start of a line not yet ended

    def _say(self, key: str, **facts: object) -> str:
        """Our own words (notes, errors) in the transcript's language."""
        return t(f"net.{key}", self.transcript.lang, **facts)

    def _why(self, exc: BaseException, *, handshake: bool = False) -> str:
        return describe_os_error(exc, handshake=handshake, lang=self.transcript.lang)

    @property
    def under_tls(self) -> bool:
        return self.tls is not None

    @property
    def connected(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    # -- connecting -----------------------------------------------------------------

    async def connect(
        self,
        host: str,
        port: int,
        *,
        family: int = 0,
        local_address: str | None = None,
        local_port: int | None = None,
        tls_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
    ) -> None:
        """Open the TCP connection (and the TLS layer at once, for implicit TLS)."""
        step = "connect"
        local = (local_address or "", local_port or 0) if (local_address or local_port) else None
        if local is not None and not local_address:
            # a port alone: bind the wildcard address of the family we will connect with
            # ("" is no address to asyncio; None would bind loopback only)
            ipv6 = family == socket.AF_INET6 or (family == 0 and ":" in host)
            local = ("::" if ipv6 else "0.0.0.0", local[1])
        address = host
        try:
            async with asyncio.timeout(self.timeout):
                if self.address_policy is not None:
                    address = await self._allowed_address(host, port, family)
                self._reader, self._writer = await asyncio.open_connection(
                    address,
                    port,
                    family=family,
                    local_addr=local,
                    ssl=tls_context,
                    server_hostname=(server_hostname or host) if tls_context else None,
                    ssl_handshake_timeout=self.timeout if tls_context else None,
                )
        except TimeoutError:
            where = self._say("host_port", host=host, port=port)
            raise self._fail(
                step,
                FailureKind.TIMEOUT,
                self._say("connect_timeout", where=where, seconds=f"{self.timeout:g}"),
            ) from None
        except (OSError, ssl.SSLError) as exc:
            handshake = tls_context is not None  # a reset or close can only end the handshake
            kind = classify_os_error(exc, handshake=handshake)
            raise self._fail(
                "tls" if kind is FailureKind.TLS else step,
                kind,
                self._say("at", host=host, port=port, reason=self._why(exc, handshake=handshake)),
            ) from None
        sock = self._writer.get_extra_info("socket")
        self.peer = tuple(self._writer.get_extra_info("peername")[:2])
        self.local = tuple(sock.getsockname()[:2]) if sock else None
        ip, peer_port = self.peer[0], self.peer[1]
        if self.local:
            self.transcript.note(
                self._say("connected_from", ip=ip, port=peer_port, local=self.local[0])
            )
        else:
            self.transcript.note(self._say("connected", ip=ip, port=peer_port))
        if tls_context is not None:
            ssl_object = self._writer.get_extra_info("ssl_object")
            self.tls = tls_info(ssl_object, verified=tls_context.verify_mode != ssl.CERT_NONE)
            self.transcript.note(self._say("tls_started", summary=self.tls.summary()), tls=True)

    async def _allowed_address(self, host: str, port: int, family: int) -> str:
        """The address to connect to, once the address policy has allowed it.

        A name is resolved here and the first address the policy allows is the one
        connected to, so a second lookup (DNS rebinding) cannot change what was checked.
        """
        assert self.address_policy is not None
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
        refused = ""
        for info in infos:
            address = str(info[4][0])
            reason = self.address_policy(address, port)
            if reason is None:
                return address
            refused = refused or reason
        raise self._fail("connect", FailureKind.OTHER, f"{host} port {port}: {refused}")

    async def connect_unix(
        self,
        path: str,
        *,
        tls_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
    ) -> None:
        """Open a UNIX-domain socket (LMTP servers often listen on one)."""
        try:
            async with asyncio.timeout(self.timeout):
                self._reader, self._writer = await asyncio.open_unix_connection(
                    path,
                    ssl=tls_context,
                    server_hostname=(server_hostname or "localhost") if tls_context else None,
                )
        except TimeoutError:
            raise self._fail(
                "connect",
                FailureKind.TIMEOUT,
                self._say("connect_timeout", where=path, seconds=f"{self.timeout:g}"),
            ) from None
        except (OSError, ssl.SSLError) as exc:
            kind = classify_os_error(exc)
            raise self._fail(
                "tls" if kind is FailureKind.TLS else "connect",
                kind,
                f"{path}: {self._why(exc)}",
            ) from None
        self.peer = (path, 0)
        self.transcript.note(self._say("connected_path", path=path))
        if tls_context is not None:
            self._tls_started(tls_context)

    async def connect_pipe(self, command: str) -> None:
        """Run `command` and speak SMTP over its standard input and output.

        The child gets one end of a socket pair as stdin and stdout, so everything else
        (deadlines, STARTTLS) works as over TCP.
        """
        import shlex
        import subprocess

        ours, theirs = socket.socketpair()
        try:
            self._child = subprocess.Popen(
                shlex.split(command),
                stdin=theirs.fileno(),  # what Popen would take from the socket itself
                stdout=theirs.fileno(),
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
        except (OSError, ValueError) as exc:
            ours.close()
            theirs.close()
            raise self._fail(
                "connect",
                FailureKind.OTHER,
                self._say("cannot_run", command=repr(command), reason=self._why(exc)),
            ) from None
        theirs.close()
        self._reader, self._writer = await asyncio.open_connection(sock=ours)
        self.peer = (command, self._child.pid)
        self.transcript.note(self._say("connected_child", pid=self._child.pid, command=command))

    def _tls_started(self, context: ssl.SSLContext) -> None:
        assert self._writer is not None
        ssl_object = self._writer.get_extra_info("ssl_object")
        self.tls = tls_info(ssl_object, verified=context.verify_mode != ssl.CERT_NONE)
        self.transcript.note(self._say("tls_started", summary=self.tls.summary()), tls=True)

    # -- talking --------------------------------------------------------------------

    async def read_reply(
        self, step: str, expect: Iterable[int] = (), *, timeout: float | None = None
    ) -> Reply:
        """Wait for the next reply, within the step's deadline.

        `timeout` replaces the session's deadline for this read only; `math.inf` waits
        as long as it takes (the console, waiting at its prompt for what the server
        may say between commands).
        """
        expected = tuple(expect)
        seconds = self.timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(None if math.isinf(seconds) else seconds):
                reply = await self._next_reply(step)
        except TimeoutError:
            raise self._fail(
                step, FailureKind.TIMEOUT, self._say("reply_timeout", seconds=f"{seconds:g}")
            ) from None
        unexpected = bool(expected) and reply.code not in expected
        annotation = self.annotator(reply, step) if self.annotator else None
        self.transcript.received(
            reply.raw, tls=self.under_tls, unexpected=unexpected, annotation=annotation
        )
        return reply

    async def _next_reply(self, step: str) -> Reply:
        assert self._reader is not None
        while True:
            try:
                event = self.protocol.next_event()
            except ProtocolError as exc:
                raise self._fail(step, FailureKind.PROTOCOL, str(exc)) from None
            if isinstance(event, Reply):
                if event.unsolicited and self.protocol.expected:
                    self._unsolicited(event)  # not the answer: read on for the real one
                    continue
                self._partial.clear()
                return event
            if event is CONNECTION_CLOSED:
                raise self._fail(step, FailureKind.CLOSED, self._say("server_closed"))
            assert event is NEED_DATA
            if self._child is not None and b"\n" in self._pipe_line:
                data = self._pipe_reply_lines()
                if data:
                    self._partial += data[: max(0, PARTIAL_SHOWN - len(self._partial))]
                    self.protocol.receive_data(data)
                    continue
            try:
                data = await self._reader.read(READ_SIZE)
            except (OSError, ssl.SSLError) as exc:
                raise self._fail(step, classify_os_error(exc), self._why(exc)) from None
            if self._child is not None:
                if not data:  # end of output: what is left goes to the protocol as is
                    data, self._pipe_line = bytes(self._pipe_line), bytearray()
                else:
                    self._pipe_line += data
                    data = self._pipe_reply_lines()
                    if not data:
                        continue  # only chatter, or the start of a line, so far
            if len(self._partial) < PARTIAL_SHOWN:
                self._partial += data[: PARTIAL_SHOWN - len(self._partial)]
            self.protocol.receive_data(data)

    def _unsolicited(self, reply: Reply) -> None:
        """A reply that came before the command now awaited was sent (protocol/ says so).

        Shown in the transcript, never taken as that command's answer, so the dialogue
        stays in step. Reporting it as a finding is for the scenarios.
        """
        self.transcript.received(reply.raw, tls=self.under_tls, unexpected=True)
        waiting = self.protocol.expected[0]
        self.transcript.note(self._say("unsolicited", waiting=waiting))

    def _pipe_reply_lines(self) -> bytes:
        """Over --pipe, take the next reply lines; show other lines as notes.

        A child process run as an SMTP server often writes other lines to its output
        (`exim -bh` prints "**** SMTP testing session ..." before the banner and after
        the reply to the message). swaks shows them and goes on; so do we, as notes, in
        the order they came: a chatter line after reply lines waits for the next read.
        """
        kept = bytearray()
        while True:
            end = self._pipe_line.find(b"\n")
            if end < 0:
                break
            line = bytes(self._pipe_line[: end + 1])
            if _REPLY_LINE.match(line):
                kept += line
            elif kept:
                break  # shown once the replies before it have been read
            elif line.strip():
                text = line.decode("utf-8", errors="replace").rstrip("\r\n")
                self.transcript.note(self._say("child_output", text=text))
            del self._pipe_line[: end + 1]
        if len(self._pipe_line) > PIPE_LINE_LIMIT:
            # no end of line in sight: the protocol decides what this is
            kept += self._pipe_line
            self._pipe_line.clear()
        return bytes(kept)

    async def write(self, data: bytes, step: str, *, shown: bytes | None = None) -> None:
        """Send bytes, recording `shown` (the redacted form) in the transcript."""
        if self._writer is None or self._writer.is_closing():
            raise self._fail(step, FailureKind.CLOSED, self._say("connection_is_closed"))
        self.transcript.sent(data if shown is None else shown, tls=self.under_tls)
        try:
            async with asyncio.timeout(self.timeout):
                self._writer.write(data)
                await self._writer.drain()
        except TimeoutError:
            raise self._fail(
                step, FailureKind.TIMEOUT, self._say("write_timeout", seconds=f"{self.timeout:g}")
            ) from None
        except (OSError, ssl.SSLError) as exc:
            raise self._fail(step, classify_os_error(exc), self._why(exc)) from None

    def shown(self, command: Command) -> bytes:
        """The command as the transcript shows it: secrets redacted unless asked."""
        return command.to_bytes() if self.show_secrets else command.redacted()

    async def send_command(
        self, command: Command, step: str, *, shown: bytes | None = None
    ) -> None:
        """Send one command without waiting (pipelining sends several, then reads).

        `shown` replaces the transcript form (e.g. a decoded AUTH line the user asked
        to see); by default secrets are redacted.
        """
        try:
            wire = self.protocol.send(command)
        except ProtocolError as exc:
            raise self._fail(step, FailureKind.PROTOCOL, str(exc)) from None
        await self.write(wire, step, shown=self.shown(command) if shown is None else shown)

    async def command(
        self,
        command: Command,
        step: str,
        expect: Iterable[int] = (),
        *,
        shown: bytes | None = None,
    ) -> Reply:
        """Send one command and read its reply."""
        await self.send_command(command, step, shown=shown)
        return await self.read_reply(step, expect)

    async def send_message(self, body: bytes, step: str = "data") -> None:
        """Send the message after a 354: stuffed, normalised, ended with a dot."""
        try:
            wire = self.protocol.send_message(body)
        except ProtocolError as exc:
            raise self._fail(step, FailureKind.PROTOCOL, str(exc)) from None
        await self.write(wire, step)

    async def send_message_exact(self, data: bytes, step: str = "eod") -> None:
        """Send the message bytes exactly as given (swaks' --no-data-fixup).

        No CRLF normalisation, no dot-stuffing, no final dot added: the caller's data
        must end the message itself (with CRLF.CRLF), or the server waits for it.
        """
        try:
            self.protocol.send_message(b"")  # the protocol now awaits the end-of-data reply
        except ProtocolError as exc:
            raise self._fail(step, FailureKind.PROTOCOL, str(exc)) from None
        await self.write(data, step)

    async def send_bdat(self, chunk: bytes, *, last: bool, step: str = "bdat") -> None:
        try:
            wire = self.protocol.send_bdat(chunk, last=last)
        except ProtocolError as exc:
            raise self._fail(step, FailureKind.PROTOCOL, str(exc)) from None
        await self.write(wire, step)

    async def starttls(self, context: ssl.SSLContext, server_hostname: str | None) -> TlsInfo:
        """Upgrade the connection after the server's 220 to STARTTLS."""
        assert self._writer is not None
        leftover = self.protocol.start_tls() + bytes(self._pipe_line)
        self._pipe_line.clear()
        if leftover:
            self.transcript.note(tn("net.bytes_before_tls", len(leftover), self.transcript.lang))
        try:
            async with asyncio.timeout(self.timeout):
                await self._writer.start_tls(
                    context,
                    server_hostname=server_hostname,
                    ssl_handshake_timeout=self.timeout,
                )
        except TimeoutError:
            raise self._fail(
                "tls",
                FailureKind.TIMEOUT,
                self._say("handshake_timeout", seconds=f"{self.timeout:g}"),
            ) from None
        except (OSError, ssl.SSLError) as exc:
            reason = self._why(exc, handshake=True)
            alert = tls_alert(leftover)
            if alert is not None and not isinstance(exc, ssl.SSLError):
                reason = self._say("alert_instead", alert=alert)
            kind = classify_os_error(exc, handshake=True)
            raise self._fail("tls", kind, reason) from None
        ssl_object = self._writer.get_extra_info("ssl_object")
        self.tls = tls_info(ssl_object, verified=context.verify_mode != ssl.CERT_NONE)
        self.transcript.note(self._say("tls_started", summary=self.tls.summary()), tls=True)
        return self.tls

    async def close(self) -> None:
        """Drop the connection (no QUIT: callers send it when they want to)."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        writer.close()
        try:
            async with asyncio.timeout(min(self.timeout, 2.0)):
                await writer.wait_closed()
        except (TimeoutError, OSError, ssl.SSLError):
            pass
        await self._reap_child()

    async def _reap_child(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        for _ in range(40):  # up to 2 s for it to finish after our QUIT or close
            if child.poll() is not None:
                return
            await asyncio.sleep(0.05)
        child.kill()
        child.wait()

    def _fail(self, step: str, kind: FailureKind, message: str) -> SessionError:
        if self._partial:
            # What the server had said before it stalled or broke the protocol.
            self.transcript.received(bytes(self._partial), tls=self.under_tls, unexpected=True)
            self._partial.clear()
        label = t_or(f"net.step.{step}", step, self.transcript.lang)
        self.transcript.error(
            self._say("error_line", step=label, message=message), tls=self.under_tls
        )
        return SessionError(step, kind, message)
