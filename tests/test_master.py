"""The master workbook's structure: sheets, data tables, plan inputs, extra sheets, read-back."""

from __future__ import annotations

import dataclasses
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from master_helpers import grid, set_number, sheet_part

from kbbxl import master as master_module
from kbbxl.cli import cli
from kbbxl.errors import KbbxlError
from kbbxl.master import ExtraSheet, build_report, read_master, write_master
from kbbxl.model import Activity, CardData

TABLE_SHEETS = ("Özet", "İdare Performans Tablosu", "Dairelere Göre", "Toplam Kaynak İhtiyacı",
                "Performans Hedefi Kartları")
DATA_SHEETS = ("Hedefler", "Göstergeler", "Faaliyetler")
HIDDEN_PLAN_SHEETS = ("Birimler", "Dönüşüm Alanları", "Hizmet Alanları", "Stratejik Amaçlar",
                      "Stratejik Hedefler", "Performans Hedefleri")


@pytest.fixture(scope="module")
def master(example, tmp_path_factory) -> Path:
    program, data = example
    path = tmp_path_factory.mktemp("master") / "master.xlsx"
    extras = [ExtraSheet("Kontrol", ["Birim", "Okunan", "Yazılan"],
                         [["ULASIM", 28, 28], ["=1+1", None, "0012"]], widths=[20, 10, 10])]
    write_master(path, program, data, submission_status={"ULASIM": "Tamam", "FEN": "Hatalı"},
                 extra_sheets=extras)
    return path


@pytest.fixture(scope="module")
def workbook(master: Path) -> openpyxl.Workbook:
    """The full openpyxl model (tables, sheet states, filters), loaded once: it takes seconds."""
    return openpyxl.load_workbook(master)


@pytest.fixture(scope="module")
def formulas(master: Path) -> dict:
    return grid(master, data_only=False)


@pytest.fixture(scope="module")
def values(master: Path) -> dict:
    return grid(master, data_only=True)


def _sorted(data: CardData) -> tuple[list, list]:
    key = lambda r: (r.target, r.seq)  # noqa: E731
    return sorted(data.indicators, key=key), sorted(data.activities, key=key)


def test_sheet_order_and_visibility(workbook: openpyxl.Workbook) -> None:
    wb = workbook
    names = wb.sheetnames
    assert names[: len(TABLE_SHEETS) + len(DATA_SHEETS) + 1] == [
        *TABLE_SHEETS, *DATA_SHEETS, "Kontrol"]
    assert {"Genel", "Genel Yönetim", *HIDDEN_PLAN_SHEETS} <= set(names)
    for name in names:
        expected = "hidden" if name in HIDDEN_PLAN_SHEETS else "visible"
        assert wb[name].sheet_state == expected, name
    assert wb.active.title == "Özet"


def test_data_sheets_are_filterable_tables_without_table_formulas(
    master: Path, workbook: openpyxl.Workbook, example
) -> None:
    program, data = example
    wb = workbook
    counts = {"Hedefler": len(program.targets), "Göstergeler": len(data.indicators),
              "Faaliyetler": len(data.activities)}
    for sheet, count in counts.items():
        ws = wb[sheet]
        (table,) = ws.tables.values()
        last_col = openpyxl.utils.get_column_letter(ws.max_column)
        assert table.ref == f"A1:{last_col}{count + 1}"
        assert table.autoFilter is not None
        assert ws.max_row == count + 1
    header = [c.value for c in wb["Faaliyetler"][1]]
    assert header[:5] == ["Performans Hedefi Kodu", "Sıra", "Faaliyet Adı", "Sorumlu Birim",
                          "Birim Kodu"]
    assert header[5:14] == [
        "01 Personel Giderleri", "02 Sosyal Güvenlik Kurumlarına Devlet Primi Giderleri",
        "03 Mal ve Hizmet Alım Giderleri", "04 Faiz Giderleri", "05 Cari Transferler",
        "06 Sermaye Giderleri", "07 Sermaye Transferleri", "08 Borç Verme", "09 Yedek Ödenekler"]
    assert header[14:] == ["Bütçe Dışı", "Bütçe İçi", "Toplam", "Kaynak Dosya", "Kaynak Sayfa",
                           "Kaynak Satır"]
    assert [c.value for c in wb["Göstergeler"][1]][4:7] == ["2019", "2020*", "2021 Yılı Hedefi"]
    # LibreOffice 7.4 breaks table column formulas: the tables must not carry any.
    with zipfile.ZipFile(master) as zf:
        tables = [n for n in zf.namelist() if n.startswith("xl/tables/")]
        assert len(tables) == 3
        for name in tables:
            assert b"calculatedColumnFormula" not in zf.read(name)


def test_activity_rows_total_their_amounts(formulas: dict, values: dict, example) -> None:
    _, data = example
    f, v = formulas["Faaliyetler"], values["Faaliyetler"]
    for r in range(2, len(data.activities) + 2):
        assert f[f"P{r}"] == f"=SUM(F{r}:N{r})"
        assert f[f"Q{r}"] == f"=P{r}+O{r}"
        amounts = sum(v.get(f"{col}{r}", 0) for col in "FGHIJKLMN")
        assert v[f"P{r}"] == pytest.approx(amounts)
        assert v[f"Q{r}"] == pytest.approx(amounts + v[f"O{r}"])


def test_read_master_gives_back_program_and_cards(master: Path, example) -> None:
    program, data = example
    program2, data2 = read_master(master)
    assert program2 == program
    assert _sorted(data2) == _sorted(data)


def test_extra_sheet_text_stays_text(workbook: openpyxl.Workbook) -> None:
    ws = workbook["Kontrol"]
    assert [c.value for c in ws[1]] == ["Birim", "Okunan", "Yazılan"]
    assert ws["A3"].value == "=1+1" and ws["A3"].data_type == "s"
    assert ws["C3"].value == "0012" and ws["C3"].data_type == "s"
    assert ws["B2"].value == 28 and ws["B2"].data_type == "n"
    assert ws.auto_filter.ref == "A1:C3"


def test_summary_shows_submission_status(master: Path, example, tmp_path: Path) -> None:
    program, data = example

    def statuses(path: Path) -> dict[str, str]:
        cells = grid(path, data_only=False)["Özet"]
        start = next(int(k[1:]) for k, v in cells.items() if v == "Daire Adı" and k[0] == "A")
        rows = range(start + 1, start + 1 + len(program.departments))
        return {cells[f"A{r}"]: cells[f"B{r}"] for r in rows}

    shown = statuses(master)
    assert shown["Ulaşım Dairesi Başkanlığı"] == "Tamam"
    assert shown["Fen İşleri Dairesi Başkanlığı"] == "Hatalı"
    assert shown["Zabıta Dairesi Başkanlığı"] == "—"
    assert list(shown) == [d.name for d in program.departments]
    plain = write_master(tmp_path / "m.xlsx", program, data)
    assert set(statuses(plain).values()) == {"—"}


def test_unknown_target_is_refused_and_nothing_is_written(example, tmp_path: Path) -> None:
    program, data = example
    stray = Activity("KE/PH.9.9.9", 1, "Plansız faaliyet", {"03": 1.0})
    target = tmp_path / "master.xlsx"
    with pytest.raises(KbbxlError, match="KE/PH.9.9.9"):
        write_master(target, program, CardData(data.indicators, (*data.activities, stray)))
    assert list(tmp_path.iterdir()) == []


def test_formulas_use_plain_references_only(workbook: openpyxl.Workbook) -> None:
    forbidden = re.compile(r"\[|@|XLOOKUP|_xlfn|SUBTOTAL|INDIRECT|OFFSET", re.IGNORECASE)
    seen = 0
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    seen += 1
                    assert not forbidden.search(c.value), (ws.title, c.coordinate, c.value)
    assert seen > 3000


def test_every_number_in_the_tables_is_a_formula(workbook: openpyxl.Workbook) -> None:
    """A pasted constant would not follow a change in Faaliyetler."""
    formulas = 0
    for name in TABLE_SHEETS:
        for row in workbook[name].iter_rows():
            for c in row:
                assert not isinstance(c.value, int | float), (name, c.coordinate, c.value)
                formulas += c.data_type == "f"
    assert formulas > 2000


def test_constant_memory_master_has_the_same_cells(example, tmp_path: Path, monkeypatch) -> None:
    """Large masters are written row by row; the cells must not change."""
    program, data = example
    normal = write_master(tmp_path / "normal.xlsx", program, data)
    monkeypatch.setattr(master_module, "LARGE_MASTER_ROWS", 0)
    large = write_master(tmp_path / "large.xlsx", program, data)
    for data_only in (False, True):
        a, b = grid(normal, data_only=data_only), grid(large, data_only=data_only)
        assert list(a) == list(b)
        for sheet in a:
            assert a[sheet] == b[sheet], sheet
    # No Excel tables in that mode (xlsxwriter lacks them there), but the filters stay.
    with zipfile.ZipFile(large) as zf:
        assert not [n for n in zf.namelist() if n.startswith("xl/tables/")]
        part = zf.read(sheet_part(zf, "Faaliyetler")).decode()
    assert '<autoFilter ref="A1:T292"/>' in part


def test_master_working_files_stay_beside_it(example, tmp_path: Path, monkeypatch) -> None:
    """xlsxwriter's working files (GBs at national scale) never go to the system temp folder,
    and none is left behind."""
    import tempfile

    program, data = example
    monkeypatch.setattr(master_module, "LARGE_MASTER_ROWS", 0)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-folder"))
    out = tmp_path / "out"
    out.mkdir()
    written = write_master(out / "master.xlsx", program, data)
    assert sorted(p.name for p in out.iterdir()) == ["master.xlsx"]
    with zipfile.ZipFile(written) as zf:
        assert zf.testzip() is None


def test_report_command_rebuilds_from_edited_data(master: Path, example, tmp_path: Path) -> None:
    """Finance types a new amount into Faaliyetler; `kbbxl report` rebuilds every table."""
    program, data = example
    faaliyetler = grid(master, data_only=True)["Faaliyetler"]
    row = next(int(k[1:]) for k, v in faaliyetler.items()
               if v == "Toplu Taşımayı Geliştirme Projeleri")
    edited = tmp_path / "edited.xlsx"
    old = set_number(master, edited, "Faaliyetler", f"K{row}", 300_000_000 + 1_234_567)
    assert old == 300_000_000

    out = tmp_path / "rebuilt.xlsx"
    result = CliRunner().invoke(cli, ["report", str(edited), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"Tablolar yeniden kuruldu: {out}\n"
    program2, data2 = read_master(out)
    assert program2 == program
    changed = [a for a in data2.activities if a.name == "Toplu Taşımayı Geliştirme Projeleri"]
    assert changed[0].amounts["06"] == 301_234_567

    def grand_total(cells: dict) -> float:
        ipt = cells["İdare Performans Tablosu"]
        (row,) = [k[1:] for k, v in ipt.items() if v == "Genel Toplam"]
        return ipt[f"F{row}"]

    rebuilt = grid(out, data_only=True)
    assert grand_total(rebuilt) == grand_total(grid(master, data_only=True)) + 1_234_567
    # The summary status and the merge's sheets come along.
    assert rebuilt["Kontrol"]["A3"] == "=1+1"
    assert "Hatalı" in rebuilt["Özet"].values()

    again = CliRunner().invoke(cli, ["report", str(edited), "-o", str(out)])
    assert again.exit_code == 2
    assert "--force" in again.output


def test_report_names_a_bad_cell(master: Path, tmp_path: Path) -> None:
    edited = tmp_path / "edited.xlsx"
    set_number(master, edited, "Faaliyetler", "H2", -5)
    with pytest.raises(KbbxlError, match=r"Faaliyetler / H2: tutar negatif olamaz"):
        build_report(edited, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_activity_without_amounts_round_trips(example, tmp_path: Path) -> None:
    """Codes an activity does not have stay blank; off-budget amounts survive."""
    program, data = example
    first = data.activities[0]
    odd = dataclasses.replace(first, amounts={"01": 5.5}, off_budget=7.0)
    data = CardData(data.indicators, (odd, *data.activities[1:]))
    path = write_master(tmp_path / "m.xlsx", program, data)
    _, back = read_master(path)
    assert _sorted(back) == _sorted(data)
