"""What keeps kbbxl working at national scale (benchmarks/ measures it; nothing here is timed).

- the cards section of the master needs more rows than one Excel sheet holds when ~1.400
  institutions are merged: it becomes a note instead of failing at row 1.048.577;
- the benchmark's machinery runs end to end on a tiny inbox and prints its ratio lines.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from kbbxl import cards
from kbbxl.master import write_master

CARDS_SHEET = "Performans Hedefi Kartları"
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _sheet(path: Path, name: str) -> list[list[object]]:
    wb = CalamineWorkbook.from_path(str(path))
    try:
        return wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    finally:
        wb.close()


def _texts(rows: list[list[object]]) -> list[str]:
    return [v for row in rows for v in row if isinstance(v, str) and v]


@pytest.fixture(scope="module")
def counted(example, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The example's master and the rows card_rows() said its cards need."""
    program, data = example
    seen: list[int] = []
    original = cards.write_cards

    def spy(book, ws) -> None:  # type: ignore[no-untyped-def]
        seen.append(cards.card_rows(book))
        original(book, ws)

    mp = pytest.MonkeyPatch()
    mp.setattr(cards, "write_cards", spy)
    try:
        path = write_master(tmp_path_factory.mktemp("scale") / "master.xlsx", program, data)
    finally:
        mp.undo()
    return path, seen[0]


def test_card_rows_counts_the_rows_the_cards_take(counted: tuple[Path, int]) -> None:
    path, needed = counted
    written = len(_sheet(path, CARDS_SHEET))
    assert written <= needed <= written + 1  # the blank line after the last card


def test_cards_that_do_not_fit_one_sheet_become_a_note(
    example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: tuple[Path, int]
) -> None:
    program, data = example
    monkeypatch.setattr(cards, "EXCEL_ROWS", 1000)  # the example's cards need ~1.565 rows
    path = write_master(tmp_path / "master.xlsx", program, data)
    texts = _texts(_sheet(path, CARDS_SHEET))
    assert len(texts) == 2  # the title and the note
    note = texts[1]
    assert f"{len(program.targets)} performans hedefi kartı" in note
    assert f"{counted[1]:,}".replace(",", ".") in note and "1.000" in note
    # nothing else is cut: every activity is in Faaliyetler
    assert len(_sheet(path, "Faaliyetler")) == len(data.activities) + 1


def test_bench_quick_machinery_prints_the_ratio_lines(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_merge
        import synth
    finally:
        sys.path.remove(str(BENCHMARKS))
    box = synth.build_inbox(3, "municipal", cache=tmp_path / "cache", workers=1, quiet=True)
    rows = bench_merge.bench([3], {m: 1 for m in bench_merge.METHODS}, "municipal", 1,
                             lambda _msg: None, cache=tmp_path / "cache")
    assert rows[0].box.root == box.root
    lines = bench_merge.ratio_lines(rows)
    assert lines[0].startswith("N=3: kbbxl read+validate / calamine read = ")
    assert "kbbxl total / naive pandas" in lines[0] and "peak memory" in lines[0]
    assert lines[-1].startswith("growth, time per file: N=3:")
    assert "| 3 | 3 |" in bench_merge.table(rows, markdown=True)


def test_bench_runs_file_is_reused_per_inbox_and_kbbxl_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_merge
        import synth
    finally:
        sys.path.remove(str(BENCHMARKS))
    box = synth.build_inbox(2, "municipal", cache=tmp_path / "cache", workers=1, quiet=True)
    measured: list[str] = []

    def fake(method: str, inbox: object) -> dict[str, float]:
        assert inbox == box
        measured.append(method)
        return {"read": 1.0, "validate": 1.0, "write": 1.0, "total": 3.0, "concat": 0.5,
                "peak_mb": 10.0}

    monkeypatch.setattr(bench_merge, "run_measurement", fake)
    path = tmp_path / "runs.json"

    def run(version: str, remeasure: tuple[str, ...] = ()) -> list[object]:
        store = bench_merge.RunStore.open(path)
        store.version = version
        return bench_merge.bench([2], {m: 2 for m in bench_merge.METHODS}, "municipal", 1,
                                 lambda _msg: None, cache=tmp_path / "cache", store=store,
                                 remeasure=remeasure)

    run("abc")
    # the methods take turns, so that a drift of the machine's speed falls on all of them
    assert measured == ["calamine", "naive", "kbbxl"] * 2
    measured.clear()
    rows = run("abc")  # everything stored: nothing is measured again
    assert measured == [] and len(rows[0].runs["kbbxl"]) == 2
    assert rows[0].turns() == []  # reused runs were not taken in turns with each other
    assert "turn by turn" not in bench_merge.ratio_lines(rows)[0]
    assert set(rows[0].reused) == set(bench_merge.METHODS)
    rows = run("def")  # another kbbxl commit: only kbbxl is measured again
    assert measured == ["kbbxl"] * 2 and "kbbxl" not in rows[0].reused
    measured.clear()
    run("def+dirty")  # uncommitted changes are never reused, nor stored for reuse
    run("def+dirty")
    assert measured == ["kbbxl"] * 4
    measured.clear()
    rows = run("def", ("calamine",))  # the floor measured again beside a stored kbbxl
    assert measured == ["calamine"] * 2 and "calamine" not in rows[0].reused
    measured.clear()
    rows = run("ghi", ("calamine",))  # both measured in turns: the ratio of each turn
    assert measured == ["calamine", "kbbxl"] * 2
    assert rows[0].turns() == [2.0, 2.0]
    assert "= 2.00x (turn by turn: 2.00x, 2.00x) (target <= 3x)" in bench_merge.ratio_lines(rows)[0]
    # a job longer than REPEAT_BELOW_S is measured once
    monkeypatch.setattr(bench_merge, "REPEAT_BELOW_S", 2.0)
    measured.clear()
    path.unlink()
    run("abc")
    assert measured == ["calamine", "naive", "kbbxl", "calamine"]
