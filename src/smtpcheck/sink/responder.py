"""What the sink says: persona texts, the rules that replace them, bad-command counting.

Every reply text comes from the persona (sink/personas.py), filled with the session's
fields; every reply may be replaced, delayed, turned into a disconnect or a tarpit by a
rule (`respond`). Filled texts are split into lines without interpreting any escape:
a field may hold text a client chose.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from smtpcheck.protocol.events import Reply
from smtpcheck.protocol.server import ServerConnection
from smtpcheck.sink.config import SinkConfig
from smtpcheck.sink.interfaces import Link, Pending
from smtpcheck.sink.personas import exchange_date
from smtpcheck.sink.rules import Rule, split_reply
from smtpcheck.sink.state import SessionState

#: parsed replies by text: most replies repeat (hot in the benchmark); bounded
_REPLY_CACHE: dict[str, Reply] = {}
_REPLY_CACHE_SIZE = 4096


class Responder:
    """Sends the replies of one session (see the module docstring)."""

    __slots__ = ("config", "conn", "link", "persona", "rules", "state")

    def __init__(
        self, state: SessionState, link: Link, conn: ServerConnection, config: SinkConfig
    ) -> None:
        self.state = state
        self.link = link
        self.conn = conn
        self.config = config
        self.persona = config.persona
        self.rules = config.rules

    def fields(self, **extra: Any) -> _LazyFields:
        """Template fields, each computed only when a template uses it (hot path)."""
        return _LazyFields(self.state, self.config, extra)

    def text(self, key: str, **extra: Any) -> str:
        """The persona's filled text for `key`."""
        return self.persona.reply(key, self.fields(**extra))

    # -- sending -------------------------------------------------------------------
    def send_reply(self, code: int, lines: list[str]) -> None:
        self.link.send_event(Reply.build(code, *lines))

    def send_text(self, text: str, cache: bool = True) -> int:
        """Send a `"CODE text"` reply (lines separated by newlines); returns the code.

        `cache=False` for a text made once (it carries a message id).
        """
        reply = _REPLY_CACHE.get(text)
        if reply is None:
            code, lines = split_reply(text)
            reply = Reply.build(code, *lines)
            if cache:
                if len(_REPLY_CACHE) > _REPLY_CACHE_SIZE:
                    _REPLY_CACHE.clear()
                _REPLY_CACHE[text] = reply
        self.link.send_event(reply)
        return reply.code

    def send_single_line(self, text: str) -> None:
        """Send a one-line `"CODE text"` made once (the final 250 with its id): no parsing
        through the cache; anything unusual goes the validating way (`send_text`)."""
        code = text[:3]
        if text[3:4] != " " or not code.isdigit() or not text.isprintable():
            self.send_text(text, False)
            return
        self.link.send_event(Reply(int(code), (text[4:],), None, f"{text}\r\n".encode()))

    def say(self, key: str, **extra: Any) -> int:
        """Send the persona's reply `key`; returns its code."""
        return self.send_text(self.text(key, **extra))

    def bad_command(self, key: str, **extra: Any) -> None:
        """A refused command: its reply, or 421 and close after too many of them."""
        self.state.errors += 1
        if self.state.errors > self.config.limits.max_errors:
            self.say("too_many_errors")
            self.link.close()
        else:
            self.say(key, **extra)

    # -- rules ---------------------------------------------------------------------
    def respond(
        self,
        command: str,
        addresses: list[str] | None,
        normal: str,
        accepted: Callable[[], None] | None = None,
    ) -> Pending:
        """Send `normal` (a persona key or a "CODE text"), unless a rule says otherwise.

        `accepted` runs when the reply finally sent is 2xx/3xx (the command took effect).
        """
        text = self.text(normal) if " " not in normal else normal
        rules = self.rules
        rule = (
            rules.find(command, addresses, self.state.transaction.mail_from)
            if rules.rules
            else None
        )
        if rule is None:
            if self.send_text(text) < 400 and accepted is not None:
                accepted()
            return None
        return self.apply_rule(rule, text, accepted)

    async def apply_rule(
        self, rule: Rule, text: str, accepted: Callable[[], None] | None
    ) -> int | None:
        """Carry out `rule` instead of sending `text`; the code sent (None: hung up)."""
        if rule.delay:
            await asyncio.sleep(rule.delay)
        if rule.reply is not None:
            code, lines = rule.reply
        else:
            code, lines = split_reply(text)
        if rule.action == "disconnect":
            if rule.reply is not None:
                self.send_reply(code, lines)
            self.link.close()
            return None
        if rule.action == "tarpit":
            wire = self.conn.send(Reply.build(code, *lines))
            for index in range(len(wire)):
                if not self.link.write_raw(wire[index : index + 1]):
                    return None
                await asyncio.sleep(rule.interval)
        else:
            self.send_reply(code, lines)
        if code < 400 and accepted is not None:
            accepted()
        if code == 421:
            self.link.close()
        return code


class _LazyFields(dict[str, Any]):
    """Template fields of a session, made only when a template uses them (date, uuid...)."""

    def __init__(self, state: SessionState, config: SinkConfig, extra: dict[str, Any]) -> None:
        super().__init__(extra)
        self.state = state
        self.config = config

    def __missing__(self, key: str) -> Any:
        value: Any
        if key == "hostname":
            value = self.config.hostname
        elif key == "client_ip":
            value = self.state.client_ip
        elif key == "helo":
            value = self.state.helo
        elif key == "size":
            value = self.state.transaction.size
        elif key == "date":
            value = exchange_date(time.time())
        elif key == "uuid":
            value = str(uuid.uuid4())
        elif key == "internal_id":
            value = str(random.randrange(10**12, 10**13))
        else:
            raise KeyError(key)
        self[key] = value
        return value
