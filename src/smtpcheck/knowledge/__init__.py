"""What replies, codes and keywords mean: data files plus pure lookups, no I/O.

The public API takes plain values (code, enhanced code, text, step) so that this
layer does not depend on `smtpcheck.protocol`. Every function takes `lang` ("en" or
"it"); see `smtpcheck.knowledge.i18n` for picking it and for UI messages.

- `codes`     reply codes and enhanced status codes (RFC 5321, RFC 3463, IANA)
- `ehlo`      EHLO keywords and a whole EHLO reply
- `explain`   a reply (or reply text) explained for a step: `explain_reply`
- `hints`     likely causes and fixes per step, vendor patterns, connection failures
- `dns`       DNS outcomes for mail (MX status, lookup status, MX findings)
- `parse`     reply text as a person pastes it -> code, enhanced code, lines
- `i18n`      the language to use and the UI messages (`t`)
- `models`    the result types
"""
