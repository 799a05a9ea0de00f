"""FastWorksheet writes the same bytes as xlsxwriter's Worksheet, for every kind of cell."""

from __future__ import annotations

import datetime
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
from xlsxwriter.worksheet import Worksheet

from kbbxl.fastsheet import FastWorksheet
from kbbxl.xlsx import new_workbook, write_text

TEXTS = [
    "düz metin", " baştaki boşluk", "sondaki boşluk ", "\u00a0bölünmez", "satır\nsonu",
    "a & b < c > d \"tırnak\"", "kontrol\x01karakteri", "_x0041_ kaçış", "olmayan\ufffe",
    "sekme\t", "<r>zengin değil</r>", "<r><t>x</t></r>", "İçİçe ığüşöç", "=1+1", "0012",
    "x" * 40_000,
]
FORMULA_VALUES = [0, 0.1, 1234567.891, -5, 1e20, True, False, "", "#N/A", "#DIV/0!", "Tamam",
                  "a & <b>", None]


def _build(path: Path, worksheet_class: type, constant_memory: bool) -> None:
    wb = new_workbook(path, constant_memory=constant_memory)
    wb.worksheet_class = worksheet_class
    ws = wb.add_worksheet("Veri")
    bold, money = wb.add_format({"bold": True}), wb.add_format({"num_format": "#,##0.00"})
    ws.set_column(3, 3, 12, money)  # column format for unformatted cells
    ws.set_column(5, 6, 30)
    ws.freeze_panes(1, 0)
    row = 0
    for n, text in enumerate(TEXTS):
        ws.set_row(row, 30 if n % 3 == 0 else None, bold if n % 4 == 0 else None)
        ws.write_string(row, 0, text, bold if n % 2 else None)
        ws.write_number(row, 1, [0, 1, -2.5, 1 / 3, 12345678901234567890, Fraction(1, 4),
                                 1e-300, 7][n % 8], money if n % 2 else None)
        ws.write_blank(row, 2, None, money)
        ws.write_number(row, 3, n)  # takes the column's format
        value = FORMULA_VALUES[n % len(FORMULA_VALUES)]
        ws.write_formula(row, 4, f'=IF(A{row + 1}<>"",B{row + 1}&"<x>",0)', bold, value)
        row += 1
    ws.write_rich_string(row, 0, "kalın ", bold, "zengin", " metin")
    ws.write_datetime(row, 1, datetime.datetime(2021, 1, 2, 3, 4, 5), money)
    ws.write_boolean(row, 2, True)
    ws.write_array_formula(row, 4, row, 4, "{=SUM(B1:B3*D1:D3)}", bold, 7)
    row += 1
    ws.write_comment(row, 3, "not")
    ws.write_string(row, 8, "uzak sütun")
    row += 1
    ws.set_row(row + 2, 40)  # a formatted row without cells
    ws.merge_range(row + 3, 0, row + 3, 4, "birleşik", bold)
    # FastWorksheet's own writers against the xlsxwriter calls they stand for
    fast = worksheet_class is FastWorksheet
    for r in range(row + 4, row + 7):
        if fast:
            ws.put_merged(r, 1, 4, bold)
            ws.put_blanks(r, 6, 9, money)
            ws.put_formula(r, 10, f"=SUM(B{r}:E{r})", money, 12.5)
        else:
            ws.merge_range(r, 1, r, 4, "", bold)
            for c in range(6, 10):
                ws.write_blank(r, c, None, money)
            ws.write_formula(r, 10, f"=SUM(B{r}:E{r})", money, 12.5)
        write_text(ws, r, 1, f"birleşik {r}", bold)
    row += 7
    for r in range(row + 4, row + 100):  # 16-row span blocks of different widths
        ws.write_number(r, (r // 16) % 4 + (r % 3), r)
        if r % 48 < 16:
            ws.write_formula(r, 11, f"=A{r}+1", None, r + 1)
    wb.close()


@pytest.mark.parametrize("constant_memory", [False, True])
def test_same_bytes_as_xlsxwriter(tmp_path: Path, constant_memory: bool) -> None:
    stock, fast = tmp_path / "stock.xlsx", tmp_path / "fast.xlsx"
    _build(stock, Worksheet, constant_memory)
    _build(fast, FastWorksheet, constant_memory)
    with zipfile.ZipFile(stock) as a, zipfile.ZipFile(fast) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name
        sheet = b.read("xl/worksheets/sheet1.xml").decode()
    # the comparison covered what it claims to: in-line strings only in constant memory
    assert ('t="inlineStr"' in sheet) is constant_memory
    assert 't="str"' in sheet and 't="b"' in sheet and 't="e"' in sheet
