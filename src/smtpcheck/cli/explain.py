"""`smtpcheck explain`: what a reply code, enhanced code, reply text or EHLO keyword
means, and what to check or change. Offline and fast: imports only the knowledge
layer (no asyncio, dnspython, cryptography or ssl); rich only to colour a terminal.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
from typing import Any

import click

from smtpcheck.cli.common_options import UsageErrorExitsOne, lang_option, output_option
from smtpcheck.knowledge.codes import explain_enhanced
from smtpcheck.knowledge.ehlo import explain_ehlo_keyword, explain_ehlo_reply, is_ehlo_keyword
from smtpcheck.knowledge.explain import explain_reply, explain_text
from smtpcheck.knowledge.hints import (
    CONNECTION_FAILURES,
    STEPS,
    explain_connection_failure,
    find_hint,
    step_name,
)
from smtpcheck.knowledge.i18n import pick_language, t
from smtpcheck.knowledge.models import EnhancedInfo, Explanation, StepHint
from smtpcheck.knowledge.parse import parse_reply_text

JSON_SCHEMA = "smtpcheck.explain/1"
_CODE = re.compile(r"^\d{3}$")
_ENHANCED = re.compile(r"^\d+\.\d+\.\d+$")
_TOKEN = re.compile(r"^[\w.#-]+$")

Line = tuple[str, str | None]  # (text, rich style)


def _fail(message: str, lang: str) -> None:
    click.echo(t("explain.error", lang, message=message), err=True)
    sys.exit(1)


# ---- rendering -----------------------------------------------------------------------


def _advice_lines(causes: tuple[str, ...], fixes: tuple[str, ...], lang: str) -> list[Line]:
    lines: list[Line] = []
    if causes:
        lines.append((f"{t('explain.causes', lang)}:", "bold"))
        lines += [(f"  - {cause}", None) for cause in causes]
    if fixes:
        lines.append((f"{t('explain.fixes', lang)}:", "bold"))
        lines += [(f"  - {fix}", "green") for fix in fixes]
    return lines


def _hint_lines(hint: StepHint, lang: str) -> list[Line]:
    return [(hint.title, "bold"), *_advice_lines(hint.causes, hint.fixes, lang)]


def _enhanced_lines(info: EnhancedInfo, lang: str, *, fits: bool | None = None) -> list[Line]:
    """The enhanced code's registered meaning; its usual causes only when the reply's
    diagnosis agrees with them (`fits` False: the server uses the code its own way)."""
    flags = []
    if not info.known:
        flags.append(t("explain.unregistered", lang))
    if info.deprecated:
        flags.append(t("explain.deprecated", lang))
    suffix = f" ({', '.join(flags)})" if flags else ""
    lines: list[Line] = [
        (f"{t('explain.enhanced_code', lang)} {info.code}: {info.meaning}{suffix}", "bold"),
    ]
    if info.description:
        lines.append((f"  {info.description}", None))
    lines += [(f"  {info.class_meaning}", None), (f"  {info.subject_meaning}", None)]
    if fits is False:
        lines.append((f"  {t('explain.enhanced_loose', lang, code=info.code)}", "yellow"))
    elif info.causes:
        lines.append((f"  {t('explain.typical_causes', lang)}:", None))
        lines += [(f"    - {cause}", None) for cause in info.causes]
    if info.reference:
        lines.append((f"  {t('explain.reference', lang)}: {info.reference}", "dim"))
    return lines


def _outcome_style(outcome: str) -> str:
    return {"success": "green", "intermediate": "cyan", "transient": "yellow"}.get(outcome, "red")


def _reply_lines(explanation: Explanation, lang: str) -> list[Line]:
    """The summary, the reply, what its codes mean, then the diagnosis: the causes and
    fixes every interface shows for this reply (`Explanation.causes`, `.fixes`)."""
    info = explanation.code_info
    lines: list[Line] = [(explanation.summary, f"bold {_outcome_style(explanation.outcome)}")]
    if explanation.text:
        lines += [(f"  | {text}", "dim") for text in explanation.text.splitlines()]
    if explanation.read_as:
        lines.append((f"  {explanation.read_as}", "yellow"))
    lines += [
        ("", None),
        (f"{t('explain.reply_code', lang)} {info.code}: {info.meaning}", "bold"),
        (f"  {info.detail}", None),
        (f"  {info.class_meaning}", None),
    ]
    if info.category_meaning:
        lines.append((f"  {info.category_meaning}", None))
    if explanation.enhanced_info is not None:
        enhanced = _enhanced_lines(explanation.enhanced_info, lang, fits=explanation.enhanced_fits)
        lines += [("", None), *enhanced]
    if explanation.step is not None:
        lines += [
            ("", None),
            (f"{t('explain.step', lang)}: {step_name(explanation.step, lang)}", None),
        ]
    if explanation.vendor_matches or explanation.causes or explanation.fixes:
        lines.append(("", None))
    vendors = dict.fromkeys(match.vendor for match in explanation.vendor_matches)
    if vendors:
        lines.append((f"{t('explain.recognised', lang)}: {', '.join(vendors)}", "bold"))
    lines += _advice_lines(explanation.causes, explanation.fixes, lang)
    lines += [("", None), (f"{t('explain.next', lang)}: {explanation.retry_advice}", None)]
    return lines


def _emit(lines: list[Line]) -> None:
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        from rich.console import Console  # only for an interactive terminal
        from rich.text import Text

        console = Console(highlight=False)
        for text, style in lines:
            console.print(Text(text, style=style or ""))
        return
    for text, _ in lines:
        click.echo(text)


def _emit_json(kind: str, payload: Any) -> None:
    data = {"schema": JSON_SCHEMA, "kind": kind, "result": payload}
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _as_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return [_as_json(item) for item in value]


# ---- the command ------------------------------------------------------------------------

_HELP = """Explain an SMTP reply code, enhanced status code, reply text or EHLO keyword.

Reply text may come without its code ("Relay access denied"): a known server text
is read as the reply it comes with. A bare EHLO keyword (CHUNKING) is explained as
one; --ehlo reads any word as a keyword, or a whole EHLO reply.

\b
Examples:
  smtpcheck explain 550
  smtpcheck explain 5.1.1
  smtpcheck explain "550 5.1.1 <kate@fabrikam.com>: User unknown in local recipient table"
  smtpcheck explain --step rcpt 452
  smtpcheck explain CHUNKING
  smtpcheck explain "Relay access denied"
  smtpcheck explain --ehlo X-ANONYMOUSTLS
  smtpcheck explain --ehlo "X-EXPS GSSAPI NTLM"
  smtpcheck explain --connection refused
  smtpcheck explain --lang it 421
  smtpcheck explain --output json "554 5.7.1 Relay access denied"

Reply text may span several lines (paste a whole multi-line reply in quotes).
Works offline; the language follows --lang, else LANG/LC_ALL/LC_MESSAGES.
"""


@click.command("explain", cls=UsageErrorExitsOne, help=_HELP)
@click.argument("query", nargs=-1)
@click.option(
    "--step",
    type=click.Choice(STEPS, case_sensitive=False),
    help="The step the reply answered; sharpens the hints.",
)
@click.option(
    "--ehlo",
    "ehlo",
    is_flag=True,
    help="QUERY is an EHLO keyword (with parameters) or a whole EHLO reply.",
)
@click.option(
    "--connection",
    "connection",
    is_flag=True,
    help=f"QUERY is a connection failure: {', '.join(CONNECTION_FAILURES)}.",
)
@lang_option("Language of the explanation (default: from the locale).")
@output_option("Output format.")
def explain(
    query: tuple[str, ...], step: str | None, ehlo: bool, connection: bool,
    lang: str | None, output: str,
) -> None:  # fmt: skip
    language = pick_language(lang)
    raw = " ".join(query).strip() if len(query) != 1 else query[0].strip()
    if not raw:
        _fail(t("errors.empty", language), language)
    try:
        if ehlo:
            _explain_ehlo(raw, language, output)
        elif connection:
            hint = explain_connection_failure(raw, language)
            _emit_json("connection", _as_json(hint)) if output == "json" else _emit(
                _hint_lines(hint, language)
            )
        else:
            _explain_reply(raw, step, language, output)
    except ValueError as error:
        _fail(str(error), language)


def _explain_ehlo(raw: str, lang: str, output: str) -> None:
    if "\n" in raw:
        lines = explain_ehlo_reply(raw, lang)
        if output == "json":
            _emit_json("ehlo_reply", _as_json(lines))
        else:
            _emit([(f"{line.line}\n    {line.meaning}", None) for line in lines])
        return
    keyword, *params = raw.split()
    info = explain_ehlo_keyword(keyword, params, lang)
    if output == "json":
        _emit_json("ehlo_keyword", _as_json(info))
        return
    rendered: list[Line] = [(f"{t('explain.keyword', lang)} {info.keyword}: {info.name}", "bold")]
    rendered.append((f"  {info.meaning}", None))
    if info.params_meaning:
        rendered.append((f"  {t('explain.parameters', lang)}: {info.params_meaning}", None))
    status = t(f"explain.keyword_status.{info.status}", lang)
    status += f", {info.vendor}" if info.vendor else ""
    rendered.append((f"  {t('explain.status', lang)}: {status}", "dim"))
    if info.reference:
        rendered.append((f"  {t('explain.reference', lang)}: {info.reference}", "dim"))
    _emit(rendered)


def _explain_reply(raw: str, step: str | None, lang: str, output: str) -> None:
    """A code, an enhanced code, reply text (with or without its code), or what people
    type when they mean an EHLO keyword (`explain CHUNKING`)."""
    if _CODE.match(raw):
        code = int(raw)
        if not 200 <= code <= 599:
            raise ValueError(t("errors.bad_code", lang, value=raw))
        result = explain_reply(code, None, "", step, lang)
    elif _ENHANCED.match(raw):
        _explain_enhanced_only(raw, "", step, lang, output)
        return
    else:
        parsed = parse_reply_text(raw)
        if parsed.code is None and parsed.enhanced is not None:
            _explain_enhanced_only(parsed.enhanced, parsed.text, step, lang, output)
            return
        if parsed.code is None and is_ehlo_keyword(raw):
            _explain_ehlo(raw, lang, output)
            return
        try:
            result = explain_text(raw, step, lang)
        except ValueError:
            key = "errors.bad_input" if _TOKEN.match(raw) else "errors.no_code"
            raise ValueError(t(key, lang, value=raw)) from None
    if output == "json":
        _emit_json("reply", _as_json(result))
    else:
        _emit(_reply_lines(result, lang))


def _explain_enhanced_only(
    enhanced: str, text: str, step: str | None, lang: str, output: str
) -> None:
    info = explain_enhanced(enhanced, lang)
    # The generic basic code of the class (250/450/550) stands in for hint rules.
    generic_code = int(info.code[0]) * 100 + 50
    hint = find_hint(step, generic_code, info.code, text, lang)
    if output == "json":
        _emit_json("enhanced", {"enhanced": _as_json(info), "step_hint": hint and _as_json(hint)})
        return
    lines = _enhanced_lines(info, lang)
    if hint is not None:
        lines += [("", None), *_hint_lines(hint, lang)]
    _emit(lines)
