"""The console's `auth` helper: AUTH with a user name and password asked for, not typed.

A function over a `ConsoleState` (console/state.py). The mechanism is the one asked
for, else the best one the server offers (CRAM-MD5, PLAIN, LOGIN); the password is
asked without echo and dropped as soon as the credentials are built.
"""

from __future__ import annotations

from smtpcheck.console import connection
from smtpcheck.console.state import ConsoleState
from smtpcheck.net.errors import SessionError
from smtpcheck.protocol import commands
from smtpcheck.protocol.sasl import MECHANISMS, Credentials, SaslError


async def authenticate(state: ConsoleState, mechanism: str | None) -> None:
    """The `auth [MECHANISM]` console command."""
    session = connection.require(state)
    if session is None:
        return
    out = state.output
    offered = session.protocol.ehlo.auth_mechanisms if session.protocol.ehlo else ()
    if mechanism is None:
        mechanism = next((m for m in ("CRAM-MD5", "PLAIN", "LOGIN") if m in offered), None)
        if mechanism is None:
            out.error(state.t("auth.none_offered"))
            return
    elif offered and mechanism not in offered:
        out.note(state.t("auth.not_offered", mechanism=mechanism))
    user = await state.prompter.ask(state.t("auth.user"))
    if not user:
        return
    password = await state.prompter.ask(state.t("auth.password"), secret=True)
    if password is None:
        return
    credentials = Credentials(user, password)
    del password
    initial, answer = MECHANISMS[mechanism]
    try:
        await session.send_command(
            commands.auth(mechanism, initial(credentials) if initial else None), "auth"
        )
        while state.session is not None:
            reply = await session.read_reply("auth", (235, 334))
            state.last_reply = reply
            if reply.code != 334 or answer is None:
                break
            try:
                response = answer(credentials, reply.lines[0] if reply.lines else "")
            except SaslError as exc:
                out.error(str(exc))
                response = "*"
            await session.send_command(commands.auth_response(response), "auth")
    except SessionError as exc:
        await connection.after_failure(state, exc)
