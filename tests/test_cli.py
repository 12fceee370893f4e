"""Every subcommand of `ragfirst` points at a function that exists."""

from __future__ import annotations

from ragfirst import cli


def test_every_subcommand_resolves_to_a_function():
    subcommands = cli.build_parser()._subparsers._group_actions[0].choices
    assert set(subcommands) == {"roi", "decide", "grade", "llm", "index", "ask", "serve", "keys"}
    for name, parser in subcommands.items():
        assert callable(cli.handler(parser.get_default("run"))), name


def test_grade_limits_come_from_one_place(monkeypatch, tmp_path):
    """Without options the grader's own Limits apply; an option overrides only its field."""
    from ragfirst.grading import grader
    from ragfirst.grading.limits import Limits

    seen = []
    monkeypatch.setattr(grader, "grade_assignment", lambda *args, **kwargs: seen.append(args[3]) or [])
    base = ["grade", "cost_analysis", str(tmp_path), "--out", str(tmp_path / "out")]
    assert cli.main(base) == 0
    assert cli.main(base + ["--cell-timeout", "5", "--memory-mb", "1024"]) == 0
    assert seen[0] == Limits()
    assert (seen[1].cell_timeout, seen[1].memory_bytes, seen[1].submission_timeout) == (5.0, 1024**3, Limits().submission_timeout)
