"""What replies, codes and keywords mean: data files plus pure lookups, no I/O.

The public API takes plain values (code, enhanced code, text, step) so that this
layer does not depend on `smtpcheck.protocol`. Every function takes `lang` ("en" or
"it"); see `smtpcheck.knowledge.i18n` for picking it and for UI messages.
"""

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
