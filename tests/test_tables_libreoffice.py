"""The master in a real client: LibreOffice recalculates it, follows an edit, and prints it.

One LibreOffice start recalculates two files (the master, and a copy in which one Faaliyetler
amount was changed inside the sheet XML with every cached result left old); one more prints
the master to PDF.
"""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import pytest
from master_helpers import grid, set_number

from kbbxl.libreoffice import convert, convert_many
from kbbxl.master import write_master
from kbbxl.textdata import read_text_cards, read_text_plan

pytestmark = pytest.mark.libreoffice

IPT = "İdare Performans Tablosu"
ACTIVITY = "Toplu Taşımayı Geliştirme Projeleri"  # KE/PH.1.2.1, 300.000.000 TL under code 06
DELTA = 1_234_567.5
ERRORS = re.compile(r"^(#(NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A)|Err:\d+)")


@pytest.fixture(scope="module")
def files(libreoffice: str, example_dir: Path, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("lo")
    program, data = read_text_plan(example_dir), read_text_cards(example_dir)
    original = write_master(folder / "original.xlsx", program, data)
    faaliyetler = grid(original, data_only=True)["Faaliyetler"]
    (row,) = [k[1:] for k, v in faaliyetler.items() if v == ACTIVITY]
    changed = folder / "changed.xlsx"
    old = set_number(original, changed, "Faaliyetler", f"K{row}", 300_000_000 + DELTA)
    assert old == 300_000_000
    lo_original, lo_changed = convert_many([original, changed], "xlsx", folder / "lo")
    return {"original": original, "lo_original": lo_original, "lo_changed": lo_changed}


def _numbers_equal(a: object, b: object) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)  # type: ignore[arg-type]


def test_libreoffice_recalculates_every_cached_value(files: dict[str, Path]) -> None:
    ours = grid(files["original"], data_only=True)
    formulas = grid(files["original"], data_only=False)
    theirs = grid(files["lo_original"], data_only=True)
    compared = 0
    for sheet, cells in ours.items():
        for coord, value in cells.items():
            other = theirs[sheet].get(coord)
            if isinstance(value, int | float) and not isinstance(value, bool):
                assert isinstance(other, int | float), (sheet, coord, value, other)
                assert _numbers_equal(value, other), (sheet, coord, value, other)
                compared += 1
            elif str(formulas[sheet].get(coord, "")).startswith("="):
                assert other == value, (sheet, coord, value, other)  # text results ("-")
                compared += 1
    for sheet, cells in theirs.items():
        for coord, value in cells.items():
            assert not (isinstance(value, str) and ERRORS.match(value)), (sheet, coord, value)
    assert compared > 5000
    # A LibreOffice re-save keeps the data tables and their plain formulas.
    with zipfile.ZipFile(files["lo_original"]) as zf:
        assert len([n for n in zf.namelist() if n.startswith("xl/tables/")]) == 3
    assert grid(files["lo_original"], data_only=False)["Faaliyetler"]["Q2"] == "=P2+O2"


def test_one_changed_amount_moves_every_total_by_exactly_that_amount(
        files: dict[str, Path]) -> None:
    before = grid(files["original"], data_only=True)
    after = grid(files["lo_changed"], data_only=True)

    def row_where(sheet: str, col: str, value: object, start: int = 1) -> int:
        return min(int(k[len(col):]) for k, v in before[sheet].items()
                   if v == value and re.fullmatch(rf"{col}\d+", k) and int(k[len(col):]) >= start)

    fa = row_where("Faaliyetler", "C", ACTIVITY)
    he = row_where("Hedefler", "A", "KE/PH.1.2.1")
    ipt = {label: row_where(IPT, col, label) for col, label in (
        ("B", ACTIVITY), ("A", "ULAŞIM HİZMETLERİ"), ("A", "KENTSEL DÖNÜŞÜM"),
        ("A", "Performans Hedefleri Maliyet Toplamı"), ("A", "Genel Toplam"))}
    dept = row_where("Dairelere Göre", "A", "Ulaşım Dairesi Başkanlığı")
    dept_total = row_where("Dairelere Göre", "A", "Genel Toplam")
    tki = row_where("Toplam Kaynak İhtiyacı", "A", "6- Sermaye Giderleri")
    tki_total = row_where("Toplam Kaynak İhtiyacı", "A", "Toplam Kaynak İhtiyacı")
    card = row_where("Performans Hedefi Kartları", "B", ACTIVITY)
    card_total = row_where("Performans Hedefi Kartları", "A", "Genel Toplam (TL)", card)
    area = row_where("Özet", "D", "Ulaşım Hizmetleri")
    expected = {
        ("Faaliyetler", f"{c}{fa}") for c in "KPQ"} | {
        ("Hedefler", f"M{he}")} | {
        (IPT, f"{c}{r}") for r in ipt.values() for c in "EF"} | {
        ("Dairelere Göre", f"E{dept}"), ("Dairelere Göre", f"E{dept_total}")} | {
        ("Toplam Kaynak İhtiyacı", f"{c}{r}") for r in (tki, tki_total) for c in "BE"} | {
        ("Performans Hedefi Kartları", f"{c}{r}") for r in (card, card_total) for c in "EF"} | {
        ("Özet", "B5"), ("Özet", "B7"), ("Özet", f"E{area}")}

    moved, other_changes = set(), []
    for sheet, cells in before.items():
        for coord, old in cells.items():
            new = after[sheet].get(coord)
            if not isinstance(old, int | float) or (sheet == IPT and coord[0] == "G"):
                continue
            if _numbers_equal(new, old + DELTA):
                moved.add((sheet, coord))
            elif not _numbers_equal(new, old):
                other_changes.append((sheet, coord, old, new))
    assert other_changes == []
    assert moved == expected

    # Shares follow: each is its row's Bütçe İçi over the new Genel Toplam.
    grand = after[IPT][f"E{ipt['Genel Toplam']}"]
    assert grand == pytest.approx(3_400_000_000 + DELTA)
    shares = 0
    for coord, share in after[IPT].items():
        r = coord[1:]
        if coord[0] == "G" and int(r) >= 5:
            assert share == pytest.approx(after[IPT][f"E{r}"] / grand), coord
            shares += 1
    assert shares > 300
    assert after[IPT][f"G{ipt[ACTIVITY]}"] == pytest.approx((300_000_000 + 30_000_000 + DELTA)
                                                            / (3_400_000_000 + DELTA))
    # The summary notices that the Genel Toplam no longer equals the budget.
    assert after["Özet"]["B7"] == pytest.approx(DELTA)
    assert after["Özet"]["B8"].startswith("UYUMSUZ")


def test_master_prints_to_a_sane_number_of_pages(files: dict[str, Path],
                                                 tmp_path: Path) -> None:
    """LibreOffice 7.4 prints the example master on 64 A4 landscape pages.

    Measured with the same data: without fit-to-width the wide sheets spill over several
    page columns and the count rises to 231; in portrait it falls to 35. The window 45–90
    catches both while leaving room for font metrics and small layout changes.
    """
    pdf = convert(files["original"], "pdf", tmp_path)
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))
    assert 45 <= pages <= 90, pages
