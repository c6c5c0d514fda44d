"""Network failures, classified: each kind has different causes and fixes.

`SessionError` is what the session driver raises: it names the step that failed
(connect, banner, ehlo, starttls, ...) and the kind of failure, so the CLI can print
one clear line and the knowledge layer can explain it.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import ssl
from enum import StrEnum


class FailureKind(StrEnum):
    """Why a network step failed."""

    REFUSED = "refused"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    NAME_NOT_FOUND = "name-not-found"
    TLS = "tls"
    CLOSED = "closed"
    RESET = "reset"
    PROTOCOL = "protocol"
    OTHER = "other"


class SessionError(Exception):
    """A step of the SMTP session could not complete."""

    def __init__(self, step: str, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.step = step
        self.kind = kind
        self.message = message

    def __str__(self) -> str:
        return f"{self.step}: {self.message}"


_UNREACHABLE_ERRNOS = {
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EADDRNOTAVAIL,
    errno.EAFNOSUPPORT,
}


# What ends a TLS handshake besides a TLS error: the server closing or resetting the
# connection. asyncio and uvloop report a close as the bare class ConnectionResetError.
_ENDED_HANDSHAKE = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, EOFError)

# RFC 8446 §6.2 (and RFC 5246 §7.2 for the older ones): alert descriptions by number.
TLS_ALERTS = {
    0: "close_notify",
    10: "unexpected_message",
    20: "bad_record_mac",
    22: "record_overflow",
    40: "handshake_failure",
    42: "bad_certificate",
    43: "unsupported_certificate",
    44: "certificate_revoked",
    45: "certificate_expired",
    46: "certificate_unknown",
    47: "illegal_parameter",
    48: "unknown_ca",
    49: "access_denied",
    50: "decode_error",
    51: "decrypt_error",
    70: "protocol_version",
    71: "insufficient_security",
    80: "internal_error",
    86: "inappropriate_fallback",
    90: "user_canceled",
    109: "missing_extension",
    110: "unsupported_extension",
    112: "unrecognized_name",
    113: "bad_certificate_status_response",
    115: "unknown_psk_identity",
    116: "certificate_required",
    120: "no_application_protocol",
}
_ALERT_REASON = re.compile(r"(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)")


def tls_alert(data: bytes) -> str | None:
    """The description of the TLS alert record `data` starts with, if it starts with one."""
    if len(data) >= 7 and data[0] == 0x15 and data[1] == 3 and data[3:5] == b"\x00\x02":
        return TLS_ALERTS.get(data[6], f"alert {data[6]}")
    return None


def classify_os_error(exc: BaseException, *, handshake: bool = False) -> FailureKind:
    """Map an exception raised by connect/read/write/TLS to a `FailureKind`.

    `handshake`: it ended a TLS handshake, so a closed or reset connection is a TLS
    failure (the server refused the handshake), not a dropped session.
    """
    if isinstance(exc, socket.gaierror):
        return FailureKind.NAME_NOT_FOUND
    if handshake and _ended_handshake(exc):
        return FailureKind.TLS
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return FailureKind.TLS
    if isinstance(exc, ConnectionRefusedError):
        return FailureKind.REFUSED
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return FailureKind.RESET
    if isinstance(exc, TimeoutError):
        return FailureKind.TIMEOUT
    if isinstance(exc, OSError) and exc.errno in _UNREACHABLE_ERRNOS:
        return FailureKind.UNREACHABLE
    if isinstance(exc, OSError) and exc.errno == errno.ETIMEDOUT:
        return FailureKind.TIMEOUT
    return FailureKind.OTHER


def _ended_handshake(exc: BaseException) -> bool:
    return isinstance(exc, _ENDED_HANDSHAKE) or (
        isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLCertVerificationError)
    )


def describe_os_error(exc: BaseException, *, handshake: bool = False) -> str:
    """A one-line description of a low-level error, without the Python class noise.

    `handshake`: it ended a TLS handshake; a close or reset is described as such.
    """
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verification failed: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        alert = _ALERT_REASON.fullmatch(exc.reason or "")
        if alert is not None:
            return f"TLS handshake failed: the server sent the alert {alert.group(1).lower()}"
        return f"TLS error: {exc.reason or exc}"
    if handshake and isinstance(exc, _ENDED_HANDSHAKE):
        how = "reset" if isinstance(exc, OSError) and exc.errno else "closed"
        return f"the server {how} the connection during the TLS handshake"
    if isinstance(exc, ConnectionResetError) and not exc.errno:
        return "the connection was closed by the server"
    if isinstance(exc, socket.gaierror):
        return f"name not found: {exc.strerror or exc}"
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno).lower()
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower() if exc.strerror[0].isupper() else exc.strerror
    return str(exc) or type(exc).__name__
