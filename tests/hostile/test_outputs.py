"""What kbbxl writes: text stays text, outputs are atomic (kill -9 mid-write), runs repeat."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kbbxl import form, plan, templates, textdata
from kbbxl.merge import merge_inbox, write_outputs

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = ROOT / "examples" / "kocaeli-2021"

#: text a clerk may type that a spreadsheet would turn into a formula, a link or a number
FORMULA_LIKE = [
    '=HYPERLINK("http://örnek.example/kötü","Tıklayın")',
    "=1+1",
    "+90 262 318 00 00",
    "-5+3 İşçilik",
    "@SUM(A1:A2) şişe",
    "http://www.kocaeli.bel.tr",
    "'=tırnaklı",
    "=cmd|' /C calc'!A0",
]


def _all_cells(path: Path) -> list[tuple[str, openpyxl.cell.cell.Cell]]:
    wb = openpyxl.load_workbook(path)
    return [(ws.title, c) for ws in wb.worksheets for row in ws.iter_rows() for c in row]


@pytest.fixture(scope="module")
def formula_text_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A merge of one department whose names look like formulas (and one bad amount)."""
    root = tmp_path_factory.mktemp("formula-text")
    program = textdata.read_text_plan(EXAMPLE)
    plan.write_plan(program, root / "plan.xlsx")
    dept = min(program.departments, key=lambda d: (len(program.targets_of(d.code)), d.code)).code
    targets = program.targets_of(dept)
    fills = {}
    for n, t in enumerate(targets):
        acts = [{"name": text, "ec03": 1000.0 * (i + 1)} for i, text in enumerate(FORMULA_LIKE)]
        if n == 0:
            acts.append({"name": "Tutarı hatalı faaliyet", "ec03": "bir milyon"})
        inds = [{"name": text, "unit": "Adet", "goal": 5.0} for text in FORMULA_LIKE]
        fills[t.code] = templates.CardFill(indicators=inds, activities=acts)
    inbox = root / "inbox"
    templates.write_form(program, dept, inbox / form.form_file_name(program, dept), fills)
    result = merge_inbox(inbox)
    outputs = write_outputs(result)
    assert outputs.master is not None and len(outputs.returned) == 1
    return outputs.master, outputs.returned[0]


@pytest.mark.parametrize("which", ["master", "returned copy"])
def test_text_that_looks_like_a_formula_stays_text(
    formula_text_run: tuple[Path, Path], which: str
) -> None:
    path = formula_text_run[0] if which == "master" else formula_text_run[1]
    cells = _all_cells(path)
    for text in FORMULA_LIKE:
        found = [(sheet, c) for sheet, c in cells if c.value == text]
        assert found, f"{text!r} is missing from the {which}"
        for sheet, c in found:
            assert c.data_type == "s", (sheet, c.coordinate, c.data_type)
            assert c.hyperlink is None, (sheet, c.coordinate)
    # and no formula anywhere was made from department text
    formulas = [str(c.value) for _s, c in cells if c.data_type == "f"]
    for text in FORMULA_LIKE:
        assert all(text.lstrip("=") not in f for f in formulas)


def _sheet_values(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()]
            for ws in wb.worksheets}


@pytest.fixture(scope="module")
def example_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example")
    shutil.copytree(EXAMPLE / "inbox", root / "inbox")
    shutil.copy(EXAMPLE / "plan.xlsx", root / "plan.xlsx")
    return root


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_two_runs_write_the_same_master(example_root: Path, tmp_path: Path) -> None:
    before = _digest(example_root / "inbox")
    first = write_outputs(merge_inbox(example_root / "inbox"), tmp_path / "a.xlsx",
                          returned=False).master
    second = write_outputs(merge_inbox(example_root / "inbox"), tmp_path / "b.xlsx",
                           returned=False).master
    assert first is not None and second is not None
    # xlsxwriter output with fixed document properties is byte-for-byte repeatable; when it
    # is not, the difference in the values is the useful message
    if first.read_bytes() != second.read_bytes():
        assert _sheet_values(first) == _sheet_values(second)
        pytest.fail("same values but different bytes: something time- or order-dependent")
    assert _digest(example_root / "inbox") == before


# --- kill -9 while writing -------------------------------------------------------------------

ATTEMPTS = 8


def _merge(root: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kbbxl", "merge", str(root / "inbox"), "-o",
         str(root / "master.xlsx"), *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.testzip() is None and "xl/workbook.xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _visible_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")]


def test_kill_during_merge_leaves_the_previous_master(example_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "run"
    shutil.copytree(example_root, root)
    # the previous master: made from an inbox without one department, so that a finished
    # new run would change it and a half-finished one would show
    held_back = sorted((root / "inbox").iterdir())[0]
    parked = tmp_path / held_back.name
    shutil.move(held_back, parked)
    started = time.monotonic()
    assert _merge(root, "--force").wait(timeout=300) in (0, 1)
    full = time.monotonic() - started
    previous = (root / "master.xlsx").read_bytes()
    shutil.move(parked, held_back)
    inbox_before = _digest(root / "inbox")

    rnd = random.Random(9)
    mid_write = 0
    for attempt in range(ATTEMPTS):
        extra = ("--force",) if attempt % 2 == 0 else ()
        proc = _merge(root, *extra)
        if attempt % 3 == 2:  # a kill at any moment of the run
            time.sleep(rnd.uniform(0.1, full))
        else:  # a kill the moment the new master's temporary file appears
            deadline = time.monotonic() + 2 * full + 30
            while time.monotonic() < deadline and proc.poll() is None:
                if any(p.name.startswith(".master-") for p in root.iterdir()):
                    mid_write += 1
                    break
                time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        code = proc.wait(timeout=60)
        master = (root / "master.xlsx").read_bytes()
        if code == -signal.SIGKILL:
            assert master == previous, f"attempt {attempt}: the killed run changed the master"
        else:  # it finished before the kill: a complete new master; put the old one back
            assert _is_workbook(root / "master.xlsx")
            (root / "master.xlsx").write_bytes(previous)
        # no half-written file anyone would open or mail: the only leftovers are hidden temps
        for path in _visible_files(root):
            if path.suffix == ".xlsx":
                assert _is_workbook(path), f"attempt {attempt}: {path} is half-written"
        assert _digest(root / "inbox") == inbox_before
    assert mid_write >= 1, "no kill happened while the master was being written"

    # the next uninterrupted run succeeds and replaces the master
    assert _merge(root, "--force").wait(timeout=300) == 0
    assert _is_workbook(root / "master.xlsx")
    assert (root / "master.xlsx").read_bytes() != previous
    assert os.listdir(root / "inbox") == os.listdir(example_root / "inbox")
