"""`smtpcheck send`: the scripted SMTP transaction (swaks' feature set and beyond).

- `flow`          the session from connect to QUIT, the stop points, the exit codes
- `tls_step`      STARTTLS / implicit TLS, showing, saving and verifying the chain
- `auth_step`     AUTH with every mechanism of `protocol.sasl`
- `envelope`      MAIL, RCPT, DATA or BDAT, pipelining, LMTP and PRDR replies
- `extensions`    PROXY header, XCLIENT, XFORWARD
- `message_step`  the message(s) to send, DKIM signing
"""

from smtpcheck.scenarios.send.flow import SendRun, StopSession, run_send

__all__ = ["SendRun", "StopSession", "run_send"]
