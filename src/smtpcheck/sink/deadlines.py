"""When a session has taken too long: the sink's deadlines, as one pure decision.

- no byte at all from the client for `idle_timeout`;
- a command line started and not completed within `command_timeout`;
- a message's content too slow or too long, like Postfix's per-request deadlines: it
  starts with `data_timeout` seconds, each byte received earns 1/`min_data_rate`
  seconds more (0: no minimum rate), and it may never take longer than
  `message_timeout` (BDAT chunks count as one message).
The session (sink/session.py) asks `overdue` on the server's periodic tick and answers
`421 4.4.2` (the persona's timeout reply) when there is a reason.
"""

from __future__ import annotations

import time

from smtpcheck.sink.config import Limits
from smtpcheck.sink.state import Transaction


def overdue(
    limits: Limits, transaction: Transaction, idle_for: float, partial_for: float | None
) -> str | None:
    """Why the session must end now (None: it may go on).

    `idle_for`: seconds since the client's last byte; `partial_for`: seconds since an
    incomplete command line started (None: none is pending).
    """
    if idle_for > limits.idle_timeout:
        return "idle"
    if partial_for is not None and partial_for > limits.command_timeout:
        return "command not completed"
    return message_overdue(limits, transaction)


def message_overdue(limits: Limits, transaction: Transaction) -> str | None:
    """Why the message being received is past its deadline (None: it is not)."""
    started = transaction.content_started
    if started is None:
        return None
    elapsed = time.monotonic() - started
    received = transaction.content_received
    if elapsed > limits.message_timeout:
        return f"message not complete after {limits.message_timeout:g} s ({received} bytes)"
    rate = limits.min_data_rate
    if rate > 0 and elapsed > limits.data_timeout + received / rate:
        return f"message content too slow: {received} bytes in {elapsed:.1f} s"
    return None
