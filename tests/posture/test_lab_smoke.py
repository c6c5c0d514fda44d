"""The lab itself: signed, insecure and bogus zones answer as intended."""

from __future__ import annotations

import asyncio

from smtpcheck.dns.query import ask
from smtpcheck.dns.resolver import LookupStatus


def test_unbound_validates_good_and_refuses_bogus(lab) -> None:
    async def run():
        resolver = lab.resolver()
        return await asyncio.gather(
            ask(resolver, "good.test.", "MX"),
            ask(resolver, "unsigned.test.", "MX"),
            ask(resolver, "bogus.test.", "MX"),
        )

    good, unsigned, bogus = asyncio.run(run())
    assert good.status is LookupStatus.OK and good.authenticated
    assert unsigned.status is LookupStatus.OK and not unsigned.authenticated
    assert bogus.status is LookupStatus.SERVFAIL and bogus.extended_errors
