"""Network failures, classified: each kind has different causes and fixes.

`SessionError` is what the session driver raises: it names the step that failed
(connect, banner, ehlo, starttls, ...) and the kind of failure, so the CLI can print
one clear line and the knowledge layer can explain it.
"""

from __future__ import annotations

import errno
import os
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


def classify_os_error(exc: BaseException) -> FailureKind:
    """Map an exception raised by connect/read/write/TLS to a `FailureKind`."""
    if isinstance(exc, socket.gaierror):
        return FailureKind.NAME_NOT_FOUND
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


def describe_os_error(exc: BaseException) -> str:
    """A one-line description of a low-level error, without the Python class noise."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verification failed: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, socket.gaierror):
        return f"name not found: {exc.strerror or exc}"
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno).lower()
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower() if exc.strerror[0].isupper() else exc.strerror
    return str(exc) or type(exc).__name__
