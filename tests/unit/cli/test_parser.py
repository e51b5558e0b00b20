"""The command-line parser, built in part for a known command and whole otherwise."""

from __future__ import annotations

import argparse

import pytest

from conveyor.cli.main import COMMANDS, build_parser


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_the_whole_parser_has_exactly_the_known_commands() -> None:
    """A command missing from COMMANDS would be built only with all the others (never alone)."""
    assert _commands(build_parser(None)) == COMMANDS


#: commands built together (they share a builder)
_PAIRS = [{"approve", "reject"}, {"template", "hardware"}, {"definition", "state-resource"}]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_known_command_is_built_alone(command: str) -> None:
    expected = next((pair for pair in _PAIRS if command in pair), {command})
    assert _commands(build_parser(command)) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "line.yml", "--json", "-c", "3"],
        ["resource", "put", "src", "A=1", "--replace"],
        ["workflow", "list", "--definition", "d", "-n", "5"],
        ["secret", "set", "aws", "K=V"],
        ["state-resource", "put", "r", "exec:true"],
        ["template", "get", "t1"],
    ],
)
def test_a_command_parses_the_same_built_alone_or_whole(argv: list[str]) -> None:
    alone = vars(build_parser(argv[0]).parse_args(argv))
    whole = vars(build_parser(None).parse_args(argv))
    assert alone.keys() == whole.keys()
    assert {k: v for k, v in alone.items() if k != "handler"} == {
        k: v for k, v in whole.items() if k != "handler"
    }


def test_an_unknown_command_is_refused_with_the_list_of_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser("rnu").parse_args(["rnu"])
    err = capsys.readouterr().err
    assert "invalid choice: 'rnu'" in err and "'run'" in err and "'secret'" in err
