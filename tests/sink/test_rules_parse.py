"""Rules files, shorthand flags and greylisting, without a network."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpcheck.sink.rules import Greylist, RuleError, load_rules, parse_reply, parse_shorthand


def test_rules_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[greeting]\ntext = "220 slow.test hi"\ndelay = 0.5\n'
        "[starttls]\nfail = true\n[greylist]\ndelay = 2\n"
        '[[rule]]\ncommand = "rcpt"\nmatch = "*@blocked.test"\nreply = "550 5.1.1 No"\n'
        '[[rule]]\ncommand = "MAIL"\naction = "disconnect"\ntimes = 1\n'
    )
    rules = load_rules(path)
    assert rules.greeting_text == "220 slow.test hi" and rules.greeting_delay == 0.5
    assert rules.starttls_fail and rules.greylist is not None and rules.greylist.delay == 2
    assert rules.find("RCPT", ["x@other.test"]) is None
    assert rules.find("RCPT", ["X@Blocked.test"]).reply == (550, ["5.1.1 No"])
    assert rules.find("MAIL", ["a@b"]).action == "disconnect"
    assert rules.find("MAIL", ["a@b"]) is None  # times = 1


@pytest.mark.parametrize(
    "text",
    [
        "[[rule]]\ncommand = 'FOO'\nreply = '550 x'\n",
        "[[rule]]\ncommand = 'RCPT'\nreply = 'hello'\n",
        "[nonsense]\n",
        "not toml [",
    ],
)
def test_bad_rules_are_reported(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(RuleError):
        load_rules(path)


def test_shorthand_and_replies() -> None:
    rule = parse_shorthand("reply", "RCPT:*@x.test=452 4.2.2 Mailbox full")
    expected = ("RCPT", "*@x.test", (452, ["4.2.2 Mailbox full"]))
    assert (rule.command, rule.match, rule.reply) == expected
    assert parse_shorthand("delay", "DATA=1.5").delay == 1.5
    assert parse_shorthand("tarpit", "EOD=0.1").interval == 0.1
    assert parse_reply("250 a\\nb") == (250, ["a", "b"])
    with pytest.raises(RuleError):
        parse_shorthand("delay", "DATA=soon")


def test_greylist_first_attempt_refused_then_accepted_after_delay() -> None:
    grey = Greylist(delay=10)
    assert grey.check("127.0.0.1", "a@x", "b@y", now=0)
    assert grey.check("127.0.0.1", "a@x", "b@y", now=5)
    assert not grey.check("127.0.0.1", "a@x", "b@y", now=11)
    assert grey.check("127.0.0.1", "a@x", "c@y", now=11)
