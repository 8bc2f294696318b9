"""Every subcommand documents itself: a help line in the command list, a description in its
own ``--help``, and a help text on every option, down to ``sandbox agency add``."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from agent.cli import build_parser

OPERATOR = {"status", "list", "show", "retry", "send", "doctor", "keys", "demo"}


def _subcommands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str | None]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), sub, helps.get(name)
                yield from _subcommands(sub, (*path, name))


ALL = list(_subcommands(build_parser()))


@pytest.mark.parametrize(("path", "parser", "line"), ALL, ids=[" ".join(p) for p, _, _ in ALL])
def test_every_subcommand_has_a_help_line(
    path: tuple[str, ...], parser: argparse.ArgumentParser, line: str | None
) -> None:
    """`lienthong-agent [COMMAND] --help` lists each subcommand with a line saying what it does."""
    assert line or parser.description


EVERY = [(p, s) for p, s, _ in ALL]


@pytest.mark.parametrize(("path", "parser"), EVERY, ids=[" ".join(p) for p, _ in EVERY])
def test_every_command_has_complete_help(
    path: tuple[str, ...], parser: argparse.ArgumentParser
) -> None:
    """Every command and subcommand of the whole CLI has a description and a help text on
    every option."""
    assert parser.description
    bare = [a.option_strings or a.dest for a in parser._actions
            if not a.help and not isinstance(a, argparse._SubParsersAction)]
    assert bare == []


def test_the_operator_commands_are_registered() -> None:
    """status, list, show, retry, send, doctor, keys and demo appear at the top level."""
    top = {p[0] for p, _, _ in ALL}
    assert top >= OPERATOR
