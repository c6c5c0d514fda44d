"""Parsing of one client command line, for the server role.

Pure functions: split the line ending off, split the verb from its argument, find the
MAIL FROM / RCPT TO path and its ESMTP parameters, read a BDAT size, and note what a
diagnostic tool should report (bare LF or CR, leading blanks, over-long or 8-bit lines,
extensions used without being offered). An argument a server would echo or store (the
EHLO name, a path, a VRFY/EXPN string) with a NUL or CR in it is a syntax error: the
command must be answered 501, never echoed.
"""

from __future__ import annotations

import re

from smtpcheck.protocol.events import Anomaly, AnomalyKind

#: RFC 5321 4.5.3.1.4: a command line is at most 512 octets (AUTH may be longer)
RFC_COMMAND_LINE_LIMIT = 512
_PATH = re.compile(r"(FROM|TO):([ \t]*)(?:<([^>]*)>|(\S+))(.*)\Z", re.IGNORECASE | re.DOTALL)
_BDAT = re.compile(r"(\d{1,18})(?:[ \t]+(LAST))?[ \t]*\Z", re.IGNORECASE)
#: the EHLO keyword a verb or a MAIL/RCPT parameter needs
NEEDS = {
    "STARTTLS": "STARTTLS",
    "AUTH": "AUTH",
    "BDAT": "CHUNKING",
    "SIZE": "SIZE",
    "SMTPUTF8": "SMTPUTF8",
    "RET": "DSN",
    "ENVID": "DSN",
    "NOTIFY": "DSN",
    "ORCPT": "DSN",
}
_UTF8_VERBS = frozenset({"MAIL", "RCPT", "VRFY", "EXPN"})
#: verbs whose argument a server echoes in a reply or stores: no NUL or CR in it
_ECHOED = frozenset({"EHLO", "HELO", "LHLO", "MAIL", "RCPT", "VRFY", "EXPN"})


def strip_line_ending(line: bytes, anomalies: list[Anomaly]) -> bytes:
    """The line without its ending; notes a bare LF ending and bare CRs inside."""
    if line.endswith(b"\r\n"):
        content = line[:-2]
    else:
        content = line[:-1]
        anomalies.append(Anomaly(AnomalyKind.BARE_LF, "command line ends with LF, not CRLF"))
    if b"\r" in content:
        anomalies.append(Anomaly(AnomalyKind.BARE_CR, "command line contains a bare CR"))
    return content


def split_command(content: bytes, anomalies: list[Anomaly]) -> tuple[str, str, str | None]:
    """(verb word, argument, syntax error or None) of a command line without its ending.

    Leading blanks are skipped and noted (Postfix accepts such a line, Exim answers 500):
    the line is understood rather than mistaken for one without a verb.
    """
    text = content.decode("utf-8", "replace")
    stripped = text.lstrip(" \t")
    if len(stripped) != len(text):
        anomalies.append(
            Anomaly(AnomalyKind.LEADING_WHITESPACE, "command line starts with a blank")
        )
    word, _, argument = stripped.partition(" ")
    error = None
    if word.upper() in _ECHOED:
        if "\0" in argument:
            error = f"NUL in the {word.upper()} argument"
        elif "\r" in argument:
            error = f"CR in the {word.upper()} argument"
    return word, argument, error


def check_line(
    line: bytes, verb: str, advertised: frozenset[str], anomalies: list[Anomaly]
) -> None:
    """Notes an over-long or 8-bit line and a verb whose extension was not offered."""
    if len(line) > RFC_COMMAND_LINE_LIMIT and verb != "AUTH":
        anomalies.append(
            Anomaly(AnomalyKind.LONG_LINE, f"command line of {len(line)} octets (limit 512)")
        )
    if not line.isascii() and not (verb in _UTF8_VERBS and "SMTPUTF8" in advertised):
        anomalies.append(Anomaly(AnomalyKind.EIGHT_BIT, f"8-bit bytes in {verb or 'a line'}"))
    needed = NEEDS.get(verb)
    if needed is not None and needed not in advertised:
        anomalies.append(
            Anomaly(AnomalyKind.UNADVERTISED_EXTENSION, f"{verb} without {needed} offered")
        )


def parse_path(
    verb: str, argument: str, advertised: frozenset[str], anomalies: list[Anomaly]
) -> tuple[str | None, dict[str, str | None], str | None]:
    """(address, params, syntax error) of `MAIL FROM:<a> params` / `RCPT TO:<a> params`.

    Tolerates a space after the colon and a path without brackets (noting both). An
    argument that cannot be understood, or holds a NUL or CR, gives address None and a
    syntax error such as "RCPT TO:<address>".
    """
    keyword = "FROM" if verb == "MAIL" else "TO"
    usage = f"{verb} {keyword}:<address>"
    if "\0" in argument or "\r" in argument:
        anomalies.append(Anomaly(AnomalyKind.BAD_ARGUMENT, f"NUL or CR in the {verb} argument"))
        return None, {}, usage
    match = _PATH.match(argument)
    if match is None or match[1].upper() != keyword:
        anomalies.append(Anomaly(AnomalyKind.BAD_ARGUMENT, f"expected {usage}"))
        return None, {}, usage
    if match[2]:
        anomalies.append(
            Anomaly(AnomalyKind.SPACE_AFTER_COLON, f"space after {keyword}: (RFC 5321 forbids)")
        )
    address = match[3]
    if address is None:
        address = match[4]
        anomalies.append(Anomaly(AnomalyKind.NO_ANGLE_BRACKETS, f"{keyword}: address without <>"))
    params: dict[str, str | None] = {}
    for word in match[5].split():
        key, equals, value = word.partition("=")
        key = key.upper()
        params[key] = value if equals else None
        needed = NEEDS.get(key)
        if key == "BODY":
            needed = "BINARYMIME" if value.upper() == "BINARYMIME" else "8BITMIME"
        if needed is not None and needed not in advertised:
            anomalies.append(
                Anomaly(AnomalyKind.UNADVERTISED_EXTENSION, f"{key}= without {needed}")
            )
    return address, params, None


def parse_bdat(argument: str) -> tuple[int, bool] | None:
    """(size, last) of `BDAT <size> [LAST]`, or None if malformed."""
    match = _BDAT.match(argument.strip())
    if match is None:
        return None
    return int(match[1]), match[2] is not None
