"""Reading what a mail server peer delivered into a Maildir (Postfix's and Exim's alike)."""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Match = str | bytes | Callable[["Delivery"], bool]


@dataclass(frozen=True)
class Delivery:
    """A message found in a Maildir `new/` folder."""

    path: Path
    raw: bytes

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", errors="replace")

    @property
    def message(self) -> email.message.EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed


def messages(maildir: Path) -> list[Delivery]:
    """Every message in a Maildir's `new/` so far, oldest first."""
    new = maildir / "new"
    if not new.is_dir():
        return []
    found = []
    for path in sorted(new.iterdir(), key=lambda p: (p.stat().st_mtime, p.name)):
        with contextlib.suppress(FileNotFoundError):
            found.append(Delivery(path, path.read_bytes()))
    return found


def wait_for_delivery(
    maildir: Path, match: Match, timeout: float, log_tail: Callable[[], str]
) -> Delivery:
    """Poll a Maildir's `new/` until a message matches, and return it.

    `match` is a substring (str or bytes) looked for in the raw message, or a predicate
    on the `Delivery`. Raises AssertionError with `log_tail()` on timeout.
    """
    if isinstance(match, str | bytes):
        needle = match.encode("utf-8") if isinstance(match, str) else match
        predicate: Callable[[Delivery], bool] = lambda d: needle in d.raw  # noqa: E731
    else:
        predicate = match
    deadline = time.monotonic() + timeout
    while True:
        for delivery in messages(maildir):
            if predicate(delivery):
                return delivery
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"no message matching {match!r} reached {maildir}/new within"
                f" {timeout} s.\n{log_tail()}"
            )
        time.sleep(0.05)
