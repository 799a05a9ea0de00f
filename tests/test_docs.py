"""Docs that cannot go stale: every command has Turkish help and appears in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kbbxl.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def test_the_expected_commands_exist():
    assert {"init", "templates", "merge", "validate", "report"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(name):
    result = CliRunner().invoke(cli, [name, "--help"], prog_name="kbbxl")
    assert result.exit_code == 0
    assert cli.commands[name].help, f"{name} has no help text"
    assert f"Kullanım: kbbxl {name} [SEÇENEKLER]" in result.output
    assert re.search(rf"kbbxl {name}\b", README), f"README never shows `kbbxl {name}`"


def test_readme_has_exactly_two_fresh_machine_commands():
    section = README.split("## On a fresh machine", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", section, re.S)
    assert len(blocks) == 2
    main_job, tests = blocks
    assert "kbbxl merge examples/kocaeli-2021/inbox" in main_job
    assert "pytest" in tests and "libreoffice" in tests


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "README.md" in ci and "pytest" in ci
