"""Misbehaviour on request: rules that answer, delay, disconnect, tarpit or greylist.

A rules file is TOML:

```toml
[greeting]                 # optional
text = "220 mx.test ESMTP slow to greet"   # or "421 4.3.2 Go away" (then close)
delay = 3.0

[starttls]
fail = true                # answer 220, then fail the handshake with a TLS alert

[greylist]                 # first attempt for (client, sender, recipient): 451
delay = 0                  # seconds before a retry is accepted
reply = "451 4.7.1 Greylisted, try again later"   # optional

[[rule]]
command = "RCPT"           # CONNECT, EHLO, HELO, MAIL, RCPT, DATA, EOD, BDAT, STARTTLS,
                           # AUTH, RSET, NOOP, QUIT, VRFY, or "*"
match = "*@blocked.test"   # glob on the command's address (RCPT: that recipient;
                           # MAIL: the sender; EOD: any recipient)
sender = "*@spammer.test"  # glob on the transaction's sender (optional)
reply = "550 5.1.1 User unknown"   # "CODE text"; several lines with "\n"
delay = 2.0                # wait before replying (optional)
action = "reply"           # reply | disconnect | tarpit
interval = 1.0             # tarpit: seconds between reply bytes
times = 1                  # apply only the first N matches (optional)
```

Shorthand flags build the same rules: `--reply RCPT:*@x.test="550 5.1.1 No"`,
`--delay DATA=5`, `--disconnect MAIL`, `--tarpit EOD`.
"""

from __future__ import annotations

import fnmatch
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMMANDS = {
    "CONNECT",
    "EHLO",
    "HELO",
    "LHLO",
    "MAIL",
    "RCPT",
    "DATA",
    "EOD",
    "BDAT",
    "STARTTLS",
    "AUTH",
    "RSET",
    "NOOP",
    "QUIT",
    "VRFY",
    "EXPN",
    "HELP",
    "*",
}
ACTIONS = {"reply", "disconnect", "tarpit"}


class RuleError(ValueError):
    """A rule the user wrote cannot be used; the message says where and why."""


def parse_reply(text: str) -> tuple[int, list[str]]:
    """A reply the user wrote (rules file, `--reply`, `--banner`): `"550 5.1.1 No such
    user"` -> (550, ["5.1.1 No such user"]); lines split on a newline or on a typed
    `\\n` (a two-character escape: handy on a command line)."""
    return split_reply(unescape_reply(text))


def unescape_reply(text: str) -> str:
    """A reply text the user wrote with its typed `\\n` escapes made newlines."""
    return text.replace("\\n", "\n")


def split_reply(text: str) -> tuple[int, list[str]]:
    """A filled reply text -> (code, lines), split on newlines only.

    Escapes are never interpreted here: a filled template may hold text a client chose
    (its EHLO name, an address), and `EHLO x\\n250-FAKE` must not add a reply line.
    """
    lines = text.split("\n")
    head = lines[0].strip()
    code_text, _, rest = head.partition(" ")
    if len(code_text) != 3 or not code_text.isdigit() or not "200" <= code_text <= "599":
        raise RuleError(f"a reply must start with a 3-digit code from 200 to 599: {text!r}")
    body = [rest] + [line.strip() for line in lines[1:]]
    for line in body:
        if "\r" in line or "\0" in line:
            raise RuleError(f"a reply line may not contain CR or NUL: {text!r}")
    return int(code_text), body


@dataclass
class Rule:
    """One misbehaviour: when `command` (and the patterns) match, do `action`."""

    command: str
    match: str | None = None
    sender: str | None = None
    reply: tuple[int, list[str]] | None = None
    delay: float = 0.0
    action: str = "reply"
    interval: float = 1.0
    times: int | None = None
    used: int = 0

    def __post_init__(self) -> None:
        self.command = self.command.upper()
        if self.command not in COMMANDS:
            raise RuleError(f"unknown command {self.command!r} in a rule")
        if self.action not in ACTIONS:
            raise RuleError(f"unknown action {self.action!r} (use {', '.join(sorted(ACTIONS))})")
        if self.action == "reply" and self.reply is None and not self.delay:
            raise RuleError(f"rule for {self.command} has neither reply nor delay")
        if self.delay < 0 or self.interval <= 0:
            raise RuleError("delay must be >= 0 and interval > 0")

    def matches(self, command: str, addresses: list[str], sender: str | None) -> bool:
        if self.times is not None and self.used >= self.times:
            return False
        if self.command not in ("*", command):
            return False
        if self.match is not None and not any(_glob(a, self.match) for a in addresses):
            return False
        return self.sender is None or (sender is not None and _glob(sender, self.sender))


def _glob(value: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


#: (client, sender, recipient) triples a greylist remembers; beyond, the oldest go
GREYLIST_CAPACITY = 100_000


@dataclass
class Greylist:
    """First attempt per (client IP, sender, recipient) fails; a retry after `delay` passes.

    Clients choose the triples, so the memory of first attempts is bounded
    (`capacity`): beyond it the oldest are forgotten (their next attempt is a first).
    """

    delay: float = 0.0
    reply: tuple[int, list[str]] | None = None
    first_seen: dict[tuple[str, str, str], float] = field(default_factory=dict)
    capacity: int = GREYLIST_CAPACITY

    def check(self, client_ip: str, sender: str, recipient: str, now: float | None = None) -> bool:
        """True when this attempt must be refused."""
        now = time.monotonic() if now is None else now
        key = (client_ip, sender.lower(), recipient.lower())
        seen = self.first_seen.get(key)
        if seen is None:
            if len(self.first_seen) >= self.capacity:
                del self.first_seen[next(iter(self.first_seen))]  # dicts keep insertion order
            self.first_seen[key] = now
            return True
        return now - seen < self.delay


@dataclass
class RuleSet:
    """Everything the sink does on purpose: rules, greylisting, greeting, STARTTLS failure."""

    rules: list[Rule] = field(default_factory=list)
    greylist: Greylist | None = None
    greeting_text: str | None = None
    greeting_delay: float = 0.0
    starttls_fail: bool = False

    def find(
        self, command: str, addresses: list[str] | None = None, sender: str | None = None
    ) -> Rule | None:
        """The first rule matching; its use counter goes up."""
        for rule in self.rules:
            if rule.matches(command, addresses or [], sender):
                rule.used += 1
                return rule
        return None

    def extend(self, other: RuleSet) -> None:
        """Add another set's rules and settings (flags after the file)."""
        self.rules.extend(other.rules)
        self.greylist = other.greylist or self.greylist
        self.greeting_text = other.greeting_text or self.greeting_text
        self.greeting_delay = other.greeting_delay or self.greeting_delay
        self.starttls_fail = other.starttls_fail or self.starttls_fail


def load_rules(path: Path) -> RuleSet:
    """Read a TOML rules file; RuleError names the problem."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read rules file {path}: {exc}") from None
    return rules_from_dict(data, str(path))


def rules_from_dict(data: dict[str, Any], origin: str = "rules") -> RuleSet:
    """Build a RuleSet from parsed TOML (see the module docstring for the keys)."""
    known = {"rule", "greylist", "greeting", "starttls"}
    unknown = set(data) - known
    if unknown:
        raise RuleError(f"{origin}: unknown section(s) {', '.join(sorted(unknown))}")
    ruleset = RuleSet()
    for index, item in enumerate(data.get("rule", []), 1):
        where = f"{origin}: rule {index}"
        try:
            reply = parse_reply(str(item["reply"])) if "reply" in item else None
            ruleset.rules.append(
                Rule(
                    command=str(item.get("command", "*")),
                    match=item.get("match"),
                    sender=item.get("sender"),
                    reply=reply,
                    delay=float(item.get("delay", 0)),
                    action=str(item.get("action", "reply")),
                    interval=float(item.get("interval", 1)),
                    times=int(item["times"]) if "times" in item else None,
                )
            )
        except (RuleError, TypeError, ValueError) as exc:
            raise RuleError(f"{where}: {exc}") from None
    if "greylist" in data:
        grey = data["greylist"]
        reply = parse_reply(str(grey["reply"])) if "reply" in grey else None
        ruleset.greylist = Greylist(delay=float(grey.get("delay", 0)), reply=reply)
    greeting = data.get("greeting", {})
    if "text" in greeting:
        ruleset.greeting_text = unescape_reply(str(greeting["text"]))
        parse_reply(ruleset.greeting_text)
    ruleset.greeting_delay = float(greeting.get("delay", 0))
    ruleset.starttls_fail = bool(data.get("starttls", {}).get("fail", False))
    return ruleset


def parse_shorthand(kind: str, spec: str) -> Rule:
    """`--reply RCPT:*@x.test=550 No`, `--delay DATA=5`, `--disconnect MAIL`, `--tarpit EOD`."""
    target, _, value = spec.partition("=")
    command, _, pattern = target.partition(":")
    match = pattern or None
    if kind == "reply":
        if not value:
            raise RuleError(f"--reply needs COMMAND[:PATTERN]=REPLY, got {spec!r}")
        return Rule(command=command, match=match, reply=parse_reply(value))
    if kind == "delay":
        try:
            seconds = float(value)
        except ValueError:
            raise RuleError(f"--delay needs COMMAND[:PATTERN]=SECONDS, got {spec!r}") from None
        return Rule(command=command, match=match, delay=seconds)
    if kind == "disconnect":
        return Rule(
            command=command,
            match=match,
            action="disconnect",
            reply=parse_reply(value) if value else None,
        )
    if kind == "tarpit":
        return Rule(
            command=command, match=match, action="tarpit", interval=float(value) if value else 1.0
        )
    raise RuleError(f"unknown rule shorthand {kind!r}")
