"""The MX page's data: the `mx` scenario's JSON document, as `smtpcheck mx` prints it
(schema smtpcheck.mx/1, docs/json-mx.md), asked of the DNS server the operator chose."""

from __future__ import annotations

from typing import Any

from smtpcheck.web.settings import WebSettings

TIMEOUT = 5.0


async def mx_document(domain: str, settings: WebSettings, lang: str) -> dict[str, Any]:
    """The mx JSON document for `domain`; ValueError (one line) for bad input."""
    from smtpcheck.report.render_mx import mx_document as document_of
    from smtpcheck.scenarios.mx import MxError, MxOptions, run_mx

    text = domain.strip().rpartition("@")[2] if "@" in domain else domain.strip()
    try:
        report = await run_mx(MxOptions(text, settings.dns or None, TIMEOUT, None, lang))
    except MxError as error:
        raise ValueError(error.message) from None
    return document_of(report)
