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


def _words(key: str, lang: str, **facts: object) -> str:
    # The words come from the knowledge layer's catalogue (messages.toml [net]); this
    # module only decides which ones.
    from smtpcheck.knowledge.i18n import t

    return t(f"net.{key}", lang, **facts)


def _errno_name(exc: BaseException) -> str | None:
    if isinstance(exc, socket.gaierror):
        names = {
            getattr(socket, name): name
            for name in ("EAI_NONAME", "EAI_AGAIN", "EAI_NODATA", "EAI_FAMILY")
            if hasattr(socket, name)
        }
        return names.get(exc.errno) if exc.errno is not None else None
    if isinstance(exc, OSError) and exc.errno:
        return errno.errorcode.get(exc.errno)
    return None


def _os_words(exc: BaseException, lang: str) -> str:
    """What the operating system said, in `lang` for the errors the catalogue knows."""
    name = _errno_name(exc)
    if name is not None:
        from smtpcheck.knowledge.i18n import t_or

        words = t_or(f"net.os.{name}", "", lang)
        if words:
            return words
    if isinstance(exc, OSError) and exc.errno and not isinstance(exc, socket.gaierror):
        return os.strerror(exc.errno).lower()
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower() if exc.strerror[0].isupper() else exc.strerror
    return str(exc) or type(exc).__name__


def _verify_words(exc: ssl.SSLCertVerificationError, lang: str) -> str:
    from smtpcheck.knowledge.i18n import t_or

    return t_or(f"net.verify.{exc.verify_code}", str(exc.verify_message or exc.reason), lang)


def describe_os_error(exc: BaseException, *, handshake: bool = False, lang: str = "en") -> str:
    """A one-line description of a low-level error, without the Python class noise, in
    `lang` (the catalogue's words for the usual errno values and certificate errors).

    `handshake`: it ended a TLS handshake; a close or reset is described as such.
    """
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _words("cert_verify_failed", lang, reason=_verify_words(exc, lang))
    if isinstance(exc, ssl.SSLError):
        alert = _ALERT_REASON.fullmatch(exc.reason or "")
        if alert is not None:
            return _words("tls_alert", lang, alert=alert.group(1).lower())
        return _words("tls_error", lang, reason=exc.reason or exc)
    if handshake and isinstance(exc, _ENDED_HANDSHAKE):
        reset = isinstance(exc, OSError) and exc.errno
        return _words("handshake_reset" if reset else "handshake_closed", lang)
    if isinstance(exc, ConnectionResetError) and not exc.errno:
        return _words("closed_by_server", lang)
    if isinstance(exc, socket.gaierror):
        return _words("name_not_found", lang, reason=_os_words(exc, lang))
    return _os_words(exc, lang)
