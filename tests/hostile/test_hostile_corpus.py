"""The hostile corpus through `kbbxl validate` and `kbbxl merge`: a record per file, no crash."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import build_corpus
import pytest
from click.testing import CliRunner

from kbbxl import ingest
from kbbxl.cli import cli
from kbbxl.merge import merge_inbox, validate_file, write_outputs
from kbbxl.report import issue_type

CASES = list(build_corpus.CASES)


def _matches(issue: dict | object, expect: build_corpus.Expect) -> bool:
    get = issue.get if isinstance(issue, dict) else lambda k: getattr(issue, k)
    return (
        get("code") == expect.code
        and (expect.sheet is None or get("sheet") == expect.sheet)
        and (expect.cell is None or get("cell") == expect.cell)
    )


@pytest.mark.parametrize("name", CASES)
def test_validate_gives_the_expected_record(
    corpus: dict[str, build_corpus.Built], corpus_base: build_corpus.Base, name: str
) -> None:
    built = corpus[name]
    before = built.path.read_bytes()
    result = validate_file(built.path, corpus_base.plan)
    issues = result.report.issues
    assert any(_matches(i, built.expect) for i in issues), [
        (i.code, i.sheet, i.cell) for i in issues
    ]
    for issue in issues:
        assert issue.message and "{" not in issue.message
        assert issue.file == built.path.name
    if issue_type(built.expect.code).severity == "error":
        assert result.exit_code == 1
    assert built.path.read_bytes() == before

    runner = CliRunner()
    out = runner.invoke(cli, ["validate", str(built.path), "--plan", str(corpus_base.plan),
                              "--json"])
    assert out.exception is None or isinstance(out.exception, SystemExit), out.output
    assert out.exit_code == result.exit_code
    assert "Traceback" not in out.output
    payload = json.loads(out.stdout)
    assert any(_matches(i, built.expect) for i in payload["issues"])

    console = runner.invoke(cli, ["validate", str(built.path), "--plan",
                                  str(corpus_base.plan)])
    assert console.exit_code == result.exit_code
    assert "Traceback" not in console.output
    assert f"[{built.expect.code}]" in console.output


@pytest.fixture(scope="module")
def corpus_inbox(
    tmp_path_factory: pytest.TempPathFactory, corpus: dict[str, build_corpus.Built],
    corpus_base: build_corpus.Base,
) -> Path:
    """plan.xlsx beside an inbox holding the whole corpus and one clean form of another unit."""
    from kbbxl import form, templates

    root = tmp_path_factory.mktemp("corpus-merge")
    shutil.copy(corpus_base.plan, root / "plan.xlsx")
    inbox = root / "inbox"
    inbox.mkdir()
    for built in corpus.values():
        shutil.copy(built.path, inbox / built.path.name)
    program = corpus_base.program
    other = next(d.code for d in program.departments
                 if d.code != corpus_base.department and program.targets_of(d.code))
    templates.write_form(program, other, inbox / form.form_file_name(program, other),
                         {t.code: templates.CardFill(activities=[{"name": "Temiz faaliyet",
                                                                  "ec03": 1000.0}])
                          for t in program.targets_of(other)})
    return inbox


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_merge_of_the_whole_corpus(
    corpus_inbox: Path, corpus: dict[str, build_corpus.Built], corpus_base: build_corpus.Base
) -> None:
    before = _hashes(corpus_inbox)
    result = merge_inbox(corpus_inbox)
    for built in corpus.values():
        mine = [i for i in result.report.issues if i.file == built.path.name]
        assert any(_matches(i, built.expect) for i in mine), (built.name, mine)
    # the clean department still reaches the master
    clean = [c for c in result.counts if c.department != corpus_base.department and c.errors == 0]
    assert clean and clean[0].activities_written > 0
    outputs = write_outputs(result)
    assert outputs.master is not None and outputs.master.is_file()
    assert _hashes(corpus_inbox) == before  # inputs never modified


def test_every_row_read_is_in_the_master_or_the_report(corpus_inbox: Path) -> None:
    """Rows the reader found either reach the data or are named by an error of their file."""
    result = merge_inbox(corpus_inbox)
    written = {(a.source.file, a.source.sheet, a.source.row) for a in result.data.activities}
    written |= {(i.source.file, i.source.sheet, i.source.row) for i in result.data.indicators}
    checked = 0
    for count in result.counts:
        path = corpus_inbox / count.file
        errors = [i for i in result.report.issues if i.file == count.file and i.is_error]
        if count.left_out == 0:
            continue
        assert errors, count
        file_level = any(not i.sheet for i in errors)
        form = ingest.read_form(path)
        for card in form.cards:
            card_level = any(i.sheet == card.sheet and not i.cell for i in errors)
            for row in [*card.indicators, *card.activities]:
                if (count.file, card.sheet, row.row) in written:
                    continue
                checked += 1
                in_row = any(i.sheet == card.sheet and i.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                             == str(row.row) for i in errors)
                assert file_level or card_level or in_row, (count.file, card.sheet, row.row)
    assert checked > 0


def test_reconcile_counts_in_json_and_kontrol(corpus_inbox: Path, tmp_path: Path) -> None:
    import openpyxl

    runner = CliRunner()
    master = tmp_path / "master.xlsx"
    out = runner.invoke(cli, ["merge", str(corpus_inbox), "-o", str(master), "--json"])
    assert out.exit_code == 1 and "Traceback" not in out.output
    payload = json.loads(out.stdout)
    files = {f["file"]: f for f in payload["files"]}
    assert set(files) == {p.name for p in corpus_inbox.iterdir()}
    for f in files.values():
        assert f["left_out"] == (f["indicators_read"] - f["indicators_written"]
                                 + f["activities_read"] - f["activities_written"])
        assert f["left_out"] == 0 or f["errors"] > 0
    wb = openpyxl.load_workbook(master, read_only=True)
    try:
        control = [r for r in wb["Kontrol"].iter_rows(values_only=True)]
    finally:
        wb.close()
    named = {r[2] for r in control if r and r[2]}
    assert set(files) <= named


def test_merge_in_a_real_process_prints_no_traceback(corpus_inbox: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    proc = subprocess.run(
        [sys.executable, "-m", "kbbxl", "merge", str(corpus_inbox), "-o",
         str(tmp_path / "m.xlsx")],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "Beklenmeyen hata" not in proc.stdout + proc.stderr
    assert "[zip-bomb]" in proc.stdout and "[legacy-xls]" in proc.stdout


def test_values_behind_warnings_are_used(
    corpus: dict[str, build_corpus.Built], corpus_base: build_corpus.Base
) -> None:
    """A warning is not a loss: the value it is about reaches the data."""
    def activities(name: str) -> dict[int, object]:
        result = validate_file(corpus[name].path, corpus_base.plan)
        assert result.report.errors == ()
        return {a.source.row: a for a in result.data.activities
                if a.source.sheet == corpus_base.sheet}

    first = corpus_base.layout.activity_first + 1  # 1-based row of the first activity
    assert activities("formula-with-value")[first].amounts["03"] == 3000.0
    assert first + 1 in activities("hidden-row")
    macro = validate_file(corpus["macro-enabled"].path, corpus_base.plan)
    assert [i.code for i in macro.report.issues] == ["macro-workbook"]
    assert macro.data.activities
    nfd = activities("control-characters")
    assert nfd  # the card with a cleaned name is read


WITHIN_FORM = [n for n, (_s, fn) in build_corpus.CASES.items()
               if n.startswith(("formula", "error", "text", "control", "merged", "hidden",
                                "ambiguous", "number", "negative", "boolean", "meta", "header"))]


@pytest.mark.parametrize("name", WITHIN_FORM)
def test_returned_copy_is_written_for_every_problem_inside_a_form(
    corpus: dict[str, build_corpus.Built], corpus_base: build_corpus.Base, tmp_path: Path,
    name: str,
) -> None:
    """Merged alone, the file yields a master and (when its department is known) a returned
    copy that names the problem; nothing the department sent breaks a writer."""
    import openpyxl

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(corpus_base.plan, tmp_path / "plan.xlsx")
    shutil.copy(corpus[name].path, inbox / corpus_base.path.name)
    result = merge_inbox(inbox)
    outputs = write_outputs(result)
    assert outputs.master is not None and outputs.master.is_file()
    check = result.checks[0]
    if check.department == corpus_base.department and check.form.meta is not None:
        assert len(outputs.returned) == 1
        wb = openpyxl.load_workbook(outputs.returned[0])
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
        texts = [str(c.value) for c in cells if c.value is not None]
        texts += [c.comment.text for c in cells if c.comment is not None]
        mine = [i for i in result.report.issues if i.code == corpus[name].expect.code]
        assert mine
        assert all(any(i.message in t for t in texts) for i in mine), mine


def test_the_builder_runs_as_a_script(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(Path(build_corpus.__file__)), str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    expected = json.loads((tmp_path / "expected.json").read_text("utf-8"))
    assert set(expected) == set(build_corpus.CASES)
    for entry in expected.values():
        assert (tmp_path / entry["file"]).is_file()
