"""The safe opener's fast paths (kbbxl.fastxml, sheet_extent's one search) answer exactly as
its element-by-element paths.

Compared on every file of the hostile corpus, on a form kbbxl writes and on the same form saved
by LibreOffice; the fast paths must also really be taken on those two clean forms (otherwise
the comparison would only compare the slow path with itself).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import build_corpus
import pytest
import ziptools as zt

from kbbxl import cellscan, fastxml, safety
from kbbxl.libreoffice import convert

FILE_CASES = list(build_corpus.CASES)


def _answers(path: Path) -> tuple[list[tuple[str, str, str, str]], Any, list[Any]]:
    inspection = safety.inspect_file(path)
    findings = [(f.code, f.sheet, f.cell, f.message) for f in inspection.findings]
    try:
        scanned: Any = cellscan.scan_sheets(path) if inspection.readable else None
    except Exception as exc:  # the element path raises on broken parts; so must the fast one
        scanned = ("raised", type(exc).__name__, str(exc))
    extents = []
    if inspection.readable:
        for name, data in _parts(path).items():
            if name.startswith("xl/worksheets/"):
                try:
                    extents.append(safety.sheet_extent(data))
                except Exception as exc:
                    extents.append(("raised", type(exc).__name__))
    return findings, scanned, extents


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    fast = _answers(path)
    with monkeypatch.context() as m:
        m.setattr(safety, "_read_xml_fast", lambda *_a: safety._SLOW)
        m.setattr(cellscan, "_scan_fast", lambda *_a: None)
        m.setattr(safety, "_PLAIN_VALUE_CELL", re.compile(rb"(?!)"))  # sheet_extent's
        m.setattr(safety, "in_small_box", lambda *_a: False)
        slow = _answers(path)
    return fast, slow


@pytest.mark.parametrize("name", FILE_CASES)
def test_fast_and_element_paths_agree_on_the_corpus(
    corpus: dict[str, build_corpus.Built], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = _both(corpus[name].path, monkeypatch)
    assert fast == slow


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.endswith((".xml", ".rels"))}


def _assert_fast_path_taken(path: Path) -> None:
    parts = _parts(path)
    sheets = [n for n in parts if n.startswith("xl/worksheets/")]
    assert sheets
    for name, data in parts.items():
        assert fastxml.parse_error(data) is None, name
        assert fastxml.string_stats(data) is not None, name
    for name in sheets:  # sheet_extent's one search covers every cell with content
        assert safety._plain_value_cells(parts[name]) is not None, name
        assert safety.in_small_box(parts[name], fastxml.shape(parts[name])), name
    formulas = 0
    for name in sheets:
        found = fastxml.sheet_cells(parts[name])
        assert found is not None, name
        formulas += sum(1 for cell in found[0] if cell[1])
    assert formulas > 0  # the cards' SUM totals were found


def test_a_generated_form_takes_the_fast_paths(
    corpus_base: build_corpus.Base, monkeypatch: pytest.MonkeyPatch
) -> None:
    _assert_fast_path_taken(corpus_base.path)
    fast, slow = _both(corpus_base.path, monkeypatch)
    assert fast == slow
    assert any(sheet.cells for sheet in fast[1].values())


def test_a_form_saved_by_libreoffice_takes_the_fast_paths(
    corpus_base: build_corpus.Base, tmp_path: Path, libreoffice: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved = convert(corpus_base.path, "xlsx", tmp_path / "lo", recalc=False)
    _assert_fast_path_taken(saved)
    fast, slow = _both(saved, monkeypatch)
    assert fast == slow


@pytest.mark.parametrize("text, expected", [
    (b'<a xmlns="x"><c r="A1"><f>SUM(A2:A3)</f><v>3</v></c></a>',
     [("A1", "SUM(A2:A3)", "3", "n")]),
    (b'<a><c r="B2" t="str"><f>"a&amp;b"</f><v>a&amp;b</v></c></a>',
     [("B2", '"a&b"', "a&b", "str")]),
    (b'<a><c r="C3" t="e"><v>#REF!</v></c><c r="C4"><f t="shared" si="0"/></c></a>',
     [("C3", None, "#REF!", "e"), ("C4", "", None, "n")]),
])
def test_sheet_cells_reads_formulas_and_errors(text: bytes, expected: list[tuple]) -> None:
    found = fastxml.sheet_cells(text)
    assert found is not None
    assert found[0] == expected


@pytest.mark.parametrize("text", [
    b"<a><!-- <c r='A1'><f>X</f></c> --></a>",
    b"<a><x:c xmlns:x='y' r='A1'><x:f>X</x:f></x:c></a>",
    b'<?xml version="1.0" encoding="ISO-8859-9"?><a/>',
])
def test_other_shapes_are_left_to_the_element_path(text: bytes) -> None:
    assert fastxml.sheet_cells(text) is None
    assert fastxml.string_stats(text) is None


_MAIN = fastxml.MAIN_NS


@pytest.mark.parametrize("text, expected", [
    (b'<worksheet xmlns="' + _MAIN + b'"><sheetData><row r="1"><c r="A1" s="1" t="s"><v>0</v>'
     b'</c><c r="B1" t="s"><v>7</v></c><c r="C1"><v>9</v></c></row></sheetData></worksheet>',
     (0, 7)),
    (b'<sst xmlns="' + _MAIN + b'" count="2"><si><t>a</t></si><si><t>b</t></si><si/></sst>',
     (3, -1)),
    (b'<Relationships xmlns="x"><c r="A1" t="s"><v>5</v></c></Relationships>', (0, -1)),
])
def test_string_stats_counts_strings_and_the_largest_index(text: bytes, expected: tuple) -> None:
    assert fastxml.string_stats(text) == expected


# --- shapes made to mislead the byte searches -----------------------------------------------------

_FAR = '<row r="1048576"><c s="0" r="XFD1048576"><v>1</v></c></row>'


def _append_rows(rows: str, after_sheet_data: str = "") -> Any:
    return lambda x: x.replace(b"</sheetData>",
                               (rows + "</sheetData>" + after_sheet_data).encode("utf-8"))


def _cell(b: build_corpus.Base, cell: str) -> Any:
    """A card's first activity amount replaced by `cell` (its address as {ref})."""
    ref = b.act(0, "ec03")
    return lambda x: re.sub(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)'.encode(),
                            cell.format(ref=ref).encode(), x, count=1)


#: name -> (edit of the first card's sheet part, the code the element path gives)
MISLEADING: dict[str, tuple[Any, str | None]] = {
    # a far cell whose address is not written first, beside a comment holding an unclosed
    # near cell: the count of closed cells still matches the count of plain ones
    "far-cell-and-a-cell-in-a-comment": (
        lambda b: _append_rows(_FAR, '<!--<c r="A1"><v>1</v>-->'), "sheet-too-large"),
    "far-cell-closed-with-a-space": (
        lambda b: _append_rows(_FAR.replace("</c>", "</c >")), "sheet-too-large"),
    "far-cell-with-a-prefixed-address-first": (
        lambda b: _append_rows('<row r="1048576"><c xmlns:q="urn:q" q:r="A1" r="XFD1048576">'
                               "<v>1</v></c></row>"), "sheet-too-large"),
    "far-cell-whose-value-is-not-the-first-child": (
        lambda b: _append_rows('<row r="1048576"><c r="XFD1048576"><extLst/><v>1</v></c></row>'),
        "sheet-too-large"),
    "far-cell-with-a-lower-case-address": (
        lambda b: _append_rows('<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>'),
        "sheet-too-large"),
    "far-cell-with-two-spaces-before-its-address": (
        lambda b: _append_rows(_FAR.replace('<c s="0" r=', '<c  r=')), "sheet-too-large"),
    "far-cell-without-an-address": (
        lambda b: _append_rows('<row r="1048576">' + '<c/>' * 800 + '<c><v>1</v></c></row>'),
        "sheet-too-large"),
    "string-type-as-a-character-reference": (
        lambda b: _cell(b, '<c r="{ref}" t="&#115;"><v>999999</v></c>'), "entry-corrupt"),
    "string-type-with-a-space-before-the-equals": (
        lambda b: _cell(b, '<c r="{ref}" t ="s"><v>999999</v></c>'), "entry-corrupt"),
    "string-type-after-a-tab": (
        lambda b: _cell(b, '<c r="{ref}"\tt="s"><v>999999</v></c>'), "entry-corrupt"),
    "string-type-with-a-tab-before-the-equals": (
        lambda b: _cell(b, '<c r="{ref}" t\t="s"><v>999999</v></c>'), "entry-corrupt"),
    "string-type-before-the-style": (
        lambda b: _cell(b, '<c r="{ref}" t="s" s="1"><v>999999</v></c>'), "entry-corrupt"),
    "string-type-inside-another-attribute": (
        lambda b: _cell(b, '<c r="{ref}" x=\' t="s"\'><v>999999</v></c>'), None),
    # calamine reads an index it cannot parse as string 0: a space or a non-ASCII digit
    # around the index must not pass as the number it looks like
    "string-index-between-spaces": (
        lambda b: _cell(b, '<c r="{ref}" t="s"><v> 3 </v></c>'), "entry-corrupt"),
    "string-index-in-arabic-indic-digits": (
        lambda b: _cell(b, '<c r="{ref}" t="s"><v>\u0663</v></c>'), "entry-corrupt"),
    "empty-string-cell-before-a-value": (
        lambda b: _cell(b, '<c r="{ref}" t="s"/><v>999999</v>'), None),
    "error-type-as-a-character-reference": (
        lambda b: _cell(b, '<c r="{ref}" t="&#101;"><v>#REF!</v></c>'), None),
    "formula-type-as-a-character-reference": (
        lambda b: _cell(b, '<c r="{ref}" t="&#115;tr"><f>"a"</f><v>a</v></c>'), None),
    "hidden-row-with-a-greater-than-sign-before": (
        lambda b: lambda x: zt.hide_row(x, int(b.act(0, "seq")[1:])).replace(
            b' hidden="1"', b' x="&gt;>" hidden="1"', 1), None),
    "hidden-row-with-a-space-before-the-equals": (
        lambda b: lambda x: zt.hide_row(x, int(b.act(0, "seq")[1:])).replace(
            b' hidden="1"', b' hidden ="1"', 1), None),
}


_SHEET = b'<worksheet xmlns="' + _MAIN + b'"><cols><col min="1" max="2"/></cols><sheetData>'


@pytest.mark.parametrize("cells, small", [
    (b'<row r="1"><c r="A1" s="1"/><c r="ZZ999"><v>1</v></c></row>', True),
    (b"", True),
    (b'<row r="1"><c r="AAA1"/></row>', False),  # an empty cell counts too: the box is a bound
    (b'<row r="1000"><c r="A1000"><v>1</v></c></row>', False),
    (b'<row r="1"><c r="A01"><v>1</v></c></row>', False),
    (b'<row r="1"><c r="a1"><v>1</v></c></row>', False),
    (b'<row r="1"><c><v>1</v></c></row>', False),
    (b'<row r="1"><c s="1" r="A1"><v>1</v></c></row>', False),
    (b'<row r="1"><c  r="A1"><v>1</v></c></row>', False),
    (b'<row r="1"><c\tr="A1"><v>1</v></c></row>', False),
])
def test_the_small_box_search_answers_only_for_cells_written_with_a_small_address_first(
    cells: bytes, small: bool
) -> None:
    data = _SHEET + cells + b"</sheetData></worksheet>"
    assert fastxml.parse_error(data) is None
    assert safety.in_small_box(data, fastxml.shape(data)) is small
    if small:
        rows, cols, _far = safety.sheet_extent(data)
        assert rows <= 999 and cols <= 702
    comment = data.replace(b"<sheetData>", b"<sheetData><!-- -->")
    assert not safety.in_small_box(comment, fastxml.shape(comment))  # no shape: no answer


@pytest.mark.parametrize("name", list(MISLEADING))
def test_shapes_that_mislead_byte_searches_take_the_element_path(
    corpus_base: build_corpus.Base, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_edit, code = MISLEADING[name]
    path = tmp_path / f"{name}.xlsx"
    zt.rewrite(corpus_base.path, path, {corpus_base.part(): make_edit(corpus_base)})
    data = _parts(path)[corpus_base.part()]
    assert fastxml.parse_error(data) is None  # well-formed: only the searches could be misled
    fast, slow = _both(path, monkeypatch)
    assert fast == slow
    assert [f[0] for f in fast[0]] == ([code] if code else [])
    if code is None:  # readable: the scan sees what the element path sees
        assert fast[1] is not None
