"""Checks on hand-built RawForms (the reader→checks contract): conversion, pandera rules,
totals, cards, metadata and the cross-file checks, each to its code and cell."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kbbxl import form
from kbbxl.checks import check_form, check_forms, check_inbox, meta_cell
from kbbxl.model import Program
from kbbxl.raw import Cell, Finding, RawCard, RawForm, RawRow
from kbbxl.rules import convert_number, convert_text, load_rules
from kbbxl.textdata import read_text_plan

DEPT = "ZABITA"
AMOUNT_COLS = "CDEF"  # ec03 ec05 ec06 off_budget, as the writer places them (total in G)


@pytest.fixture(scope="module")
def program(example_dir: Path) -> Program:
    return read_text_plan(example_dir)


def _ind(row: int, name: Any = "Denetim sayısı", unit: Any = "Adet", past2: Any = 1,
         past1: Any = 2, goal: Any = 3) -> RawRow:
    values = {"seq": row, "name": name, "unit": unit, "past2": past2, "past1": past1,
              "goal": goal}
    return RawRow(row, {k: Cell(v, f"{'ABCDEF'[n]}{row}") for n, (k, v) in
                        enumerate(values.items())})


def _act(row: int, name: Any = "Faaliyet", ec03: Any = 100.0, ec05: Any = 0.0,
         ec06: Any = 0.0, off: Any = None, total: Any = "auto", formula: bool = True) -> RawRow:
    amounts = [ec03, ec05, ec06, off]
    if total == "auto":
        total = sum(a for a in amounts if isinstance(a, float | int))
    cells = {"seq": Cell(row, f"A{row}"), "name": Cell(name, f"B{row}")}
    for key, col, v in zip(("ec03", "ec05", "ec06", "off_budget"), AMOUNT_COLS, amounts,
                           strict=True):
        cells[key] = Cell(v, f"{col}{row}")
    cells["total"] = Cell(total, f"G{row}", formula=f"SUM(C{row}:F{row})" if formula else None)
    return RawRow(row, cells)


def _card(program: Program, n: int = 0, *, indicators: list[RawRow] | None = None,
          activities: list[RawRow] | None = None, target: str | None = None,
          totals: RawRow | None = None) -> RawCard:
    code = target or program.targets_of(DEPT)[n].code
    return RawCard(
        sheet=form.sheet_name_for(code), target=code,
        header={"target": Cell(code, "C6")},
        indicators=[_ind(12)] if indicators is None else indicators,
        activities=[_act(40)] if activities is None else activities,
        economic_codes=("03", "05", "06"), totals=totals,
    )


def _form(program: Program, cards: list[RawCard] | None = None, *, dept: str = DEPT,
          name: str | None = None, **meta: str) -> RawForm:
    if cards is None:
        cards = [_card(program, n) for n in range(len(program.targets_of(dept)))]
    fp = form.fingerprint(program, dept) if program.has_department(dept) else "x"
    values = {"format_version": form.FORMAT_VERSION, "year": str(program.year),
              "department": dept, "fingerprint": fp, **meta}
    return RawForm(path=Path(name or form.form_file_name(program, dept)), meta=values,
                   cards=cards, fingerprint=fp)


def _codes(check: Any) -> list[tuple[str, str, str]]:
    return [(i.code, i.sheet, i.cell) for i in check.issues]


# --- conversion ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "number", "code"), [
    (1500, 1500.0, None),
    (0, 0.0, None),
    ("1.500.000", 1_500_000.0, "number-as-text"),
    ("12,45", 12.45, "number-as-text"),
    ("1.500.000 TL", 1_500_000.0, "number-as-text"),
    ("-", math.nan, None),
    (None, math.nan, None),
    ("1,500", math.nan, "not-a-number"),
    ("12.45", math.nan, "not-a-number"),
    ("abc", math.nan, "not-a-number"),
    (True, math.nan, "not-a-number"),
    (datetime(2021, 5, 1), math.nan, "date-in-number"),
])
def test_convert_number(value: Any, number: float, code: str | None) -> None:
    conv = convert_number(Cell(value, "C5"))
    assert conv.code == code
    assert (math.isnan(conv.value) and math.isnan(number)) or conv.value == number


def test_convert_error_values_and_text() -> None:
    assert convert_number(Cell(None, "C5", error="#REF!")).code == "cell-error"
    assert convert_text(Cell(None, "B5", error="#N/A")).code == "cell-error"
    assert convert_text(Cell(" Yol  yapımı ", "B5")).value == "Yol yapımı"
    assert convert_text(Cell(2021.0, "B5")).value == "2021"
    assert "binlik" in convert_number(Cell("1,500", "C5")).detail.lower()


def test_rules_come_from_the_schema_files() -> None:
    acts = load_rules("activities")
    ec = acts.rule("ec06")
    assert ec is not None and ec.minimum == 0 and ec.minimum_issue == "negative-amount"
    assert acts.rule("name").required == "missing-activity-name"
    assert acts.unique == ("name", "duplicate-activity")
    inds = load_rules("indicators")
    assert inds.rule("unit").vocabulary_issue == "unknown-unit"
    assert inds.rule("goal").type == "number"


# --- rows ---------------------------------------------------------------------------------------


def test_a_clean_form_has_no_issue_and_gives_its_rows(program: Program) -> None:
    check = check_form(program, _form(program))
    assert check.issues == () and check.accepted
    n = len(program.targets_of(DEPT))
    assert len(check.data.indicators) == n and len(check.data.activities) == n
    ind = check.data.indicators[0]
    assert (ind.name, ind.unit, ind.past2, ind.goal) == ("Denetim sayısı", "Adet", 1.0, 3.0)
    assert ind.source is not None and (ind.source.sheet, ind.source.row) == (
        form.sheet_name_for(ind.target), 12)
    act = check.data.activities[0]
    assert dict(act.amounts) == {"03": 100.0, "05": 0.0, "06": 0.0} and act.off_budget == 0.0


def test_one_bad_cell_never_hides_another(program: Program) -> None:
    row = _act(40, name=None, ec03="abc", ec06=-5.0, total=None)
    card = _card(program, activities=[row, _act(41, name="İkinci")])
    check = check_form(program, _form(program, [card, _card(program, 1)]))
    sheet = card.sheet
    assert sorted(_codes(check)) == [
        ("missing-activity-name", sheet, "B40"),
        ("negative-amount", sheet, "E40"),
        ("not-a-number", sheet, "C40"),
    ]
    assert [a.name for a in check.data.activities if a.target == card.target] == ["İkinci"]
    assert check.activities_read == 3


def test_number_typed_as_text_is_used_with_a_warning(program: Program) -> None:
    card = _card(program, activities=[_act(40, ec03="1.500", total=1500.0)])
    check = check_form(program, _form(program, [card, _card(program, 1)]))
    assert _codes(check) == [("number-as-text", card.sheet, "C40")]
    assert check.issues[0].severity == "warning"
    assert check.data.activities[0].amounts["03"] == 1500.0


def test_indicator_rules(program: Program) -> None:
    rows = [
        _ind(12, unit="adet"),  # the vocabulary's spelling is taken, no warning
        _ind(13, name="Başka", unit=None),
        _ind(14, name="Üçüncü", unit="Parsek"),
        _ind(15, name=None),
        _ind(16, name="DENETİM SAYISI"),  # the first row again, in capitals
    ]
    card = _card(program, indicators=rows)
    check = check_form(program, _form(program, [card, _card(program, 1)]))
    s = card.sheet
    assert sorted(_codes(check)) == [
        ("duplicate-indicator", s, "B16"), ("missing-indicator-name", s, "B15"),
        ("missing-unit", s, "C13"), ("unknown-unit", s, "C14"),
    ]
    units = [i.unit for i in check.data.indicators if i.target == card.target]
    assert units == ["Adet", "Parsek", "Adet"]  # the errors' rows (13, 15) are left out
    dup = next(i for i in check.issues if i.code == "duplicate-indicator")
    assert "B12" in dup.message
    unit = next(i for i in check.issues if i.code == "missing-unit")
    assert "'Başka'" in unit.message


def test_duplicate_activity_names_ignore_turkish_case_and_spaces(program: Program) -> None:
    rows = [_act(40, name="İmar Denetimi"), _act(41, name="  imar   denetimi")]
    card = _card(program, activities=rows)
    check = check_form(program, _form(program, [card, _card(program, 1)]))
    assert _codes(check) == [("duplicate-activity", card.sheet, "B41")]


def test_row_totals(program: Program) -> None:
    rows = [
        _act(40, name="Elle yazılmış", total=999.0, formula=False),
        _act(41, name="Eski sonuç", total=5.0, formula=True),
        _act(42, name="Doğru", total=100.0, formula=False),
    ]
    card = _card(program, activities=rows)
    check = check_form(program, _form(program, [card, _card(program, 1)]))
    assert sorted(_codes(check)) == [("row-total-mismatch", card.sheet, "G40"),
                                     ("row-total-stale", card.sheet, "G41")]
    names = [a.name for a in check.data.activities if a.target == card.target]
    assert names == ["Eski sonuç", "Doğru"]  # a stale formula result is only a warning
    typed = next(i for i in check.issues if i.code == "row-total-mismatch")
    assert "999" in typed.message and "100" in typed.message


def test_card_totals(program: Program) -> None:
    def totals(ec03: float, total: float, formula: bool) -> RawRow:
        f = "SUM()" if formula else None
        return RawRow(50, {"ec03": Cell(ec03, "C50", formula=f), "ec05": Cell(0.0, "D50"),
                           "ec06": Cell(0.0, "E50"), "total": Cell(total, "G50", formula=f)})

    typed = _card(program, activities=[_act(40), _act(41, name="B")],
                  totals=totals(300.0, 200.0, False))
    stale = _card(program, 1, activities=[_act(40)], totals=totals(100.0, 7.0, True))
    check = check_form(program, _form(program, [typed, stale]))
    assert sorted(_codes(check)) == [
        ("card-total-mismatch", typed.sheet, "C50"), ("card-total-stale", stale.sheet, "G50")]


def test_a_total_is_not_compared_when_a_part_is_unreadable(program: Program) -> None:
    card = _card(program, activities=[_act(40, ec03="abc", total=100.0, formula=False)],
                 totals=RawRow(50, {"ec03": Cell(100.0, "C50"), "total": Cell(100.0, "G50")}))
    check = check_form(program, _form(program, [card, _card(program, 1)]))
    assert _codes(check) == [("not-a-number", card.sheet, "C40")]


def test_a_reader_error_at_a_cell_leaves_that_row_out(program: Program) -> None:
    card = _card(program, activities=[_act(40), _act(41, name="B")])
    raw = _form(program, [card, _card(program, 1)])
    raw.findings.append(Finding("formula-no-value", card.sheet, "C41", "formül", "=A1"))
    check = check_form(program, raw)
    assert [i.code for i in check.issues] == ["formula-no-value"]
    assert [a.name for a in check.data.activities if a.target == card.target] == ["Faaliyet"]


# --- cards and metadata -------------------------------------------------------------------------


def test_cards_of_other_departments_unknown_and_duplicate_cards(program: Program) -> None:
    own = program.targets_of(DEPT)
    foreign = program.targets_of("ULASIM")[0].code
    cards = [
        _card(program, 0), _card(program, 0),  # the same card twice
        _card(program, target=foreign),
        _card(program, target="KE/PH.9.9.9"),
    ]
    check = check_form(program, _form(program, cards))
    s0 = form.sheet_name_for(own[0].code)
    assert sorted(_codes(check)) == sorted([
        ("duplicate-card", s0, ""), ("duplicate-card", s0, ""),
        ("foreign-target", form.sheet_name_for(foreign), "C6"),
        ("unknown-target", form.sheet_name_for("KE/PH.9.9.9"), "C6"),
        ("missing-card", form.sheet_name_for(own[1].code), ""),
    ])
    assert check.data.indicators == () and check.data.activities == ()


def test_empty_card(program: Program) -> None:
    empty = _card(program, 1, indicators=[], activities=[])
    check = check_form(program, _form(program, [_card(program, 0), empty]))
    assert _codes(check) == [("empty-card", empty.sheet, "C6")]


@pytest.mark.parametrize(("meta", "code", "cell"), [
    ({"year": "2020"}, "wrong-year", "B2"),
    ({"format_version": "0"}, "wrong-version", "B1"),
])
def test_metadata_problems_leave_the_file_out(program: Program, meta: dict[str, str],
                                              code: str, cell: str) -> None:
    check = check_form(program, _form(program, **meta))
    assert _codes(check) == [(code, form.META_SHEET, cell)]
    assert meta_cell(next(iter(meta))) == cell
    assert not check.accepted and check.data.activities == ()
    assert check.indicators_read == len(program.targets_of(DEPT))  # still counted as read


def test_unknown_department(program: Program) -> None:
    check = check_form(program, _form(program, [], dept="YOK"))
    assert _codes(check) == [("unknown-department", form.META_SHEET, "B4")]


def test_structure_altered_and_plan_changed(program: Program) -> None:
    altered = _form(program)
    altered.fingerprint = "something else"
    assert [i.code for i in check_form(program, altered).issues] == ["structure-altered"]
    older = _form(program, fingerprint="from another plan")
    older.fingerprint = "from another plan"
    check = check_form(program, older)
    assert [(i.code, i.severity) for i in check.issues] == [("plan-changed", "warning")]
    assert check.accepted


def test_missing_metadata(program: Program) -> None:
    raw = RawForm(path=Path("2021_ZABITA.xlsx"), meta=None, cards=[_card(program)])
    check = check_form(program, raw)
    assert [i.code for i in check.issues] == ["missing-metadata"]
    assert check.department == DEPT  # told by the file name, for the department's status
    assert not check.accepted


# --- across files ---------------------------------------------------------------------------------


def test_two_files_from_one_department_and_missing_departments(program: Program) -> None:
    a = check_form(program, _form(program, name="2021_ZABITA.xlsx"))
    b = check_form(program, _form(program, name="zabita-son.xlsx"))
    checks, missing = check_inbox(program, [a, b])
    assert [(i.code, i.file) for c in checks for i in c.issues] == [
        ("duplicate-department", "2021_ZABITA.xlsx"), ("duplicate-department", "zabita-son.xlsx")]
    assert all(not c.accepted and c.data.activities == () for c in checks)
    expected = {d.code for d in program.departments
                if d.code != DEPT and program.targets_of(d.code)}
    assert {i.department for i in missing} == expected
    assert all(i.code == "missing-department" for i in missing)


def test_forms_checked_together_give_the_same_records_as_one_by_one(program: Program) -> None:
    a = _form(program, [_card(program, activities=[_act(40, ec03="abc"),
                                                    _act(41, name="Faaliyet")]),
                        _card(program, 1)])
    b = _form(program, [_card(program, activities=[_act(40, name="Faaliyet")]),
                        _card(program, 1)], name="zabita-2.xlsx")
    together = check_forms(program, [a, b])
    alone = [check_form(program, a), check_form(program, b)]
    assert [c.issues for c in together] == [c.issues for c in alone]
    assert [c.data for c in together] == [c.data for c in alone]
    # the same activity name in two files is not a duplicate within a card
    assert [i.code for i in together[1].issues] == []
    assert [i.code for i in together[0].issues] == ["not-a-number", "duplicate-activity"]


def test_a_number_typed_as_text_does_not_also_raise_total_warnings(program: Program) -> None:
    # what Excel saves when a clerk types "1.500" as text: SUM() skips it, totals show 0
    card = _card(program, activities=[_act(40, ec03="1.500", total=0.0)],
                 totals=RawRow(50, {"ec03": Cell(0.0, "C50", formula="SUM()"),
                                    "total": Cell(0.0, "G50", formula="SUM()")}))
    check = check_form(program, _form(program, [card, _card(program, 1)]))
    assert _codes(check) == [("number-as-text", card.sheet, "C40")]
