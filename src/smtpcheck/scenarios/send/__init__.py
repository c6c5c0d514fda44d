"""`smtpcheck send`: the scripted SMTP transaction (swaks' feature set and beyond).

- `flow`          the order of the steps from connect to QUIT, the exit codes: `run_send`
- `run`           the context every step shares (`SendRun`) and `StopSession`
- `tls_step`      STARTTLS / implicit TLS, showing, saving and verifying the chain
- `auth_step`     AUTH with every mechanism of `protocol.sasl`
- `envelope`      MAIL, RCPT, DATA or BDAT, pipelining, LMTP and PRDR replies
- `extensions`    PROXY header, XCLIENT, XFORWARD
- `message_step`  the message(s) to send, DKIM signing
- `message`, `mime`  building the test message (headers, tokens, attachments)
- `options`       `SendOptions` (what the CLI asked for) and the exit codes
- `targets`       where to connect: `--server`, or the recipient's mail hosts
"""
