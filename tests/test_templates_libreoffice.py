"""The real client: LibreOffice recalculates the forms, re-saves them, and inserts rows in them.

Three LibreOffice runs in all: one converts the 21 example forms (plus a canary) in a single
call, and the row insertion needs two (profile set-up, then the macro).
"""

from __future__ import annotations

import re
import shutil

import pytest
import python_calamine
import xlsxwriter
from lo_edit import insert_rows

from kbbxl import form
from kbbxl.cellscan import scan_sheets
from kbbxl.ingest import read_form
from kbbxl.libreoffice import convert_many

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def resaved(libreoffice, example_dir, tmp_path_factory):
    """The example inbox and a canary, opened, recalculated and saved as xlsx by LibreOffice."""
    src = tmp_path_factory.mktemp("src")
    forms = sorted((example_dir / "inbox").glob("*.xlsx"))
    # The canary's formula carries a wrong cached value: if LibreOffice did not recalculate,
    # every comparison below would pass for the wrong reason.
    canary = src / "canary.xlsx"
    wb = xlsxwriter.Workbook(str(canary))
    ws = wb.add_worksheet("S")
    ws.write_number(0, 0, 2)
    ws.write_formula(0, 1, "=A1*21", None, 999)
    wb.close()
    out = tmp_path_factory.mktemp("lo")
    results = convert_many([*forms, canary], "xlsx", out)
    return dict(zip(forms, results[:-1], strict=True)), results[-1]


def _grid(path, sheet):
    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(
        sheet).to_python(skip_empty_area=False)


def _rc(ref):
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    col = 0
    for ch in m[1]:
        col = col * 26 + ord(ch) - 64
    return int(m[2]) - 1, col - 1


def test_every_cached_value_is_what_libreoffice_computes(resaved):
    pairs, canary = resaved
    assert _grid(canary, "S")[0][1] == 42  # LibreOffice did recalculate
    checked = 0
    for ours, theirs in pairs.items():
        for sheet, xml in scan_sheets(ours).items():
            formulas = [r for r, c in xml.cells.items() if c.formula]
            if not formulas:
                continue
            mine, lo = _grid(ours, sheet), _grid(theirs, sheet)
            for ref in formulas:
                r, c = _rc(ref)
                assert mine[r][c] == lo[r][c], (ours.name, sheet, ref)
                checked += 1
    # 99 cards: a row total per activity row and six Genel Toplam cells
    assert checked >= 99 * (20 + 5)


def test_a_form_resaved_by_libreoffice_reads_back_identically(resaved):
    pairs, _ = resaved
    for ours, theirs in pairs.items():
        a, b = read_form(ours), read_form(theirs)
        assert b.findings == [] and b.meta == a.meta and b.fingerprint == a.fingerprint
        assert [(c.sheet, c.target, c.header, c.indicators, c.activities, c.totals)
                for c in b.cards] == [
            (c.sheet, c.target, c.header, c.indicators, c.activities, c.totals) for c in a.cards]
    # the hidden metadata sheet stays hidden (not "very hidden", which LibreOffice rewrites)
    sheets = python_calamine.CalamineWorkbook.from_path(str(theirs)).sheets_metadata
    assert [s.visible for s in sheets if s.name == form.META_SHEET] == [
        python_calamine.SheetVisibleEnum.Hidden]


def _values(rows):
    return [{k: c.value for k, c in r.cells.items()} for r in rows]


def test_rows_inserted_in_both_tables_by_libreoffice(libreoffice, example_dir, program, tmp_path):
    src = tmp_path / "2021_ULASIM.xlsx"
    shutil.copy(example_dir / "inbox" / src.name, src)
    before = read_form(src)
    card = before.cards[0]
    assert len(card.indicators) >= 2 and len(card.activities) >= 2
    ind_row, act_row = card.indicators[1].row, card.activities[1].row  # 1-based
    # three rows between the first two indicators, two between the first two activities,
    # and a new activity typed into one of them (no row-total formula: LibreOffice does not
    # copy it into an inserted row)
    new_act = act_row + 3 + 1
    edited = insert_rows(
        src, tmp_path / "inserted.xlsx", card.sheet, [(act_row - 1, 2), (ind_row - 1, 3)],
        {f"B{new_act}": "Eklenen faaliyet", f"C{new_act}": 1000},
    )
    after = read_form(edited)
    assert after.findings == [] and after.fingerprint == before.fingerprint
    got = after.cards[0]
    assert _values(got.indicators) == _values(card.indicators)
    assert [r.row for r in got.indicators] == [card.indicators[0].row] + [
        r.row + 3 for r in card.indicators[1:]]
    added = [r for r in got.activities if r.value("name") == "Eklenen faaliyet"]
    assert len(added) == 1 and added[0].value("ec03") == 1000 and added[0].row == new_act
    assert _values([r for r in got.activities if r is not added[0]]) == _values(card.activities)
    # Genel Toplam's SUM ranges grew over the inserted rows: LibreOffice's total includes it
    assert got.totals.value("ec03") == card.totals.value("ec03") + 1000
    assert got.totals.row == card.totals.row + 5
    assert [(_values(c.indicators), _values(c.activities)) for c in after.cards[1:]] == [
        (_values(c.indicators), _values(c.activities)) for c in before.cards[1:]]
