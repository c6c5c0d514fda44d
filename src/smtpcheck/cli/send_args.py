"""Where `send` options come from, before click parses them: swaks' rules.

Sources, weakest first: the config file (`--config FILE`; by default
`$XDG_CONFIG_HOME/smtpcheck/send.conf`, i.e. ~/.config/smtpcheck/send.conf; a bare
`--config` reads none), environment variables `SMTPCHECK_OPT_<name>` (dashes as
underscores), then the command line. A later source replaces an option an earlier one
set; `--no-NAME` removes it. `--h-NAME value` / `--header-NAME value` mean
`--header "NAME: value"`. An option that needs a value but is given none is prompted
for on a terminal (without echo for the password), as swaks does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

import click

SECRET_OPTIONS = {"auth_password"}


class OptionTable:
    """What click knows of each option name: its parameter and whether it takes a value."""

    def __init__(self, command: click.Command) -> None:
        self.by_name: dict[str, click.Option] = {}
        for param in command.params:
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    self.by_name[name] = param

    def find(self, token: str) -> click.Option | None:
        name = token.split("=", 1)[0]
        return self.by_name.get(name)

    @staticmethod
    def needs_value(param: click.Option) -> bool:
        return not param.is_flag and not param.count and param.flag_value is None

    @staticmethod
    def optional_value(param: click.Option) -> bool:
        return not param.is_flag and param.flag_value is not None and not param.count


def _items(tokens: list[str], table: OptionTable, interactive: bool) -> list[tuple[str, list[str]]]:
    """Split tokens into (dest, tokens) items; rewrites --h-NAME; prompts for values."""
    items: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        lower = token.split("=", 1)[0]
        for prefix in ("--header-", "--h-"):
            if lower.startswith(prefix) and table.find(token) is None:
                name = token[len(prefix) :]
                value = tokens[i + 1] if i + 1 < len(tokens) else ""
                items.append(("headers", ["--header", f"{name}: {value}"]))
                i += 2
                break
        else:
            param = table.find(token)
            if param is None:
                if token.startswith("--no-") and table.find("--" + token[5:]) is not None:
                    unset = table.find("--" + token[5:])
                    assert unset is not None
                    items.append(("!unset", [str(unset.name)]))
                else:
                    items.append(("", [token]))
                i += 1
                continue
            dest = str(param.name)
            if "=" in token or not (table.needs_value(param) or table.optional_value(param)):
                items.append((dest, [token]))
                i += 1
                continue
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            takes_next = nxt is not None and (
                not nxt.startswith("-")
                or nxt in ("-", "<>")
                or (table.find(nxt) is None and nxt != "--")
            )
            if table.optional_value(param):
                if takes_next and nxt is not None and not nxt.startswith("-"):
                    items.append((dest, [token, nxt]))
                    i += 2
                else:
                    items.append((dest, [token]))
                    i += 1
                continue
            if takes_next and nxt is not None:
                items.append((dest, [token, nxt]))
                i += 2
                continue
            if not interactive:
                raise click.UsageError(f"option {token} needs a value (no terminal to ask on)")
            value = click.prompt(token.lstrip("-"), hide_input=dest in SECRET_OPTIONS, err=True)
            items.append((dest, [token, value]))
            i += 1
    return items


def config_tokens(path: str) -> list[str]:
    """A config file: one option per line, `--` optional, `#` comments."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError as exc:
        raise click.UsageError(f"cannot read config file {path}: {exc.strerror}") from None
    tokens: list[str] = []
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text == "__END__":
            break
        name, _, value = text.partition(" ")
        name = name if name.startswith("-") else ("-" if len(name) == 1 else "--") + name
        tokens.append(name)
        if value.strip():
            tokens.append(value.strip())
    return tokens


def env_tokens(table: OptionTable, environ: dict[str, str]) -> list[str]:
    tokens: list[str] = []
    for key in sorted(environ):
        if not key.startswith("SMTPCHECK_OPT_"):
            continue
        name = "--" + key[len("SMTPCHECK_OPT_") :].lower().replace("_", "-")
        value = environ[key]
        param = table.find(name)
        if param is None:
            if name.startswith("--h-") or name.startswith("--header-"):
                tokens += [name, value]
            continue
        if table.needs_value(param) or (table.optional_value(param) and value):
            tokens += [name, value]
        elif value.lower() not in ("0", "no", "false", "off"):
            tokens.append(name)
    return tokens


def default_config_path() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "smtpcheck", "send.conf")


def merge(
    command: click.Command, args: Iterable[str], environ: dict[str, str] | None = None
) -> list[str]:
    """The argument list click parses: config < environment < command line."""
    env = dict(os.environ if environ is None else environ)
    cli = list(args)
    table = OptionTable(command)
    default = default_config_path()
    config: str | None = default if os.path.exists(default) else None
    rest: list[str] = []
    i = 0
    while i < len(cli):
        if cli[i] == "--config":
            nxt = cli[i + 1] if i + 1 < len(cli) else None
            if nxt is not None and not nxt.startswith("-"):
                config, i = nxt, i + 2
            else:
                config, i = None, i + 1
            continue
        if cli[i].startswith("--config="):
            config = cli[i].split("=", 1)[1] or None
            i += 1
            continue
        rest.append(cli[i])
        i += 1
    if "--help" in rest:
        return rest
    interactive = sys.stdin.isatty()
    sources = []
    if config:
        sources.append(_items(config_tokens(config), table, False))
    sources.append(_items(env_tokens(table, env), table, False))
    sources.append(_items(rest, table, interactive))
    merged: list[tuple[str, list[str]]] = []
    multiple = {str(p.name) for p in command.params if isinstance(p, click.Option) and p.multiple}
    for source in sources:
        replaced: set[str] = set()
        for dest, tokens in source:
            if dest == "!unset":
                merged = [(d, t) for d, t in merged if d != tokens[0]]
                continue
            if dest and dest in multiple and dest not in replaced:
                # a later source's --to replaces the earlier ones, as swaks does
                merged = [(d, t) for d, t in merged if d != dest]
                replaced.add(dest)
            merged.append((dest, tokens))
    return [token for _, tokens in merged for token in tokens]


def dump_options(params: dict[str, Any], show_secrets: bool) -> str:
    """`--dump`: every option that has a value, secrets masked unless asked."""
    lines = []
    for key in sorted(params):
        value = params[key]
        if value in (None, False, ()) or key == "dump":
            continue
        if key in SECRET_OPTIONS and not show_secrets:
            value = "<masked: use --show-secrets>"
        if isinstance(value, tuple):
            value = ", ".join(map(str, value))
        lines.append(f"{key.replace('_', '-'):<24} {value}")
    return "\n".join(lines) + "\n"


def shell_join(tokens: list[str]) -> str:
    import shlex  # not needed by an ordinary send: keep it off the start-up

    return " ".join(shlex.quote(t) for t in tokens)
