"""Every subcommand of `ragfirst` points at a function that exists."""

from __future__ import annotations

from ragfirst import cli


def test_every_subcommand_resolves_to_a_function():
    subcommands = cli.build_parser()._subparsers._group_actions[0].choices
    assert set(subcommands) == {"roi", "decide", "grade", "llm", "index", "ask"}
    for name, parser in subcommands.items():
        assert callable(cli.handler(parser.get_default("run"))), name
