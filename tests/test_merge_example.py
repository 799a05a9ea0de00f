"""Acceptance: `kbbxl merge examples/kocaeli-2021/inbox` on the committed 21 submissions.

The expected figures are not typed in here: per-department targets and resource need come from
the source document's "Dairelere Göre" table (parsed from the committed text), the rows from
the example's text data.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from broken import digests, source_department_table
from click.testing import CliRunner

from kbbxl import textdata
from kbbxl.cli import cli
from kbbxl.master import read_master
from kbbxl.merge import merge_inbox
from kbbxl.model import CardData


class Run:
    def __init__(self, example: Path, folder: Path):
        self.example = example
        shutil.copy2(example / "plan.xlsx", folder / "plan.xlsx")
        shutil.copytree(example / "inbox", folder / "inbox")
        self.inbox = folder / "inbox"
        self.before = digests(self.inbox)
        runner = CliRunner()
        self.console = runner.invoke(cli, ["merge", str(self.inbox)])
        self.master = folder / "master.xlsx"
        self.json_run = runner.invoke(cli, ["merge", str(self.inbox), "--json",
                                            "-o", str(folder / "json-master.xlsx")])
        self.after = digests(self.inbox)
        self.program, self.data = read_master(self.master)
        self.text = textdata.read_text_cards(example)


@pytest.fixture(scope="module")
def run(example_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    assert (example_dir / "inbox").is_dir(), "the committed example inbox is missing"
    return Run(example_dir, tmp_path_factory.mktemp("example"))


def _by_department(run: Run, data: CardData) -> dict[str, tuple[int, int, int, float]]:
    out: dict[str, tuple[int, int, int, float]] = {}
    for dept in run.program.departments:
        own = {t.code for t in run.program.targets_of(dept.code)}
        acts = [a for a in data.activities if a.target in own]
        inds = [i for i in data.indicators if i.target in own]
        targets = {a.target for a in acts} | {i.target for i in inds}
        out[dept.name] = (len(targets), len(acts), len(inds), sum(a.total for a in acts))
    return out


def test_merge_exits_0_without_any_issue(run: Run) -> None:
    assert run.console.exit_code == 0, run.console.output
    assert run.json_run.exit_code == 0
    assert "Hata yok." in run.console.output
    assert json.loads(run.json_run.output)["issues"] == []


def test_master_holds_99_targets(run: Run) -> None:
    wb = openpyxl.load_workbook(run.master, read_only=True)
    rows = [r for r in wb["Hedefler"].iter_rows(min_row=2, values_only=True) if any(r)]
    wb.close()
    assert len(rows) == len(run.program.targets) == 99
    assert len({a.target for a in run.data.activities} | {i.target for i in run.data.indicators}
               ) == 99


def test_master_holds_every_activity_and_indicator(run: Run) -> None:
    def ind(d: CardData) -> list[tuple]:
        return sorted((i.target, i.seq, i.name, i.unit, i.past2, i.past1, i.goal)
                      for i in d.indicators)

    def act(d: CardData) -> list[tuple]:
        return sorted((a.target, a.seq, a.name, a.total,
                       tuple(sorted((c, v) for c, v in a.amounts.items() if v)))
                      for a in d.activities)

    assert ind(run.data) == ind(run.text)
    assert act(run.data) == act(run.text)
    assert len(run.data.activities) == 291


def test_department_totals_equal_the_source_document(run: Run) -> None:
    source = source_department_table(run.example)
    got = _by_department(run, run.data)
    assert set(source) == set(got)
    for name, (targets, activities, _indicators, amount) in source.items():
        assert got[name][0] == targets, name
        assert got[name][1] == activities, name
        assert got[name][3] == amount, name
    assert sum(a.total for a in run.data.activities) == 2_236_009_100
    assert sum(v[3] for v in source.values()) == 2_236_009_100


def test_json_reports_the_same_figures(run: Run) -> None:
    printed = json.loads(run.json_run.output)
    figures = printed["figures"]
    assert figures == {"targets": 99, "indicators": len(run.text.indicators),
                       "activities": 291, "total": 2_236_009_100}
    source = source_department_table(run.example)
    for d in printed["departments"]:
        targets, activities, _, amount = source[d["name"]]
        assert (d["status"], d["targets"], d["activities"], d["total"]) == (
            "tamam", targets, activities, amount)
    library = merge_inbox(run.inbox).as_dict()
    printed["outputs"] = None
    assert printed == library


def test_console_shows_the_summary(run: Run) -> None:
    out = run.console.output
    assert "2.236.009.100" in out
    assert out.count("tamam") == 21


def test_inputs_are_byte_identical(run: Run) -> None:
    assert run.before == run.after
    assert len(run.before) == 21
    committed = digests(run.example / "inbox")
    assert run.after == committed
