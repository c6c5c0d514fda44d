"""`smtpcheck web`: a self-hosted web interface over the same scenarios and reports.

Pages and a JSON API (under /api, described by OpenAPI) for `check` (steps shown live),
its history, `explain`, `mx` and the sink's mailbox. This package renders what the
scenarios return and holds no mail logic of its own. It needs the optional `web` extra
(FastAPI, uvicorn, Jinja2) and is never imported by the other commands.

- `settings`: what the operator chose (listen address, token, allowed targets, limits);
- `policy`: which addresses a check may connect to (the SSRF guard);
- `security`: token, CSRF, Content-Security-Policy, rate and size limits;
- `checks`, `history`, `compare`: checks under way, stored results, two runs compared;
- `mailbox`, `message_view`: the sink's store read back for the browser;
- `explain_view`, `mx_view`: the offline explanations and the MX lookup as page data;
- `app` (the ASGI application), `pages` and `api` (its routes), `serve` (uvicorn).
"""
