"""The consolidated tables against the figures PRINTED in the 2021 program (section II-D).

The expectations below are copied from the source document, not computed by kbbxl: the IPT
subtotal rows and their shares, the Toplam Kaynak İhtiyacı table per economic code and the
resource need per department of the Dairelere Göre table.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from master_helpers import grid

from kbbxl.master import write_master

IPT = "İdare Performans Tablosu"

# (Bütçe İçi = Toplam, Bütçe İçindeki Payı %) as printed, in the printed order.
PRINTED_IPT = [
    ("KENTSEL DÖNÜŞÜM", 1_374_956_700, 40.44),
    ("ULAŞIM HİZMETLERİ", 942_089_700, 27.71),
    ("SÜRDÜRÜLEBİLİR ÇEVRE HİZMETLERİ", 190_990_000, 5.62),
    ("İMAR VE ŞEHİRCİLİK HİZMETLERİ", 200_396_000, 5.89),
    ("KIRSAL VE TARIMSAL HİZMETLER", 27_158_000, 0.80),
    ("AFET YÖNETİMİ HİZMETLERİ", 14_143_000, 0.42),
    ("KENT VE TOPLUM DÜZENİ HİZMETLERİ", 180_000, 0.01),
    ("TOPLUMSAL DÖNÜŞÜM", 282_698_700, 8.31),
    ("KÜLTÜR VE TURİZM HİZMETLERİ", 37_744_000, 1.11),
    ("GENÇLİK, SPOR VE EĞİTİM HİZMETLERİ", 109_421_700, 3.22),
    ("SAĞLIK VE SOSYAL HİZMETLER", 135_533_000, 3.99),
    ("KURUMSAL DÖNÜŞÜM", 578_353_700, 17.01),
    ("KURUMSAL YÖNETİM HİZMETLERİ", 554_352_200, 16.30),
    ("AKILLI ŞEHİR HİZMETLERİ", 24_001_500, 0.71),
    ("Performans Hedefleri Maliyet Toplamı", 2_236_009_100, 65.76),
    ("Genel Yönetim Giderleri", 1_163_979_900, 34.23),
    ("Diğer İdarelere Transfer Edilecek Kaynaklar Toplamı", 11_000, 0.00),
    ("Genel Toplam", 3_400_000_000, 100.00),
]

# Toplam Kaynak İhtiyacı Tablosu: (PH costs, general administration, transfers, total).
PRINTED_RESOURCES = {
    "1- Personel Giderleri": (0, 339_844_036, 0, 339_844_036),
    "2- Sosyal Güvenlik Kurumlarına Devlet Primi Giderleri": (0, 53_371_932, 0, 53_371_932),
    "3- Mal ve Hizmet Alım Giderleri": (902_028_700, 28_977_282, 0, 931_005_982),
    "4- Faiz Giderleri": (0, 362_002_000, 0, 362_002_000),
    "5- Cari Transferler": (134_424_400, 73_791_000, 0, 208_215_400),
    "6- Sermaye Giderleri": (1_199_556_000, 56_203_040, 0, 1_255_759_040),
    "7- Sermaye Transferleri": (0, 81_645_100, 0, 81_645_100),
    "8- Borç Verme": (0, 0, 11_000, 11_000),
    "9- Yedek Ödenekler": (0, 168_145_510, 0, 168_145_510),
    "Toplam Kaynak İhtiyacı": (2_236_009_100, 1_163_979_900, 11_000, 3_400_000_000),
}

# Dairelere Göre Faaliyet Sayısı ve 2021 Yılı Kaynak İhtiyacı: resource need per department.
PRINTED_DEPARTMENTS = {
    "Basın Yayın ve Halkla İlişkiler Dairesi Başkanlığı": 21_692_000,
    "Bilgi İşlem Dairesi Başkanlığı": 17_299_700,
    "Çevre Koruma ve Kontrol Dairesi Başkanlığı": 57_790_000,
    "Destek Hizmetleri Dairesi Başkanlığı": 455_361_000,
    "Emlak ve İstimlak Dairesi Başkanlığı": 121_530_000,
    "Fen İşleri Dairesi Başkanlığı": 487_800_000,
    "Gençlik ve Spor Hizmetleri Dairesi Başkanlığı": 67_441_700,
    "İmar ve Şehircilik Dairesi Başkanlığı": 7_067_000,
    "İnsan Kaynakları ve Eğitim Dairesi Başkanlığı": 2_942_400,
    "İtfaiye Dairesi Başkanlığı": 13_673_000,
    "Kaynak Geliştirme ve İştirakler Dairesi Başkanlığı": 0,
    "Kent Tarihi ve Tanıtımı Dairesi Başkanlığı": 1_140_000,
    "Kültür ve Sosyal İşler Dairesi Başkanlığı": 51_635_000,
    "Mali Hizmetler Dairesi Başkanlığı": 96_600,
    "Muhtarlık İşleri Dairesi Başkanlığı": 27_878_000,
    "Park ve Bahçeler Dairesi Başkanlığı": 134_300_000,
    "Sağlık ve Sosyal Hizmetler Dairesi Başkanlığı": 118_000_000,
    "Ulaşım Dairesi Başkanlığı": 468_690_200,
    "Yapı Kontrol Dairesi Başkanlığı": 179_430_000,
    "Yazı İşleri ve Kararlar Dairesi Başkanlığı": 624_000,
    "Zabıta Dairesi Başkanlığı": 1_618_500,
    "Genel Toplam": 2_236_009_100,
}


@pytest.fixture(scope="module")
def master(example, tmp_path_factory) -> Path:
    program, data = example
    return write_master(tmp_path_factory.mktemp("tables") / "master.xlsx", program, data)


@pytest.fixture(scope="module")
def values(master: Path) -> dict:
    return grid(master, data_only=True)


@pytest.fixture(scope="module")
def formulas(master: Path) -> dict:
    return grid(master, data_only=False)


def rows_of(sheet: dict, first: int, cols: str) -> dict[int, list]:
    """Row number -> values of the given columns, for rows from `first` on."""
    numbers = sorted({int(re.sub(r"[A-Z]+", "", k)) for k in sheet})
    return {r: [sheet.get(f"{c}{r}") for c in cols] for r in numbers if r >= first}


def test_ipt_subtotals_are_the_printed_figures(values: dict) -> None:
    rows = rows_of(values[IPT], 5, "ABCDEFG")
    subtotals = [(v[0], v[4], v[5], v[6]) for v in rows.values() if v[1] is None]
    assert [s[0] for s in subtotals] == [p[0] for p in PRINTED_IPT]
    for (label, in_budget, total, share), (_, printed, printed_share) in zip(
            subtotals, PRINTED_IPT, strict=True):
        assert (in_budget, total) == (pytest.approx(printed), pytest.approx(printed)), label
        assert round(share * 100, 2) == printed_share, label


def test_shares_are_real_percentages(values: dict, workbook_formats) -> None:
    """330.000.000 of 3.400.000.000 is 9,71 % (the printed table shows 0,10)."""
    rows = rows_of(values[IPT], 5, "ABCDEFG")
    (share,) = [v[6] for v in rows.values() if v[1] == "Toplu Taşımayı Geliştirme Projeleri"]
    assert share == pytest.approx(330_000_000 / 3_400_000_000)
    assert workbook_formats == {"0.00%"}


@pytest.fixture(scope="module")
def workbook_formats(master: Path) -> set[str]:
    wb = openpyxl.load_workbook(master, read_only=True)
    try:
        rows = wb[IPT].iter_rows(min_row=5)
        return {row[6].number_format for row in rows if row[6].value is not None}
    finally:
        wb.close()


def test_every_activity_sits_under_its_own_cards_code(values: dict, formulas: dict,
                                                      example) -> None:
    program, data = example
    faaliyetler = values["Faaliyetler"]
    listed = []
    for r, (code, name, dept) in rows_of(values[IPT], 5, "ABC").items():
        if name is None:
            continue  # a subtotal row
        # The amounts point at the activity's own Faaliyetler row, whose code is the card's.
        ref = re.fullmatch(r"=Faaliyetler!P(\d+)", formulas[IPT][f"E{r}"])
        assert ref, formulas[IPT][f"E{r}"]
        assert faaliyetler[f"A{ref[1]}"] == code and faaliyetler[f"C{ref[1]}"] == name
        assert dept == program.department(program.target(code).department).name
        listed.append((code, name))
    assert Counter(listed) == Counter((a.target, a.name) for a in data.activities)
    # Rows the printed table shifted against their codes sit under their cards' codes here.
    codes = {name: code for code, name in listed}
    assert codes["Kapalı Otopark Yapımı"] == "KE/PH.1.5.3"  # printed under KE/PH.1.6.1
    assert codes["TIR Parkı Yapımı"] == "KE/PH.1.6.2"  # printed under KE/PH.1.7.1
    assert codes["Yeşil Alanlara Bisiklet Yolları Yapımı"] == "KE/PH.1.7.3"  # printed 1.8.1


def test_ipt_subtotals_are_formulas_over_the_table(formulas: dict, values: dict) -> None:
    f = formulas[IPT]
    rows = rows_of(values[IPT], 5, "AB")
    labels = {v[0]: r for r, v in rows.items() if v[1] is None}
    ulasim = labels["ULAŞIM HİZMETLERİ"]
    assert re.fullmatch(rf"=SUM\(E{ulasim + 1}:E\d+\)", f[f"E{ulasim}"])
    assert f[f"E{labels['Genel Yönetim Giderleri']}"] == "=SUM('Genel Yönetim'!$C$2:$C$10)"
    assert f[f"E{labels['Diğer İdarelere Transfer Edilecek Kaynaklar Toplamı']}"] == \
        "=SUM('Genel Yönetim'!$D$2:$D$10)"
    grand = labels["Genel Toplam"]
    assert f[f"G{ulasim}"] == f"=IF($E${grand}=0,0,E{ulasim}/$E${grand})"


def test_resource_table_is_the_printed_one(values: dict, formulas: dict) -> None:
    rows = rows_of(values["Toplam Kaynak İhtiyacı"], 4, "ABCDE")
    table = {v[0]: tuple(v[1:]) for v in rows.values()}
    assert list(table) == list(PRINTED_RESOURCES)
    for label, printed in PRINTED_RESOURCES.items():
        assert table[label] == pytest.approx(printed), label
    f = formulas["Toplam Kaynak İhtiyacı"]
    assert f["B6"] == "=SUM(Faaliyetler!$H$2:$H$292)"  # 03 over every activity
    assert f["C4"] == "='Genel Yönetim'!$C$2" and f["D11"] == "='Genel Yönetim'!$D$9"
    assert values["Toplam Kaynak İhtiyacı"]["B2"] == "KOCAELİ BÜYÜKŞEHİR BELEDİYESİ"


def test_departments_table_amounts_are_printed_and_counts_are_the_cards(
        values: dict, formulas: dict, example) -> None:
    program, data = example
    rows = rows_of(values["Dairelere Göre"], 4, "ABCDE")
    table = {v[0]: v[1:] for v in rows.values()}
    assert list(table) == list(PRINTED_DEPARTMENTS)
    for name, printed in PRINTED_DEPARTMENTS.items():
        assert table[name][3] == pytest.approx(printed), name
    # The printed counts disagree with the cards (DOMAIN.md); the table counts the cards.
    by_name = {d.name: d.code for d in program.departments}
    for name, code in by_name.items():
        owned = {t.code for t in program.targets_of(code)}
        assert table[name][:3] == [
            len(owned),
            sum(a.target in owned for a in data.activities),
            sum(i.target in owned for i in data.indicators),
        ], name
    assert table["Genel Toplam"][:3] == [99, 291, len(data.indicators)]
    f = formulas["Dairelere Göre"]
    ulasim = next(r for r, v in rows.items() if v[0] == "Ulaşım Dairesi Başkanlığı")
    assert f[f"C{ulasim}"] == '=COUNTIF(Faaliyetler!$E$2:$E$292,"=ULASIM")'
    assert f[f"E{ulasim}"] == \
        '=SUMIF(Faaliyetler!$E$2:$E$292,"=ULASIM",Faaliyetler!$Q$2:$Q$292)'


def test_summary_budget_check(values: dict, formulas: dict, example, tmp_path: Path) -> None:
    s = values["Özet"]
    assert (s["B5"], s["B6"], s["B7"], s["B8"]) == (3_400_000_000, 3_400_000_000, 0, "Tutarlı")
    assert formulas["Özet"]["B6"] == "=Genel!$B$3"
    # A plan whose budget differs: the check says so (and is painted red in Excel).
    import dataclasses

    program, data = example
    off = write_master(tmp_path / "m.xlsx", dataclasses.replace(program, budget=3_500_000_000),
                       data)
    s = grid(off, data_only=True)["Özet"]
    assert s["B7"] == -100_000_000
    assert s["B8"].startswith("UYUMSUZ")
    ws = openpyxl.load_workbook(off)["Özet"]
    (rule,) = [r for rng in ws.conditional_formatting for r in rng.rules]
    assert rule.formula == ["ROUND($B$7,2)<>0"]
    assert rule.dxf.fill.fgColor.rgb.endswith("FFC7CE") or rule.dxf.fill.bgColor.rgb.endswith(
        "FFC7CE")


def test_summary_area_table_and_charts(values: dict, master: Path) -> None:
    s = values["Özet"]
    areas = {s[f"D{r}"]: s[f"E{r}"] for r in range(6, 17)}
    assert areas["Ulaşım Hizmetleri"] == 942_089_700
    assert sum(areas.values()) == pytest.approx(2_236_009_100)
    import zipfile

    with zipfile.ZipFile(master) as zf:
        charts = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2
    assert any("'Dairelere Göre'!$E$4:$E$24" in c for c in charts)
    assert any("Özet!$E$6:$E$16" in c for c in charts)


def test_cards_follow_the_document(values: dict, example, master: Path) -> None:
    program, data = example
    cards = values["Performans Hedefi Kartları"]
    rows = rows_of(cards, 1, "ABCDEF")
    targets = [v[1].split(" ")[0] for v in rows.values() if v[0] == "Performans Hedefi"]
    assert len(targets) == len(program.targets) == len(set(targets))
    # Card totals: KE/PH.1.1.2 as printed; TO/PH.2.1.1, whose printed total disagrees with
    # its own rows, totals its rows.
    totals = {}
    current = None
    for v in rows.values():
        if v[0] == "Performans Hedefi":
            current = v[1].split(" ")[0]
        elif v[0] == "Genel Toplam (TL)":
            totals[current] = v[5]
    assert totals["KE/PH.1.1.2"] == 177_300_000
    assert totals["TO/PH.2.1.1"] == sum(a.total for a in data.activities
                                        if a.target == "TO/PH.2.1.1")
    assert sum(totals.values()) == pytest.approx(2_236_009_100)
    # A page break before every service area (above its axis heading for an axis's first).
    ws = openpyxl.load_workbook(master)["Performans Hedefi Kartları"]
    breaks = {b.id for b in ws.row_breaks.brk}  # a break below worksheet row `id` (1-based)
    axis_heading = re.compile(r"^\d\. ")
    areas = [r for r, v in rows.items() if isinstance(v[0], str) and re.match(r"^\d\.\d+\. ", v[0])]
    assert len(areas) == len(program.service_areas)
    expected = set()
    for r in areas:
        above = rows.get(r - 1, [None])[0]
        if isinstance(above, str) and axis_heading.match(above):
            if not above.startswith("1. "):
                expected.add(r - 2)
        else:
            expected.add(r - 1)
    assert breaks == expected
    assert len(breaks) == len(program.service_areas) - 1


def test_print_setup(master: Path) -> None:
    import zipfile

    from master_helpers import sheet_part

    with zipfile.ZipFile(master) as zf:
        for sheet in ("Özet", IPT, "Dairelere Göre", "Toplam Kaynak İhtiyacı",
                      "Performans Hedefi Kartları", "Hedefler", "Göstergeler", "Faaliyetler"):
            xml = zf.read(sheet_part(zf, sheet)).decode()
            assert 'paperSize="9"' in xml and 'orientation="landscape"' in xml, sheet
            assert 'fitToHeight="0"' in xml and "<pageSetUpPr fitToPage=\"1\"/>" in xml, sheet
            assert "Sayfa &amp;P / &amp;N" in xml, sheet
        names = zf.read("xl/workbook.xml").decode()
    assert "_xlnm.Print_Titles" in names
    assert f"'{IPT}'!$3:$4" in names and "Faaliyetler!$1:$1" in names
