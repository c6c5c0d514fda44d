"""The default message's Date header: written as email.utils.formatdate writes it."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from smtpcheck.scenarios.send.message import MessageSpec, build_message, format_date

STAMPS = [0.0, 951782400.5, 1700000000.0, 1711846799.9, 1711846800.0, 1729987200.0, 4102444799.0]


@pytest.mark.parametrize("zone", ["UTC", "Europe/Rome", "America/St_Johns", "Asia/Kolkata"])
def test_format_date_matches_email_utils(zone: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        for stamp in [*STAMPS, time.time()]:
            assert format_date(stamp) == formatdate(stamp, localtime=True)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_default_message_carries_the_date() -> None:
    message = build_message(MessageSpec("a@example.test", ["b@example.test"]), now=1700000000.0)
    expected = formatdate(1700000000.0, localtime=True).encode()
    assert b"Date: " + expected + b"\n" in message
    assert b"Subject: smtpcheck test " + expected in message
