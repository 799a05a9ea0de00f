"""kbbxl.xlsx: text is written as text, whatever it looks like."""

from __future__ import annotations

from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from kbbxl.fastsheet import FastWorksheet
from kbbxl.xlsx import new_workbook, write_text

TEXTS = ["<r>x</r>", "<r><t>gizli</t></r>", "<r></t></is></c></row></r>", "<r>", "a<r>b</r>",
         "=1+1", "http://örnek.gov.tr", "0012", " boşluklu ", "çok\nsatırlı"]


@pytest.mark.parametrize("constant_memory", [False, True])
@pytest.mark.parametrize("worksheet_class", [None, FastWorksheet])
def test_text_reads_back_as_written(tmp_path: Path, constant_memory: bool,
                                    worksheet_class: type | None) -> None:
    """Text shaped like xlsxwriter's ready rich-text XML ("<r>...</r>") too: it was written
    unescaped, so the cell showed nothing or a fragment, or the file needed repair."""
    path = tmp_path / "t.xlsx"
    wb = new_workbook(path, constant_memory=constant_memory)
    if worksheet_class is not None:
        wb.worksheet_class = worksheet_class
    ws = wb.add_worksheet()
    fmt = wb.add_format({"bold": True, "font_size": 10})
    for row, text in enumerate(TEXTS):
        write_text(ws, row, 0, text)
        write_text(ws, row, 1, text, fmt)
    wb.close()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows == [[text, text] for text in TEXTS]
