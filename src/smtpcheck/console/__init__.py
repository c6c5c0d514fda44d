"""`smtpcheck console`: type SMTP by hand, with line editing, STARTTLS, AUTH and meanings.

- `commands`   tells the console's own commands from SMTP lines (pure parsing)
- `session`    the engine: runs one command at a time over `net.SmtpSession`, headless
- `script`     runs commands read from a file or a pipe through the engine
- `render`     turns transcript entries and console messages into styled lines
- `messages`   the console's user-facing strings in English and Italian
- `completion` what the prompt offers on Tab (pure, plus a prompt_toolkit adapter)
- `app`        the interactive prompt_toolkit front end

Only `app` and the completer adapter import prompt_toolkit, so the engine runs (and is
tested) without a terminal.
"""
