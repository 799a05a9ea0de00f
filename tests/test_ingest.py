"""The form reader: round trips, anchors, empty rows, findings, fingerprint, never modifying."""

from __future__ import annotations

import hashlib
import shutil

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kbbxl import form
from kbbxl.ingest import read_form
from kbbxl.templates import CardFill, write_form

DEPT = "ULASIM"


def _values(rows, keys):
    return [tuple(r.value(k) for k in keys) for r in rows]


@pytest.fixture(scope="module")
def filled(tmp_path_factory, program):
    """A ULASIM form with a few rows on its first two cards, gaps left between rows."""
    t1, t2 = (t.code for t in program.targets_of(DEPT)[:2])
    fills = {
        t1: CardFill(
            indicators=[
                {"name": "Kavşak sayısı", "unit": "Adet", "past2": 55, "past1": 60.5, "goal": "-"},
                {"name": None, "unit": None, "past2": None, "past1": None, "goal": None},
                {"name": "Oran", "unit": "Yüzde", "past2": None, "past1": 12.45, "goal": 100},
            ],
            activities=[
                {"name": "Kavşak yapımı", "ec03": 90000, "ec05": 0, "ec06": 0},
                {"name": "Yol", "ec03": 0, "ec05": 0, "ec06": 46_000_000, "off_budget": 5},
            ],
        ),
        t2: CardFill(activities=[{"name": "Tek", "ec03": 1}]),
    }
    path = tmp_path_factory.mktemp("filled") / "2021_ULASIM.xlsx"
    write_form(program, DEPT, path, fills)
    return path, t1, t2


def test_reads_back_what_was_written_with_cell_addresses(filled, program):
    path, t1, t2 = filled
    raw = read_form(path)
    assert raw.findings == []
    assert raw.meta == {
        "format_version": form.FORMAT_VERSION, "year": "2021",
        "institution": program.institution, "department": DEPT,
        "department_name": program.department(DEPT).name,
        "targets": ";".join(t.code for t in program.targets_of(DEPT)),
        "fingerprint": form.fingerprint(program, DEPT),
    }
    assert raw.fingerprint == raw.meta["fingerprint"]
    assert [c.target for c in raw.cards] == [t.code for t in program.targets_of(DEPT)]
    card = raw.cards[0]
    assert card.sheet == form.sheet_name_for(t1) and card.economic_codes == ("03", "05", "06")
    assert card.header["department"].value == program.department(DEPT).name
    assert card.header["target"].value.startswith(t1 + " ")
    # the empty second row is skipped; the third keeps its own worksheet row
    assert _values(card.indicators, form.INDICATOR_COLUMNS) == [
        (1, "Kavşak sayısı", "Adet", 55, 60.5, "-"), (3, "Oran", "Yüzde", None, 12.45, 100),
    ]
    lay = form.card_layout(program, 3, 2)
    first = lay.indicator_first + 1
    assert [r.row for r in card.indicators] == [first, first + 2]
    assert card.indicators[1].ref("past1") == f"E{first + 2}"
    assert _values(card.activities, form.activity_columns(program)) == [
        (1, "Kavşak yapımı", 90000, 0, 0, None, 90000),
        (2, "Yol", 0, 0, 46_000_000, 5, 46_000_005),
    ]
    assert card.activities[0].cells["total"].formula == (
        f"=SUM(C{lay.activity_first + 1}:F{lay.activity_first + 1})"
    )
    assert card.totals is not None and card.totals.value("total") == 46_090_005
    assert card.totals.row == lay.total_row + 1
    assert [len(c.activities) for c in raw.cards[1:3]] == [1, 0]


def test_reading_never_modifies_the_file(filled):
    path = filled[0]
    before = hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns
    read_form(path)
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns) == before


def _edited(src, dst, edit):
    """A copy changed with openpyxl (enough for structure edits; values stay cached)."""
    shutil.copy(src, dst)
    wb = openpyxl.load_workbook(dst)
    edit(wb)
    wb.save(dst)
    return dst


def test_rows_deleted_inside_tables_are_still_found(filled, tmp_path, program):
    path, t1, _ = filled
    sheet = form.sheet_name_for(t1)
    lay = form.card_layout(program, 3, 2)

    def edit(wb):
        ws = wb[sheet]
        # delete the empty indicator row and two spare activity rows (below the data)
        ws.delete_rows(lay.indicator_first + 2, 1)
        ws.delete_rows(lay.activity_first + 3 - 1, 2)

    raw = read_form(_edited(path, tmp_path / "del.xlsx", edit))
    card = raw.cards[0]
    assert _values(card.indicators, ("name", "goal")) == [("Kavşak sayısı", "-"), ("Oran", 100)]
    assert [r.row for r in card.indicators] == [lay.indicator_first + 1, lay.indicator_first + 2]
    assert _values(card.activities, ("name", "ec06")) == [("Kavşak yapımı", 0), ("Yol", 46e6)]
    assert card.totals is not None and card.totals.row == lay.total_row + 1 - 3


@pytest.mark.parametrize(
    ("edit", "code", "sheet"),
    [
        (lambda wb: wb.remove(wb[form.META_SHEET]), "meta-missing", ""),
        (lambda wb: wb.create_sheet("Notlar").cell(1, 1, "taslak"), "sheet-unknown", "Notlar"),
        (lambda wb: wb[form.META_SHEET].delete_rows(2, 1), "meta-incomplete", form.META_SHEET),
    ],
)
def test_structural_findings(filled, tmp_path, edit, code, sheet):
    raw = read_form(_edited(filled[0], tmp_path / "x.xlsx", edit))
    assert [(f.code, f.sheet) for f in raw.findings] == [(code, sheet)]
    assert raw.findings[0].message  # Turkish text from schemas/issues.toml [reader]
    assert raw.cards  # the cards are still read


def test_missing_anchor_and_changed_header_are_reported(filled, tmp_path, program):
    path, t1, _ = filled
    sheet = form.sheet_name_for(t1)
    lay = form.card_layout(program, 3, 2)

    def edit(wb):
        ws = wb[sheet]
        ws.cell(lay.total_row + 1, 1, "Toplam")  # the Genel Toplam anchor is gone
        ws.cell(lay.header_row("objective") + 1, 3, "KE.1.1 başka bir metin")
        ws.cell(lay.header_row("target") + 1, 3, "hedef kodu yok")

    raw = read_form(_edited(path, tmp_path / "x.xlsx", edit))
    codes = [(f.code, f.sheet, f.cell) for f in raw.findings]
    assert ("anchor-missing", sheet, "") in codes
    assert ("target-code-invalid", sheet, f"C{lay.header_row('target') + 1}") in codes
    assert raw.fingerprint != raw.meta["fingerprint"]  # locked structure altered
    card = raw.cards[0]
    assert card.totals is None and card.target == ""
    assert _values(card.activities, ("name",)) == [("Kavşak yapımı",), ("Yol",)]


def test_not_a_form_and_unreadable_files(tmp_path):
    other = tmp_path / "other.xlsx"
    wb = xlsxwriter.Workbook(str(other))
    wb.add_worksheet("Sayfa1").write(0, 0, "bütçe")
    wb.close()
    raw = read_form(other)
    assert [f.code for f in raw.findings] == ["not-a-form"] and raw.meta is None
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    raw = read_form(junk)
    assert [f.code for f in raw.findings] == ["workbook-unreadable"] and raw.cards == []


def test_formulas_and_error_values_typed_into_inputs(filled, tmp_path, program):
    path, t1, _ = filled
    lay = form.card_layout(program, 3, 2)
    r = lay.activity_first + 1

    def edit(wb):
        ws = wb[form.sheet_name_for(t1)]
        ws.cell(r, 4, "=1/0")  # openpyxl writes no cached value
        ws.cell(r + 1, 2, "=B1")

    card = read_form(_edited(path, tmp_path / "f.xlsx", edit)).cards[0]
    assert card.activities[0].cells["ec05"].formula == "=1/0"
    assert card.activities[1].cells["name"].formula == "=B1"


_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    min_size=1, max_size=30,
).filter(lambda s: s.strip() == s and s.strip())
_value = st.one_of(
    st.none(), st.integers(0, 10**12),
    st.floats(0, 1e12, allow_nan=False).map(lambda f: round(f, 2)), _text,
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    indicators=st.lists(st.fixed_dictionaries(
        {"name": _text, "unit": _text, "past2": _value, "past1": _value, "goal": _value}),
        max_size=25),
    activities=st.lists(st.fixed_dictionaries(
        {"name": _text, "ec03": _value, "ec05": _value, "ec06": _value, "off_budget": _value}),
        max_size=25),
)
def test_any_fill_reads_back_exactly(tmp_path_factory, program, indicators, activities):
    # the department with the fewest cards keeps each example fast
    dept = min(program.departments, key=lambda d: len(program.targets_of(d.code))).code
    target = program.targets_of(dept)[0].code
    path = tmp_path_factory.mktemp("prop") / "f.xlsx"
    write_form(program, dept, path, {target: CardFill(indicators, activities)})
    raw = read_form(path)
    assert raw.findings == []
    card = raw.cards[0]
    keys = form.INDICATOR_INPUTS
    assert _values(card.indicators, keys) == [tuple(i[k] for k in keys) for i in indicators]
    keys = form.activity_inputs(program)
    assert _values(card.activities, keys) == [tuple(a[k] for k in keys) for a in activities]
    numbers = [v for a in activities for k, v in a.items()
               if k != "name" and isinstance(v, int | float)]
    assert card.totals.value("total") == pytest.approx(sum(numbers))


@pytest.mark.parametrize("args", [(1.0, "D12"), ("metin", "B3", None, None),
                                  (None, "G40", "=SUM(C40:F40)", "#REF!")])
def test_the_readers_cell_constructor_makes_the_same_frozen_cell(args):
    import dataclasses

    from kbbxl.raw import Cell, new_cell

    made, plain = new_cell(*args), Cell(*args)
    assert made == plain and hash(made) == hash(plain) and repr(made) == repr(plain)
    assert vars(made) == vars(plain)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.value = 2  # type: ignore[misc]


def test_the_anchor_index_holds_the_forms_labels_only():
    from kbbxl.ingest import Grid, _find_row

    lab = form.L()
    grid = Grid([
        ["", "", ""],
        ["  performans   Hedefi ", "Performans Hedefi yazısı"],
        [1.0, "Kavşak yapımı", "Adet"],
        ["Sıra", lab["activities"]["name"]],
    ])
    assert set(grid.anchors()) == {form.label_key(lab["header"]["target"]),
                                   form.label_key(lab["activities"]["seq"]),
                                   form.label_key(lab["activities"]["name"])}
    assert _find_row(grid, lab["header"]["target"]) == (1, 0)  # case and spacing ignored
    assert _find_row(grid, lab["activities"]["name"], 2) == (3, 1)
    assert _find_row(grid, lab["activities"]["grand_total"]) is None
    with pytest.raises(ValueError):
        _find_row(grid, "Kavşak yapımı")  # a name is never searched for as an anchor


def test_title_rows_are_classified_once_and_each_answer_is_a_copy():
    from kbbxl.ingest import Grid, _columns

    titles = ["Sıra", "Performans Göstergeleri", "Ölçü Birimi", "2019", "2020*",
              "2021 Yılı Hedefi"]
    grid = Grid([titles])
    cols, found = _columns(grid, [0], form.classify_indicator_header)
    assert cols == {"seq": 0, "name": 1, "unit": 2, "past2": 3, "past1": 4, "goal": 5}
    assert found == titles
    cols["seq"], found[0] = 9, "x"  # the caller's to change: the kept answer is not
    assert _columns(grid, [0], form.classify_indicator_header) == (
        {"seq": 0, "name": 1, "unit": 2, "past2": 3, "past1": 4, "goal": 5}, titles)
    # 1, 1.0 and True are equal keys: numbers in a title row are not answered from the memo
    def by_text(v):
        return v and str(v)

    for number, text in ((1, "1"), (1.0, "1.0"), (True, "True")):
        assert _columns(Grid([[number, "Sıra"]]), [0], by_text) == (
            {text: 0, "Sıra": 1}, [text, "Sıra"])
