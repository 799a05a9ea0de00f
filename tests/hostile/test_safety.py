"""kbbxl.safety on the hostile corpus: every broken file is named before any parser sees it."""

from __future__ import annotations

import xml.etree.ElementTree as StdET
import zipfile
from pathlib import Path

import build_corpus
import defusedxml
import pytest
import ziptools as zt

from kbbxl import cellscan, safety, zipentry
from kbbxl.report import issue_type

#: codes the reader's cell checks give; every other [safety] code comes from inspect_file
CELL_CODES = {"formula-cached", "formula-no-value", "error-value", "merged-input",
              "hidden-rows", "text-too-long", "control-characters"}
INSPECTION_CODES = safety._SAFETY - CELL_CODES
FILE_CASES = [n for n, (_s, _f) in build_corpus.CASES.items()]


def _expect(corpus: dict[str, build_corpus.Built], name: str) -> build_corpus.Expect:
    return corpus[name].expect


def test_corpus_is_large_and_varied(corpus: dict[str, build_corpus.Built]) -> None:
    assert len(corpus) >= 40
    codes = {b.expect.code for b in corpus.values()}
    assert len(codes) >= 25
    for built in corpus.values():
        assert built.path.is_file()


@pytest.mark.parametrize("name", FILE_CASES)
def test_inspection_names_the_file_problem(
    corpus: dict[str, build_corpus.Built], name: str
) -> None:
    built = corpus[name]
    result = safety.inspect_file(built.path)
    codes = [f.code for f in result.findings]
    expect = built.expect
    if expect.code in INSPECTION_CODES:
        # a problem of the file: exactly one finding, the expected one
        assert codes == [expect.code]
        finding = result.findings[0]
        assert (finding.sheet, finding.cell) == (expect.sheet, expect.cell)
        assert finding.message and "{" not in finding.message
        assert result.readable == (issue_type(expect.code).severity == "warning")
    else:
        # a problem inside the cells: the file itself is sound and goes to the reader
        assert codes == []
        assert result.readable
        assert result.workbook_part == "xl/workbook.xml"


CELL_CASES = [
    "formula-with-value", "formula-without-value", "error-ref", "error-div0-formula",
    "merged-input", "hidden-row",
]


@pytest.mark.parametrize("name", CELL_CASES)
def test_sheet_scan_names_the_cell(
    corpus: dict[str, build_corpus.Built], corpus_base: build_corpus.Base, name: str
) -> None:
    built = corpus[name]
    sheets = cellscan.scan_sheets(built.path, [corpus_base.sheet])
    found = cellscan.cell_findings(sheets[corpus_base.sheet], corpus_base.input_areas())
    # error values are the checks' "cell-error" in a merge; the scan's own code is error-value
    code = "error-value" if built.expect.code == "cell-error" else built.expect.code
    assert [(f.code, f.sheet, f.cell) for f in found] == [
        (code, built.expect.sheet, built.expect.cell)
    ]
    assert all(f.message and "{" not in f.message for f in found)


def test_clean_form_has_no_findings(corpus_base: build_corpus.Base) -> None:
    assert safety.inspect_file(corpus_base.path).findings == []
    sheets = cellscan.scan_sheets(corpus_base.path)
    assert corpus_base.sheet in sheets
    # the form's own formulas (row totals, Genel Toplam) are outside the input areas
    assert any(s.cells for s in sheets.values())
    for sheet in sheets.values():
        assert cellscan.cell_findings(sheet, corpus_base.input_areas()) == []


def test_formula_cached_value_and_text_are_reported(
    corpus: dict[str, build_corpus.Built], corpus_base: build_corpus.Base
) -> None:
    built = corpus["formula-with-value"]
    cell = cellscan.scan_sheets(built.path)[corpus_base.sheet].cells[built.expect.cell]
    assert (cell.formula, cell.cached, cell.error) == ("=1000+2000", 3000.0, None)
    bare = corpus["formula-without-value"]
    cell = cellscan.scan_sheets(bare.path)[corpus_base.sheet].cells[bare.expect.cell]
    assert (cell.formula, cell.cached) == ("=SUM(Z1:Z9)", None)


def test_limits_are_configurable(corpus_base: build_corpus.Base) -> None:
    small = safety.Limits(max_file_bytes=1000)
    assert [f.code for f in safety.inspect_file(corpus_base.path, small).findings] == [
        "file-too-large"
    ]
    few = safety.Limits(max_entries=3)
    assert [f.code for f in safety.inspect_file(corpus_base.path, few).findings] == [
        "too-many-entries"
    ]
    tight = safety.Limits(max_uncompressed_bytes=10_000)
    assert [f.code for f in safety.inspect_file(corpus_base.path, tight).findings] == [
        "zip-bomb"
    ]


def test_bomb_is_refused_without_inflating(
    corpus: dict[str, build_corpus.Built], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The declared-size bomb must be refused from the central directory: no entry is opened.
    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("an entry was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_open)
    monkeypatch.setattr(zipentry, "read_entry", no_open)
    result = safety.inspect_file(corpus["bomb-declared-size"].path)
    assert [f.code for f in result.findings] == ["zip-bomb"]


def test_defusedxml_is_active_everywhere(corpus: dict[str, build_corpus.Built]) -> None:
    safety.activate_defusedxml()
    assert safety.openpyxl_is_defused()
    bomb = zt.entries(corpus["billion-laughs"].path)["xl/sharedStrings.xml"]
    with pytest.raises(defusedxml.EntitiesForbidden):
        StdET.fromstring(bomb)


def test_inputs_are_never_modified(corpus: dict[str, build_corpus.Built]) -> None:
    for built in corpus.values():
        before = built.path.read_bytes()
        safety.inspect_file(built.path)
        assert built.path.read_bytes() == before


def test_cfb_directory_reader_on_a_minimal_file() -> None:
    data = zt.cfb({"EncryptionInfo": b"x", "EncryptedPackage": b"y" * 5000})
    assert safety.cfb_stream_names(data) == {"Root Entry", "EncryptionInfo", "EncryptedPackage"}
    with pytest.raises(ValueError):
        safety.cfb_stream_names(data[:100])


@pytest.mark.libreoffice
def test_real_client_files(libreoffice: str, corpus_base: build_corpus.Base,
                           tmp_path: Path) -> None:
    """LibreOffice's own .xls, .ods and re-saved .xlsx: named correctly, and no false alarm."""
    from kbbxl.libreoffice import convert

    xls = convert(corpus_base.path, "xls", tmp_path / "xls", recalc=False)
    ods = convert(corpus_base.path, "ods", tmp_path / "ods", recalc=False)
    xlsx = convert(corpus_base.path, "xlsx", tmp_path / "xlsx", recalc=False)
    assert "Workbook" in safety.cfb_stream_names(xls.read_bytes())
    assert [f.code for f in safety.inspect_file(xls).findings] == ["legacy-xls"]
    assert [f.code for f in safety.inspect_file(ods).findings] == ["opendocument"]
    assert safety.inspect_file(xlsx).findings == []
    sheets = cellscan.scan_sheets(xlsx, [corpus_base.sheet])
    assert cellscan.cell_findings(sheets[corpus_base.sheet], corpus_base.input_areas()) == []
