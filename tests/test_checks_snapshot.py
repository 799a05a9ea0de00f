"""The checks' records and clean rows on a seeded set of spoilt forms, against a snapshot.

Every department of the example gets a form built as the reader would hand it over (RawForm
cells at the writer's addresses, kbbxl.form.card_layout), then a seeded random spoiling of its
cells: text numbers, ambiguous notations, dates, error values, NaN and infinity, negative and
Turkish-cased duplicate names, stale and typed-over totals, reader findings at cells. Every
issue (code, severity, sheet, cell, message) and every clean row checks_forms gives must equal
tests/golden/checks_spoilt.json, made by the row-by-row implementation the column-wise one
replaced (commit dd772cc). Checked one by one, the forms get the same records.

A deliberate change of a rule or a message updates the snapshot:
    python tests/test_checks_snapshot.py --update
"""

from __future__ import annotations

import json
import math
import random
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from kbbxl import form
from kbbxl.checks import FormCheck, check_forms
from kbbxl.model import CardData, Program
from kbbxl.raw import Cell, Finding, RawCard, RawForm, RawRow
from kbbxl.textdata import read_text_cards, read_text_plan

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "kocaeli-2021"
SNAPSHOT = HERE / "golden" / "checks_spoilt.json"
SEED = 2021

#: what a clerk (or a broken file) can leave in a cell, as the reader returns it
ODD_VALUES: list[Any] = [
    None, "", " ", "-", "yok", "1.500", "1,500", "1.500.000", "12,45", "12.45", "abc",
    "1.500.000 TL", "₺ 2.000,50", "%12,5", "1 500 000", "1,500,000", "-5", "−3", "+7", True,
    False, 0, -0.0, 0.0, -1.0, -1, 3, 2**70, math.nan, math.inf, -math.inf, 1e308, 0.1, 0.2,
    12345678.9, datetime(2021, 1, 1), date(2020, 5, 5), time(12, 0), "İSTANBUL", "ıstanbul",
    "Adet", "adet", " ADET ", "Kişi", "KİŞİ", "kisi", "Yol  yapımı", "a\x01b", "line\nnext",
    "g\u0306", "\u00a0x\u00a0", "\x01", "\u3000", "=1+1", 2021.0, 5.5, "1.5E+400", "NaN",
    "12.000,5", "1.500,-", "TL 500", "%", "--", "0,0", ",5",
]
ERROR_VALUES = [None, None, None, None, "#REF!", "#DIV/0!"]


def _row(layout_row: int, columns: tuple[str, ...], values: dict[str, Any],
         formulas: dict[str, str] | None = None) -> RawRow:
    cells = {
        key: Cell(values.get(key), xl_rowcol_to_cell(layout_row, col),
                  (formulas or {}).get(key))
        for col, key in enumerate(columns)
    }
    return RawRow(layout_row + 1, cells)


def _clean_form(program: Program, data: CardData, dept: str) -> RawForm:
    """A department's form as the reader returns an untouched one."""
    cards = []
    for target in program.targets_of(dept):
        inds = [i for i in data.indicators if i.target == target.code]
        acts = [a for a in data.activities if a.target == target.code]
        layout = form.card_layout(program, len(inds), len(acts))
        ind_rows = [
            _row(layout.indicator_first + n, layout.indicator_columns, {
                "seq": n + 1, "name": i.name, "unit": i.unit, "past2": i.past2,
                "past1": i.past1, "goal": i.goal})
            for n, i in enumerate(inds)
        ]
        ind_rows.append(_row(layout.indicator_first + len(inds), layout.indicator_columns,
                             {"seq": len(inds) + 1}))  # a spare row
        act_rows = []
        for n, a in enumerate(acts):
            values: dict[str, Any] = {"seq": n + 1, "name": a.name, "off_budget": None,
                                      "total": a.total}
            values.update({form.economic_key(c): v for c, v in a.amounts.items()})
            act_rows.append(_row(layout.activity_first + n, layout.activity_columns, values,
                                 {"total": "=SUM()"}))
        sums = {k: sum(r.value(k) or 0.0 for r in act_rows)
                for k in form.amount_columns(program) + ("total",)}
        totals = _row(layout.total_row, layout.activity_columns, sums,
                      {k: "=SUM()" for k in sums})
        for key in ("seq", "name"):  # the Genel Toplam row has a label there
            del totals.cells[key]
        sheet = form.sheet_name_for(target.code)
        cards.append(RawCard(
            sheet, target.code, {"target": Cell(target.code, "C6")}, ind_rows, act_rows,
            program.form_economic_codes, totals))
    fingerprint = form.fingerprint(program, dept)
    meta = {"format_version": form.FORMAT_VERSION, "year": str(program.year),
            "department": dept, "fingerprint": fingerprint}
    return RawForm(Path(form.form_file_name(program, dept)), meta, cards, [], fingerprint)


def _spoil_row(rnd: random.Random, row: RawRow, others: list[RawRow]) -> RawRow:
    cells = dict(row.cells)
    for key, cell in list(cells.items()):
        r = rnd.random()
        if r < 0.08:
            cells[key] = Cell(rnd.choice(ODD_VALUES), cell.ref, cell.formula,
                              rnd.choice(ERROR_VALUES))
        elif r < 0.10:
            cells[key] = Cell(cell.value, cell.ref, rnd.choice([None, "=SUM()"]), cell.error)
        elif r < 0.11:
            del cells[key]
        elif key == "total" and r < 0.16:
            base = cell.value if isinstance(cell.value, float) else 0.0
            cells[key] = Cell(base + rnd.choice([0.3, 1.0, 1000.0]), cell.ref)
    name = cells.get("name")
    if others and name is not None and rnd.random() < 0.08:
        other = rnd.choice(others).value("name")
        if isinstance(other, str):
            cells["name"] = Cell(rnd.choice([other.upper(), other.lower(), f" {other} "]),
                                 name.ref)
    return RawRow(row.row, cells)


def spoilt_forms(program: Program, data: CardData, seed: int = SEED) -> list[RawForm]:
    rnd = random.Random(seed)
    forms = []
    for dept in sorted(d.code for d in program.departments if program.targets_of(d.code)):
        raw = _clean_form(program, data, dept)
        for card in raw.cards:
            card.indicators = [_spoil_row(rnd, r, card.indicators) for r in card.indicators]
            card.activities = [_spoil_row(rnd, r, card.activities) for r in card.activities]
            if card.totals is not None and rnd.random() < 0.5:
                card.totals = _spoil_row(rnd, card.totals, [])
            if card.totals is not None and rnd.random() < 0.3:
                # a Genel Toplam cell typed over
                key = rnd.choice(sorted(card.totals.cells))
                cell = card.totals.cells[key]
                typed = (cell.value if isinstance(cell.value, float) else 0.0) + 1000.0
                card.totals.cells[key] = Cell(typed, cell.ref)
            if card.activities and rnd.random() < 0.1:
                # the reader reported a cell (a formula without a value, say)
                cell = rnd.choice(list(rnd.choice(card.activities).cells.values()))
                raw.findings.append(Finding("formula-no-value", card.sheet, cell.ref, "formül"))
        forms.append(raw)
    return forms


def _number(value: float | None) -> Any:
    return None if value is None else repr(value)  # repr: exact, NaN and infinity included


def summary(check: FormCheck) -> dict[str, Any]:
    """What the checks say about a form, as plain JSON (floats by repr: compared exactly)."""
    return {
        "file": check.file,
        "accepted": check.accepted,
        "read": [check.indicators_read, check.activities_read],
        "issues": [[i.code, i.severity, i.sheet, i.cell, i.message] for i in check.issues],
        "indicators": [[i.source.sheet if i.source else "", i.source.row if i.source else 0,
                        i.seq, i.name, i.unit, _number(i.past2), _number(i.past1),
                        _number(i.goal)] for i in check.data.indicators],
        "activities": [[a.source.sheet if a.source else "", a.source.row if a.source else 0,
                        a.seq, a.name, {c: repr(v) for c, v in a.amounts.items()},
                        repr(a.off_budget)] for a in check.data.activities],
    }


def current() -> list[dict[str, Any]]:
    program = read_text_plan(EXAMPLE)
    forms = spoilt_forms(program, read_text_cards(EXAMPLE))
    return [summary(c) for c in check_forms(program, forms)]


def test_spoilt_forms_give_the_snapshot_records_and_rows() -> None:
    expected = json.loads(SNAPSHOT.read_text("utf-8"))
    got = current()
    assert [s["file"] for s in got] == [s["file"] for s in expected]
    for g, e in zip(got, expected, strict=True):
        assert g["issues"] == e["issues"], g["file"]
        assert g == e, g["file"]
    codes = {i[0] for s in got for i in s["issues"]}
    # the spoiling reaches every rule it is meant to (a snapshot of nothing proves nothing)
    assert {"number-as-text", "not-a-number", "date-in-number", "cell-error",
            "negative-amount", "missing-activity-name", "missing-indicator-name",
            "missing-unit", "unknown-unit", "duplicate-activity", "duplicate-indicator",
            "row-total-mismatch", "row-total-stale", "card-total-mismatch",
            "card-total-stale", "formula-no-value"} <= codes


def test_spoilt_forms_checked_one_by_one_give_the_same_records() -> None:
    program = read_text_plan(EXAMPLE)
    forms = spoilt_forms(program, read_text_cards(EXAMPLE))
    together = [summary(c) for c in check_forms(program, forms)]
    alone = [summary(check_forms(program, [f])[0]) for f in forms]
    # the same records; the order of those pandera finds follows pandera's failure_cases,
    # sorted by an unstable sort over all the rows checked together
    for s in together + alone:
        s["issues"].sort()
    assert together == alone


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_checks_snapshot.py --update")
    SNAPSHOT.parent.mkdir(exist_ok=True)
    SNAPSHOT.write_text(json.dumps(current(), ensure_ascii=False, indent=0) + "\n", "utf-8")
    print(f"{SNAPSHOT} written")
