"""The MX page's data: the same lookup and the same JSON document as `smtpcheck mx`
(schema smtpcheck.mx/1, docs/json-mx.md), asked of the DNS server the operator chose."""

from __future__ import annotations

from typing import Any

from smtpcheck.web.settings import WebSettings

TIMEOUT = 5.0


async def mx_document(domain: str, settings: WebSettings, lang: str) -> dict[str, Any]:
    """The mx JSON document for `domain`; ValueError (one line) for bad input."""
    from smtpcheck.cli.mx import SYSTEM_RESOLVER, exit_code, to_json
    from smtpcheck.dns import (
        DnsConfigError,
        DnsServer,
        InvalidDomainError,
        make_resolver,
        parse_domain,
        resolve_mail_hosts,
    )
    from smtpcheck.knowledge.dns import explain_dns_input_error

    text = domain.strip().rpartition("@")[2] if "@" in domain else domain.strip()
    try:
        parse_domain(text)
        server = DnsServer.parse(settings.dns) if settings.dns else None
        resolver = make_resolver(server, timeout=TIMEOUT)
    except (InvalidDomainError, DnsConfigError) as error:
        raise ValueError(explain_dns_input_error(error.code, lang, **error.facts)) from None
    result = await resolve_mail_hosts(text, resolver, TIMEOUT)
    where = str(server) if server is not None else SYSTEM_RESOLVER
    document = to_json(result, family=None, dns_server=where, timeout=TIMEOUT, lang=lang)
    document["exit_code"] = exit_code(result)
    return document
