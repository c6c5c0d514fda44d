"""`smtpcheck console`: type SMTP by hand, with line editing, STARTTLS, AUTH and meanings.

- `commands`       tells the console's own commands from SMTP lines (pure parsing)
- `state`          what one console knows (settings, connection, last reply, output)
- `session`        the engine: reads a line and dispatches it to the functions below
- `connection`     open (host or MX), STARTTLS, close, the idle watcher
- `smtp_lines`     SMTP lines as typed, DATA/BDAT message mode, raw bytes
- `auth_helper`    AUTH with the user name and password asked for
- `local_commands` set, status, explain
- `script`         runs commands read from a file or a pipe through the engine
- `render`         turns transcript entries and console messages into styled lines
- `messages`       the console's user-facing strings in English and Italian
- `completion`     what the prompt offers on Tab (pure, plus a prompt_toolkit adapter)
- `app`            the interactive prompt_toolkit front end

Only `app` and the completer adapter import prompt_toolkit, so the engine runs (and is
tested) without a terminal.
"""
