"""The protections every request goes through (one ASGI middleware) and their helpers.

- rate limit per client address (any request), bounded memory;
- Host header: without a token only this server's own names are answered (a web page
  elsewhere cannot rebind its name to 127.0.0.1 and read ours);
- request bodies bounded (Content-Length and the bytes actually sent);
- the operator's token on every request when set: `Authorization: Bearer TOKEN` (API
  clients) or the session cookie that /login gives;
- cross-site requests refused: an unsafe method needs a matching Origin (when the
  browser sends one) and, from a browser, either the CSRF token (forms: a field, fetch:
  the X-CSRF-Token header) or a JSON body, which a cross-site form cannot send;
- headers on every response: a strict Content-Security-Policy (no inline script, no
  other origin), nosniff, no referrer to other sites (with "no-referrer" browsers
  send `Origin: null` on form posts), no framing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote, urlsplit

from smtpcheck.web.settings import WebSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSRF_COOKIE = "smtpcheck_csrf"
SESSION_COOKIE = "smtpcheck_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
#: a captured message's HTML: no script at all, nothing fetched from anywhere (remote
#: images and fonts included), inline styles only, and a sandbox even when opened alone
MESSAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox"
)
#: a downloaded file must never run in our origin
DOWNLOAD_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PUBLIC_PATHS = ("/static/", "/login")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")


class RateLimiter:
    """At most `per_minute` events per key in any 60 s window (sliding log)."""

    MAX_KEYS = 10_000

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = self.clock()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.MAX_KEYS:
                self._forget_idle(now)
            events = self._events[key] = deque()
        while events and events[0] <= now - 60:
            events.popleft()
        if len(events) >= self.per_minute:
            return False
        events.append(now)
        return True

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._events.items() if not v or v[-1] <= now - 60]:
            del self._events[key]
        if len(self._events) >= self.MAX_KEYS:  # all busy: start afresh rather than grow
            self._events.clear()


def session_value(token: str) -> str:
    """The session cookie's value for `token` (the token itself is never a cookie)."""
    return hmac.new(token.encode(), b"smtpcheck-web-session", hashlib.sha256).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


def client_of(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    cookies = {}
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            cookies[name] = value
    return cookies


def safe_next(path: str | None) -> str:
    """A redirect target from a form: a path on this server only."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


class SecurityMiddleware:
    """See the module docstring. Pure ASGI, so streamed responses (SSE) pass through."""

    def __init__(self, app: ASGIApp, settings: WebSettings) -> None:
        self.app = app
        self.settings = settings
        self.requests = RateLimiter(settings.limits.requests_per_minute)
        names = {*LOOPBACK_NAMES, settings.host, *settings.allowed_hosts}
        self.allowed_hosts = {name.lower() for name in names}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        cookies = _cookies(headers)
        path: str = scope["path"]
        method: str = scope["method"]
        refusal = self._refusal(scope, headers, cookies, path, method)
        if refusal is not None:
            await _plain(send, *refusal)
            return
        csrf = cookies.get(CSRF_COOKIE) or ""
        new_csrf = None
        if len(csrf) < 20:
            csrf = new_csrf = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf"] = csrf
        needs_token = self.settings.token and not path.startswith(PUBLIC_PATHS)
        if needs_token and not self._authorised(headers, cookies):
            if path.startswith("/api/"):
                await _plain(send, 401, "a token is required: Authorization: Bearer TOKEN")
            else:
                query = scope.get("query_string", b"").decode("latin-1")
                await _redirect(send, "/login?next=" + quote(path + ("?" + query if query else "")))
            return
        body = _BoundedBody(receive, self.settings.limits.max_body)
        started = False
        secure = self.settings.tls_cert is not None

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if body.overflow and not started:
                return  # the app's answer to a cut-off body: 413 goes instead
            if message["type"] == "http.response.start":
                started = True
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                ]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", PAGE_CSP.encode()))
                if b"x-frame-options" not in present:
                    extra.append((b"x-frame-options", b"DENY"))
                if new_csrf is not None:
                    cookie = f"{CSRF_COOKIE}={new_csrf}; Path=/; HttpOnly; SameSite=Strict"
                    extra.append(
                        (b"set-cookie", (cookie + ("; Secure" if secure else "")).encode())
                    )
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, body.receive, send_with_headers)
        except Exception:
            if not body.overflow:
                raise
        if body.overflow and not started:
            await _plain(send, 413, f"request body over {self.settings.limits.max_body} bytes")

    def _refusal(
        self,
        scope: Scope,
        headers: dict[str, str],
        cookies: dict[str, str],
        path: str,
        method: str,
    ) -> tuple[int, str] | None:
        if not self.requests.allow(client_of(scope)):
            return 429, "too many requests: wait a minute"
        host = headers.get("host", "").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if not self.settings.token and name not in self.allowed_hosts:
            return 400, f"unknown Host {host!r} (add it with --public-name)"
        length = headers.get("content-length")
        if length is not None and (
            not length.isdigit() or int(length) > self.settings.limits.max_body
        ):
            return 413, f"request body over {self.settings.limits.max_body} bytes"
        if method in UNSAFE_METHODS:
            origin = headers.get("origin")
            if origin == "null" or (origin and urlsplit(origin).netloc.lower() != host):
                return 403, "cross-site request refused"
            if self.settings.token and self._bearer(headers):
                return None  # an API client with the token: no cookie, no CSRF
            # a cross-site page can POST a form or text/plain without asking; other
            # methods and JSON bodies need a CORS preflight, which this server never grants
            if method == "POST" and path.startswith("/api/"):
                kind = headers.get("content-type", "").split(";")[0].strip().lower()
                csrf_header = same(headers.get(CSRF_HEADER), cookies.get(CSRF_COOKIE))
                if kind != "application/json" and not csrf_header:
                    return 403, "send JSON (Content-Type: application/json) or X-CSRF-Token"
        return None

    def _bearer(self, headers: dict[str, str]) -> bool:
        """The request carries `Authorization: Bearer <the token>`."""
        bearer = headers.get("authorization", "")
        return bearer.startswith("Bearer ") and same(bearer[7:].strip(), self.settings.token)

    def _authorised(self, headers: dict[str, str], cookies: dict[str, str]) -> bool:
        token = self.settings.token
        assert token is not None
        return self._bearer(headers) or same(cookies.get(SESSION_COOKIE), session_value(token))


class _BoundedBody:
    """The request body as the app reads it, cut off past `limit` bytes: the app then
    sees the client gone, and the middleware answers 413 (a body without
    Content-Length is counted as it comes)."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self.limit = limit
        self.seen = 0
        self.overflow = False

    async def receive(self) -> Message:
        if self.overflow:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                self.overflow = True
                return {"type": "http.disconnect"}
        return message


async def _plain(send: Send, status: int, text: str) -> None:
    body = (text + "\n").encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"content-security-policy", b"default-src 'none'"),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", location.encode()), (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})
