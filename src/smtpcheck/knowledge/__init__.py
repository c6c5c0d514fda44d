"""What replies, codes and keywords mean: data files plus pure lookups, no I/O.

The public API takes plain values (code, enhanced code, text, step) so that this
layer does not depend on `smtpcheck.protocol`. Every function takes `lang` ("en" or
"it"); see `smtpcheck.knowledge.i18n` for picking it and for UI messages.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smtpcheck.knowledge.codes import (
        category_meaning,
        class_meaning,
        explain_code,
        explain_enhanced,
        retry_advice,
    )
    from smtpcheck.knowledge.ehlo import explain_ehlo_keyword, explain_ehlo_reply
    from smtpcheck.knowledge.explain import explain_reply, explain_text
    from smtpcheck.knowledge.hints import (
        CONNECTION_FAILURES,
        STEPS,
        explain_connection_failure,
        find_hint,
        get_hint,
        match_vendors,
        normalize_step,
        step_name,
    )
    from smtpcheck.knowledge.i18n import SUPPORTED_LANGUAGES, pick_language, t
    from smtpcheck.knowledge.models import (
        CodeInfo,
        EhloLineInfo,
        EnhancedInfo,
        Explanation,
        KeywordInfo,
        ParsedReply,
        StepHint,
        VendorMatch,
    )
    from smtpcheck.knowledge.parse import parse_reply_text

# Names load on first use (PEP 562): `t()` for a message must not pay for the reply
# tables, and `send`'s start-up is measured against swaks.
_LAZY: dict[str, str] = {
    "CONNECTION_FAILURES": "smtpcheck.knowledge.hints",
    "CodeInfo": "smtpcheck.knowledge.models",
    "EhloLineInfo": "smtpcheck.knowledge.models",
    "EnhancedInfo": "smtpcheck.knowledge.models",
    "Explanation": "smtpcheck.knowledge.models",
    "KeywordInfo": "smtpcheck.knowledge.models",
    "ParsedReply": "smtpcheck.knowledge.models",
    "STEPS": "smtpcheck.knowledge.hints",
    "SUPPORTED_LANGUAGES": "smtpcheck.knowledge.i18n",
    "StepHint": "smtpcheck.knowledge.models",
    "VendorMatch": "smtpcheck.knowledge.models",
    "category_meaning": "smtpcheck.knowledge.codes",
    "class_meaning": "smtpcheck.knowledge.codes",
    "explain_code": "smtpcheck.knowledge.codes",
    "explain_connection_failure": "smtpcheck.knowledge.hints",
    "explain_ehlo_keyword": "smtpcheck.knowledge.ehlo",
    "explain_ehlo_reply": "smtpcheck.knowledge.ehlo",
    "explain_enhanced": "smtpcheck.knowledge.codes",
    "explain_reply": "smtpcheck.knowledge.explain",
    "explain_text": "smtpcheck.knowledge.explain",
    "find_hint": "smtpcheck.knowledge.hints",
    "get_hint": "smtpcheck.knowledge.hints",
    "match_vendors": "smtpcheck.knowledge.hints",
    "normalize_step": "smtpcheck.knowledge.hints",
    "parse_reply_text": "smtpcheck.knowledge.parse",
    "pick_language": "smtpcheck.knowledge.i18n",
    "retry_advice": "smtpcheck.knowledge.codes",
    "step_name": "smtpcheck.knowledge.hints",
    "t": "smtpcheck.knowledge.i18n",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


__all__ = [
    "CONNECTION_FAILURES",
    "STEPS",
    "SUPPORTED_LANGUAGES",
    "CodeInfo",
    "EhloLineInfo",
    "EnhancedInfo",
    "Explanation",
    "KeywordInfo",
    "ParsedReply",
    "StepHint",
    "VendorMatch",
    "category_meaning",
    "class_meaning",
    "explain_code",
    "explain_connection_failure",
    "explain_ehlo_keyword",
    "explain_ehlo_reply",
    "explain_enhanced",
    "explain_reply",
    "explain_text",
    "find_hint",
    "get_hint",
    "match_vendors",
    "normalize_step",
    "parse_reply_text",
    "pick_language",
    "retry_advice",
    "step_name",
    "t",
]
