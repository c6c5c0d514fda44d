"""What Tab offers at the console prompt: verbs, the server's extensions, settings.

`suggestions(text, ehlo)` is pure: the words that may replace the word being typed,
given what the server advertised in its last EHLO reply (its words made visible: a
server chooses them). `ConsoleCompleter` adapts it to prompt_toolkit (imported only by
the interactive front end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from smtpcheck.console.commands import AUTH_HELPER_MECHANISMS, CONSOLE_COMMANDS, SETTINGS
from smtpcheck.protocol.ehlo import EhloInfo
from smtpcheck.report.visible import visible

if TYPE_CHECKING:
    from prompt_toolkit.completion import CompleteEvent, Completer, Completion
    from prompt_toolkit.document import Document

#: verbs every server knows (RFC 5321), offered always
BASE_VERBS = ("EHLO", "HELO", "MAIL FROM:<", "RCPT TO:<", "DATA", "RSET", "NOOP", "VRFY",
              "EXPN", "HELP", "QUIT")  # fmt: skip
#: extension keyword -> the verb it adds (offered once the server advertised it)
EXTENSION_VERBS = {
    "STARTTLS": "STARTTLS",
    "AUTH": "AUTH",
    "CHUNKING": "BDAT",
    "ETRN": "ETRN",
    "XCLIENT": "XCLIENT",
    "XFORWARD": "XFORWARD",
    "ATRN": "ATRN",
}
#: extensions that work before any EHLO reply is known (so offer their verbs then too)
_BEFORE_EHLO = ("STARTTLS", "AUTH")


def _mail_parameters(ehlo: EhloInfo | None) -> list[str]:
    if ehlo is None:
        return []
    out = []
    if ehlo.has("SIZE"):
        out.append("SIZE=")
    if ehlo.has("8BITMIME"):
        out.append("BODY=8BITMIME")
    if ehlo.has("BINARYMIME"):
        out.append("BODY=BINARYMIME")
    if ehlo.has("SMTPUTF8"):
        out.append("SMTPUTF8")
    if ehlo.has("DSN"):
        out += ["RET=FULL", "RET=HDRS", "ENVID="]
    if ehlo.has("AUTH"):
        out.append("AUTH=<>")
    if ehlo.has("REQUIRETLS"):
        out.append("REQUIRETLS")
    return out


def _rcpt_parameters(ehlo: EhloInfo | None) -> list[str]:
    if ehlo is None or not ehlo.has("DSN"):
        return []
    return ["NOTIFY=SUCCESS,FAILURE", "NOTIFY=SUCCESS,FAILURE,DELAY", "NOTIFY=NEVER", "ORCPT="]


def _verbs(ehlo: EhloInfo | None) -> list[str]:
    verbs = list(BASE_VERBS)
    for keyword, verb in EXTENSION_VERBS.items():
        if (ehlo is None and keyword in _BEFORE_EHLO) or (ehlo is not None and ehlo.has(keyword)):
            verbs.append(verb)
    return verbs


def _matching(prefix: str, options: Iterable[str]) -> list[str]:
    lower = prefix.lower()
    out = []
    for option in options:
        if option.lower().startswith(lower) and option.lower() != lower:
            # answer in the case the user types in: "ma" -> "mail from:<"
            out.append(option.lower() if prefix and prefix.islower() else option)
    return list(dict.fromkeys(out))


def suggestions(text: str, ehlo: EhloInfo | None, *, raw_mode: bool = False) -> list[str]:
    """Words that may replace the last (partial) word of `text`."""
    if raw_mode:
        return _matching(text, ["raw off"]) if " " not in text else []
    words = text.split(" ")
    current = words[-1]
    if len(words) == 1:
        return _matching(current, [*CONSOLE_COMMANDS, *_verbs(ehlo)])
    first = words[0].lower()
    head = text.lower()
    if head.startswith("mail from:") and len(words) > 2:
        return _matching(current, _mail_parameters(ehlo))
    if head.startswith("rcpt to:") and len(words) > 2:
        return _matching(current, _rcpt_parameters(ehlo))
    if len(words) == 2:
        if first == "auth":
            offered = [visible(m) for m in ehlo.auth_mechanisms] if ehlo else []
            return _matching(current, [*offered, *(m.lower() for m in AUTH_HELPER_MECHANISMS)])
        if first in ("set", "unset"):
            return _matching(current, SETTINGS)
        if first == "open":
            return _matching(current, ["--tls"])
        if first == "raw":
            return _matching(current, ["on", "off"])
        if first == "mail":
            return _matching(current, ["FROM:<"])
        if first == "rcpt":
            return _matching(current, ["TO:<"])
    if len(words) == 3 and first == "set":
        return _matching(current, SETTINGS.get(words[1].lower(), ()))
    return []


def make_completer(ehlo: Callable[[], EhloInfo | None], raw_mode: Callable[[], bool]) -> Completer:
    """A prompt_toolkit completer over `suggestions` (imports prompt_toolkit)."""
    from prompt_toolkit.completion import Completer, Completion

    class ConsoleCompleter(Completer):
        def get_completions(
            self, document: Document, complete_event: CompleteEvent
        ) -> Iterable[Completion]:
            text = document.text_before_cursor
            current = text.split(" ")[-1]
            for word in suggestions(text, ehlo(), raw_mode=raw_mode()):
                yield Completion(word, start_position=-len(current))

    return ConsoleCompleter()
