#!/usr/bin/env python3
"""Extract the 2021 Performance Program of Kocaeli Büyükşehir Belediyesi into CSV files.

What it does
------------
1. Reads ``source/2021-performans-programi.txt``: the published 2021 *Performans Programı*,
   converted from PDF to tab-separated text (a verbatim copy of the team's seed document).
2. Parses
   - section II-B "Amaç ve Hedefler"                  -> strategic goals and objectives,
   - section II-C "Performans Hedefleri ..." (cards)  -> axes, service areas, targets,
                                                          indicators, activities,
   - "Dairelere Göre Faaliyet Sayısı ..."              -> departments (order, counts, amounts),
   - "İdare Performans Tablosu ve Sorumlu Birimler"    -> subtotals, activity rows (for checks),
   - "Toplam Kaynak İhtiyacı Tablosu"                  -> general administration and transfers.
3. Applies the corrections listed in ``CORRECTIONS`` and ``ADDED_ACTIVITIES`` and the text
   repairs in ``TEXT_REPAIRS``; each is asserted against the source, so a changed source
   fails loudly instead of being silently "corrected".
4. Writes ``plan/*.csv`` and ``cards/*.csv`` (UTF-8, comma separated, header row, "\\n").
5. Verifies the extracted data against every published figure (see ``verify``), prints a
   summary, and exits with status 1 if a published figure is not reproduced or if the known,
   documented discrepancies (README.md) no longer match what the data shows.

The cards (section C) are the primary source.  Where the document disagrees with itself the
reading chosen is the one that makes a card's own "Genel Toplam" row, the İdare Performans
Tablosu and the Toplam Kaynak İhtiyacı Tablosu agree; every such choice is in ``CORRECTIONS``.

Usage (from the repository root; paths are relative to this file's folder)::

    python examples/kocaeli-2021/extract.py

Standard library only (Python 3.11).  Output is deterministic.
"""

from __future__ import annotations

import csv
import difflib
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source" / "2021-performans-programi.txt"
PLAN_DIR = HERE / "plan"
CARDS_DIR = HERE / "cards"

# ---------------------------------------------------------------------------------------------
# Fixed data that is not a table in the document
# ---------------------------------------------------------------------------------------------

# ASCII codes for the 21 departments (Daire Başkanlığı), keyed by the name used in the
# "Dairelere Göre" table.  The order of departments.csv is the order of that table.
DEPARTMENT_CODES = {
    "Basın Yayın ve Halkla İlişkiler Dairesi Başkanlığı": "BASIN",
    "Bilgi İşlem Dairesi Başkanlığı": "BILGIISLEM",
    "Çevre Koruma ve Kontrol Dairesi Başkanlığı": "CEVRE",
    "Destek Hizmetleri Dairesi Başkanlığı": "DESTEK",
    "Emlak ve İstimlak Dairesi Başkanlığı": "EMLAK",
    "Fen İşleri Dairesi Başkanlığı": "FEN",
    "Gençlik ve Spor Hizmetleri Dairesi Başkanlığı": "GENCLIK",
    "İmar ve Şehircilik Dairesi Başkanlığı": "IMAR",
    "İnsan Kaynakları ve Eğitim Dairesi Başkanlığı": "IK",
    "İtfaiye Dairesi Başkanlığı": "ITFAIYE",
    "Kaynak Geliştirme ve İştirakler Dairesi Başkanlığı": "KAYNAK",
    "Kent Tarihi ve Tanıtımı Dairesi Başkanlığı": "KENTTARIHI",
    "Kültür ve Sosyal İşler Dairesi Başkanlığı": "KULTUR",
    "Mali Hizmetler Dairesi Başkanlığı": "MALI",
    "Muhtarlık İşleri Dairesi Başkanlığı": "MUHTARLIK",
    "Park ve Bahçeler Dairesi Başkanlığı": "PARK",
    "Sağlık ve Sosyal Hizmetler Dairesi Başkanlığı": "SAGLIK",
    "Ulaşım Dairesi Başkanlığı": "ULASIM",
    "Yapı Kontrol Dairesi Başkanlığı": "YAPIKONTROL",
    "Yazı İşleri ve Kararlar Dairesi Başkanlığı": "YAZIISLERI",
    "Zabıta Dairesi Başkanlığı": "ZABITA",
}

# One department is spelled two ways in the document; the spelling of the "Dairelere Göre"
# table and the İdare Performans Tablosu is kept.
DEPARTMENT_ALIASES = {
    # card KU/PH.1.3.2 writes "Tanıtım"; card KU/PH.4.3.1, both summary tables write "Tanıtımı"
    "Kent Tarihi ve Tanıtım Dairesi Başkanlığı": "Kent Tarihi ve Tanıtımı Dairesi Başkanlığı",
}

# The transformation axes, by the number of their section-C heading ("## 1. Kentsel Dönüşüm").
AXIS_CODES = {"1": "KE", "2": "TO", "3": "KU"}

# general.csv values that are not computed from the tables.  institution, year, budget and
# off_budget are read from the document (and checked); deadline is INVENTED (the document
# gives none) and phone/email/contact come from the cover page (checked to occur in it).
GENERAL_FIXED = {
    "deadline": "2020-10-15",  # invented, plausible: before the budget goes to the council
    "contact": "Mali Hizmetler Dairesi Başkanlığı — Strateji Geliştirme Şube Müdürlüğü",
    "phone": "+90 262 318 17 00",
    "email": "stratejigelistirme@kocaeli.bel.tr",
}

# ---------------------------------------------------------------------------------------------
# Text repairs (applied to every extracted text cell, after NFC normalisation)
# ---------------------------------------------------------------------------------------------

# (broken, repaired, kind and reason).  Each repair must occur in the source, or the script
# fails: a repair that no longer applies is stale documentation.
TEXT_REPAIRS = [
    (
        "đ",
        "ğ",
        "mojibake: U+0111 'đ' (d with stroke) printed for 'ğ' by the PDF font mapping "
        "('Ekipman Desteđi', and 'Çađrı' in the İdare Performans Tablosu)",
    ),
    (
        "İşİ",
        "İşi",
        "case-mapping artefact: a dotted capital 'İ' at the end of the word 'İşi' "
        "('Yapım İşİ', 'Kiralama İşİ'); the İdare Performans Tablosu repeats the same glyphs",
    ),
    (
        "Esashı",
        "Esaslı",
        "glyph error 'lı' -> 'hı' ('Gönüllülük Esashı Projelerin ...'); the İdare Performans "
        "Tablosu prints the same activity as 'Esaslı'",
    ),
    ("esashı", "esaslı", "same glyph error in the indicator 'gönüllülük esashı proje sayısı'"),
    (
        " <sup>2</sup>",
        "²",
        "HTML left by the PDF conversion: 'M <sup>2</sup>' is the unit M² (square metre); "
        "also in the text of KE/PH.2.6.1 ('0,4 m²')",
    ),
]

# Units are a short vocabulary; the document once writes "Yüzde/ Yıl" for "Yüzde/Yıl".
UNIT_SLASH_RE = re.compile(r"\s*/\s*")

# ---------------------------------------------------------------------------------------------
# Corrections of cell values (the reconciliation choices)
# ---------------------------------------------------------------------------------------------

# Key: (target code, table, row seq or "total", field).  Value: (value printed in the
# document, value used, reason).  The printed value is asserted, and every correction must be
# used exactly once.
CORRECTIONS: dict[tuple[str, str, int | str, str], tuple[str, str, str]] = {
    ("TO/PH.2.1.1", "activity", 6, "ec06"): (
        "0",
        "10.000",
        "Card row 6 'Çocuk ve Gençlik Meclisinin Kurulması' prints 03=90.000, 06=0, "
        "total 90.000, but the card's own Genel Toplam prints 06=4.710.000 and total "
        "27.350.000 (its rows sum to 4.700.000 and 27.340.000), the İdare Performans Tablosu "
        "gives this activity 100.000 TL, and the Dairelere Göre amount of Gençlik ve Spor "
        "(67.441.700) and Toplam Kaynak İhtiyacı code 06 (1.199.556.000) both need the extra "
        "10.000 in code 06. Reading 06=10.000 makes all of them agree; 03 stays 90.000 "
        "because the 03 column total (22.640.000) already matches.",
    ),
    ("TO/PH.2.1.1", "activity", 6, "total"): (
        "90.000",
        "100.000",
        "row total of the same row: 90.000 + 0 + 10.000 (see ec06)",
    ),
    ("TO/PH.4.2.1", "total", "total", "ec06"): (
        "200.00",
        "200.000",
        "Typo in the card's Genel Toplam row: '200.00' for 200.000 (the only row of the card "
        "has 06=200.000 and the row total 1.080.000 = 880.000 + 200.000).",
    ),
    ("KU/PH.2.1.1", "indicator", 1, "past2"): (
        "70.2",
        "70,2",
        "'70.2' uses '.' as the decimal separator (a Turkish thousands group has three "
        "digits); the indicator is a percentage, 'Gelir bütçesi gerçekleştirme oranı'.",
    ),
}

# Activities missing from a card but present in the İdare Performans Tablosu, where the
# "Dairelere Göre" counts show the card is the one in error.  Key: (target, seq); value:
# (name as in the IPT, reason).  The amount is taken from the IPT and must be 0 (a zero
# total is the only one that fixes the split by economic code), so no sum changes.
ADDED_ACTIVITIES: dict[tuple[str, int], tuple[str, str]] = {
    ("KU/PH.3.2.1", 3): (
        "Pozisyonlarının İş Analizi",
        "Printed in the İdare Performans Tablosu under KU/PH.3.2.1 (İnsan Kaynakları ve "
        "Eğitim, 0 TL) but not on the card, which lists 2 activities. The Dairelere Göre "
        "table counts 6 activities for İnsan Kaynakları (the cards hold 5) and the document "
        "total 291 (the cards hold 290): with this row both counts are reproduced, and the "
        "card's Genel Toplam (2.712.400) is unchanged.",
    ),
}

# ---------------------------------------------------------------------------------------------
# Known discrepancies that cannot be reconciled (listed in README.md).  verify() recomputes
# them and fails if they differ, so the README cannot silently go stale.
# ---------------------------------------------------------------------------------------------

# Per department: {count: (published in "Dairelere Göre", found on the cards)}.
KNOWN_DEPARTMENT_COUNT_DISCREPANCIES: dict[str, dict[str, tuple[int, int]]] = {
    # The eight Fen İşleri cards hold 5+1+4+1+1+1+2+1 = 16 indicator rows; the table says 17
    # (and the document's total 367 = 366 found + 1).  No other table lists indicators, so
    # the missing one cannot be recovered: nothing is invented.
    "FEN": {"indicators": (17, 16)},
}

# IPT activity rows whose PH code (written or carried down from the row above) differs from
# the card the activity belongs to: (IPT code, card code, activity name).  In the IPT the code
# cell is one row off for a run of rows (KE/PH.1.5.x - KE/PH.1.9.1) and for the first row of
# a few service areas (the code is printed on the second row of its group).
KNOWN_IPT_CODE_SHIFTS: list[tuple[str, str, str]] = [
    ("KE/PH.1.5.2", "KE/PH.1.5.1", "Park Et Devam Et sisteminin uygulanması"),
    ("KE/PH.1.5.3", "KE/PH.1.5.2", "Açık Otopark Yapımı"),
    ("KE/PH.1.6.1", "KE/PH.1.5.3", "Kapalı Otopark Yapımı"),
    ("KE/PH.1.6.2", "KE/PH.1.6.1", "TIR Parkı Projeleri Yapımı"),
    ("KE/PH.1.7.1", "KE/PH.1.6.2", "TIR Parkı Yapımı"),
    (
        "KE/PH.1.7.2",
        "KE/PH.1.7.1",
        "Mevcut İstasyonların ve Bisikletlerin Bakım Onarımlarının Yapılması",
    ),
    ("KE/PH.1.7.3", "KE/PH.1.7.2", "Bisiklet Yolu İmalatlarının Yapılması"),
    ("KE/PH.1.8.1", "KE/PH.1.7.3", "Yeşil Alanlara Bisiklet Yolları Yapımı"),
    ("KE/PH.1.9.1", "KE/PH.1.8.1", "Sürücü Eğitim Faaliyetleri"),
    ("KE/PH.5.4.1", "KE/PH.6.1.1", "Zabıta Personelince Denetimlerin Yapılması"),
    ("KE/PH.6.2.1", "KE/PH.6.3.1", "Terminal Denetim Faaliyetlerinin Yapılması"),
    ("KE/PH.6.3.1", "TO/PH.1.1.1", "Kocaeli Turizm Master Planı'nın Hazırlanması"),
]

# IPT activity rows that match no card activity: (IPT code, name, amount).
KNOWN_IPT_EXTRA_ROWS: list[tuple[str, str, int]] = []

# Card activities that have no row in the IPT: (card code, name).
KNOWN_IPT_MISSING_ROWS: list[tuple[str, str]] = []

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

_used_repairs: Counter[str] = Counter()
_used_corrections: set[tuple[str, str, int | str, str]] = set()


def clean(cell: str) -> str:
    """One cell of the source as text: NFC, no <b>/markdown emphasis, single spaces, repaired."""
    s = unicodedata.normalize("NFC", cell)
    s = s.replace("<b>", "").replace("</b>", "")
    s = s.strip()
    m = re.fullmatch(r"\*+(.*?)\*+", s)
    if m:
        s = m.group(1).strip()
    for broken, repaired, _reason in TEXT_REPAIRS:
        if broken in s:
            _used_repairs[broken] += s.count(broken)
            s = s.replace(broken, repaired)
    s = re.sub(r"\s+", " ", s)
    return unicodedata.normalize("NFC", s)


def cells(line: str) -> list[str]:
    return [clean(c) for c in line.split("\t")]


def tr_upper(s: str) -> str:
    return s.replace("i", "İ").replace("ı", "I").upper()


def tr_fold(s: str) -> str:
    """Lower-case, letters and digits only: for comparing names across tables."""
    s = s.replace("İ", "i").replace("I", "ı").lower()
    return re.sub(r"[^0-9a-zçğıöşüâîû]", "", s)


TR_NUMBER_RE = re.compile(r"\d{1,3}(?:\.\d{3})*(?:,\d+)?|\d+(?:,\d+)?")


def tr_number(s: str) -> Decimal | None:
    """A number written the Turkish way ("1.438.500", "12,45", "2.236.009.100,00 ₺")."""
    s = s.replace("₺", "").strip()
    if not TR_NUMBER_RE.fullmatch(s):
        return None
    return Decimal(s.replace(".", "").replace(",", "."))


def plain(d: Decimal) -> str:
    """Decimal as plain text: '.' decimal separator, no exponent, no trailing zeros."""
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


class SourceError(Exception):
    """The source text does not look the way this script expects."""


def correction(key: tuple[str, str, int | str, str], printed: str) -> str:
    """The value to use for a cell: the printed one, or its documented correction."""
    if key not in CORRECTIONS:
        return printed
    expected, used, _reason = CORRECTIONS[key]
    if printed != expected:
        raise SourceError(f"correction {key}: source has {printed!r}, expected {expected!r}")
    _used_corrections.add(key)
    return used


def amount(key: tuple[str, str, int | str, str], printed: str) -> Decimal:
    value = tr_number(correction(key, printed))
    if value is None:
        raise SourceError(f"{key}: {printed!r} is not an amount")
    return value


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


@dataclass
class Indicator:
    seq: int
    name: str
    unit: str
    past2: str
    past1: str
    target_value: str


@dataclass
class Activity:
    seq: int
    name: str
    ec03: Decimal
    ec05: Decimal
    ec06: Decimal
    total: Decimal
    line: int


@dataclass
class Card:
    code: str
    text: str
    department: str
    goal_cell: str
    objective_cell: str
    service_area: str
    line: int
    indicators: list[Indicator] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    printed_total: tuple[Decimal, Decimal, Decimal, Decimal] | None = None

    @property
    def department_code(self) -> str:
        return DEPARTMENT_CODES[self.department]


@dataclass
class IptRow:
    code: str  # as written, or carried down from the row above
    code_written: bool
    name: str
    department: str
    off_budget: str
    in_budget: Decimal
    total: Decimal
    share: str  # "Bütçe İçindeki Payı (%)" as printed ("" when the cell is missing)
    line: int


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------

SECTION_HEADINGS = {
    "B": "## B- Amaç ve Hedefler",
    "C": "# C- Performans Hedefleri, Göstergeler ve Faaliyetler",
    "D": "## C- İdarenin Toplam Kaynak İhtiyacı",  # section II-D, printed as "C-"
    "DEPT": "### Dairelere Göre Faaliyet Sayısı ve 2021 Yılı Kaynak İhtiyacı",
    "IPT": "## İdare Performans Tablosu ve Sorumlu Birimler",
    "TKI": "## Toplam Kaynak İhtiyacı Tablosu",
}


def split_sections(lines: list[str]) -> dict[str, tuple[int, int]]:
    """(first, end) line indexes of each part; headings must occur once, in this order."""
    starts = {}
    for key, heading in SECTION_HEADINGS.items():
        found = [i for i, line in enumerate(lines) if line.strip() == heading]
        if len(found) != 1:
            raise SourceError(f"heading {heading!r} found {len(found)} times")
        starts[key] = found[0]
    order = list(SECTION_HEADINGS)
    if [starts[k] for k in order] != sorted(starts.values()):
        raise SourceError("section headings are out of order")
    bounds = {}
    for k, nxt in zip(order, order[1:] + [None], strict=True):
        bounds[k] = (starts[k] + 1, starts[nxt] if nxt else len(lines))
    return bounds


PH_RE = re.compile(r"(KE|TO|KU)/P[Hh]\.(\d+)\.(\d+)\.(\d+)")


def parse_goals_objectives(lines: list[str], first: int, end: int):
    goals: dict[str, str] = {}
    objectives: dict[str, str] = {}
    goal_numbers, objective_numbers = [], []
    for i in range(first, end):
        c = [x for x in cells(lines[i]) if x]
        if len(c) != 2:
            continue
        if m := re.fullmatch(r"Stratejik Amaç (\d+)", c[0]):
            g = re.fullmatch(r"((?:KE|TO|KU)\.\d+) (.+)", c[1])
            if not g:
                raise SourceError(f"line {i + 1}: goal without code: {c[1]!r}")
            code, text = g.groups()
            if code in goals:  # repeated after a page break
                if goals[code] != text:
                    raise SourceError(f"line {i + 1}: goal {code} repeated with other text")
                continue
            goals[code] = text
            goal_numbers.append(int(m.group(1)))
        elif m := re.fullmatch(r"Stratejik Hedef (\d+)", c[0]):
            o = re.fullmatch(r"((?:KE|TO|KU)\.\d+\.\d+) (.+)", c[1])
            if not o:
                raise SourceError(f"line {i + 1}: objective without code: {c[1]!r}")
            code, text = o.groups()
            if code in objectives:
                raise SourceError(f"line {i + 1}: objective {code} twice")
            objectives[code] = text
            objective_numbers.append(int(m.group(1)))
    if goal_numbers != list(range(1, len(goal_numbers) + 1)):
        raise SourceError("strategic goals are not numbered 1..n")
    if objective_numbers != list(range(1, len(objective_numbers) + 1)):
        raise SourceError("strategic objectives are not numbered 1..n")
    return goals, objectives


HEADER_LABELS = {
    "Sorumlu Birim Adı": "department",
    "Stratejik Amaç": "goal",
    "Stratejik Hedef": "objective",
    "Performans Hedefi": "target",
}
INDICATOR_HEADER = {
    "Sıra",
    "Performans Göstergeleri",
    "Ölçü Birimi",
    "2019",
    "2020*",
    "2021 Yılı Hedefi",
}
ACTIVITY_HEADER = {
    "Sıra",
    "Faaliyet ve Projeler",
    "Ekonomik Kod (I. Düzey)",
    "2021 Yılı Kaynak İhtiyacı (TL)",
}
ECONOMIC_HEADER = ["03 Mal ve Hizmet Alım Giderleri", "05 Cari Transferler", "06 Sermaye Giderleri"]
SECTION_C_PROSE = ("2021 Mali Yılı Performans Programı'nda", "(\\*: 2020 yılı tahmini")

_code_spellings: list[tuple[str, str]] = []  # (as printed, normalised) where they differ


def parse_cards(lines: list[str], first: int, end: int):
    """The 99 performance-target cards of section C, plus axes and service areas."""
    axes: dict[str, str] = {}
    areas: list[tuple[str, str, str]] = []  # (code "1.1", name, axis code)
    cards: list[Card] = []
    header: dict[str, tuple[str, int]] = {}
    pending: str | None = None  # a header label whose value is on the next line
    mode: str | None = None
    card: Card | None = None

    def finish_header(i: int) -> Card:
        missing = set(HEADER_LABELS.values()) - set(header)
        if missing:
            raise SourceError(f"line {i + 1}: card header lacks {sorted(missing)}")
        raw_target, line_no = header["target"]
        m = re.match(PH_RE.pattern + r"\s+(.+)", raw_target)
        if not m:
            raise SourceError(f"line {line_no}: no PH code in {raw_target!r}")
        axis, g, o, n, text = m.groups()
        code = f"{axis}/PH.{g}.{o}.{n}"
        printed = raw_target.split()[0]
        if printed != code:
            _code_spellings.append((printed, code))
        dept = header["department"][0]
        dept = DEPARTMENT_ALIASES.get(dept, dept)
        if dept not in DEPARTMENT_CODES:
            raise SourceError(f"line {line_no}: unknown department {dept!r}")
        if not areas:
            raise SourceError(f"line {line_no}: card before the first service area")
        if AXIS_CODES[areas[-1][0].split(".")[0]] != axis:
            raise SourceError(f"line {line_no}: {code} under service area {areas[-1][0]}")
        return Card(
            code=code,
            text=text,
            department=dept,
            goal_cell=header["goal"][0],
            objective_cell=header["objective"][0],
            service_area=areas[-1][0],
            line=header["department"][1],
        )

    for i in range(first, end):
        raw = lines[i]
        c = cells(raw)
        nonempty = [x for x in c if x]
        if not nonempty:
            continue
        head = nonempty[0]
        if raw.startswith("#"):
            title = re.sub(r"^#+\s*", "", raw).strip()
            if m := re.fullmatch(r"(\d)\.(\d)\.?\s*(.+)", title):
                areas.append(
                    (f"{m.group(1)}.{m.group(2)}", clean(m.group(3)), AXIS_CODES[m.group(1)])
                )
            elif m := re.fullmatch(r"(\d)\.\s+(.+)", title):
                axes[AXIS_CODES[m.group(1)]] = clean(m.group(2))
            else:
                raise SourceError(f"line {i + 1}: unexpected heading {raw!r}")
            continue
        if head.startswith(SECTION_C_PROSE) and not cards and card is None:
            continue
        if pending:
            header[pending] = (head, i + 1)
            pending = None
            continue
        if head in HEADER_LABELS:
            if head == "Sorumlu Birim Adı":
                if card is not None or header:
                    raise SourceError(f"line {i + 1}: new card before the previous one ended")
                mode = None
            key = HEADER_LABELS[head]
            if len(nonempty) >= 2:
                header[key] = (nonempty[1], i + 1)
            else:
                pending = key
            continue
        if set(nonempty) <= INDICATOR_HEADER or set(nonempty) <= ACTIVITY_HEADER:
            if "Performans Göstergeleri" in nonempty:
                card = finish_header(i)
                header = {}
                mode = "indicators"
            elif "Faaliyet ve Projeler" in nonempty:
                if card is None or mode != "indicators":
                    raise SourceError(f"line {i + 1}: activities header out of place")
                mode = "activities"
            elif card is None and not header:
                raise SourceError(f"line {i + 1}: table header outside a card")
            continue
        if nonempty == ECONOMIC_HEADER:
            if mode != "activities":
                raise SourceError(f"line {i + 1}: economic-code header out of place")
            continue
        if card is None:
            raise SourceError(f"line {i + 1}: unrecognised line {raw!r}")
        if re.fullmatch(r"\d+", c[0]):
            seq = int(c[0])
            if any(c[6:]):
                raise SourceError(f"line {i + 1}: more than six columns")
            c = (c + [""] * 6)[:6]
            if mode == "indicators":
                vals = [
                    indicator_value(card.code, seq, f, v)
                    for f, v in zip(("past2", "past1", "target_value"), c[3:6], strict=True)
                ]
                unit = UNIT_SLASH_RE.sub("/", c[2])
                card.indicators.append(Indicator(seq, c[1], unit, *vals))
            elif mode == "activities":
                k = (card.code, "activity", seq)
                card.activities.append(
                    Activity(
                        seq=seq,
                        name=c[1],
                        ec03=amount(k + ("ec03",), c[2]),
                        ec05=amount(k + ("ec05",), c[3]),
                        ec06=amount(k + ("ec06",), c[4]),
                        total=amount(k + ("total",), c[5]),
                        line=i + 1,
                    )
                )
            else:
                raise SourceError(f"line {i + 1}: data row outside a table")
            continue
        if head == "Genel Toplam (TL)":
            if mode != "activities" or len(nonempty) != 5:
                raise SourceError(f"line {i + 1}: unexpected total row {raw!r}")
            k = (card.code, "total", "total")
            card.printed_total = tuple(
                amount(k + (f,), v)
                for f, v in zip(("ec03", "ec05", "ec06", "total"), nonempty[1:], strict=True)
            )
            cards.append(card)
            card, mode = None, None
            continue
        raise SourceError(f"line {i + 1}: unrecognised line {raw!r}")
    if card is not None or header:
        raise SourceError("section C ends inside a card")
    return axes, areas, cards


_non_numeric: list[tuple[str, int, str, str]] = []


def indicator_value(target: str, seq: int, fld: str, printed: str) -> str:
    """An indicator value as plain decimal text; '-' and empty become ''."""
    value = correction((target, "indicator", seq, fld), printed)
    if value in ("", "-"):
        return ""
    number = tr_number(value)
    if number is None:
        _non_numeric.append((target, seq, fld, value))
        return value
    return plain(number)


def parse_department_table(lines: list[str], first: int, end: int):
    rows: list[tuple[str, int, int, int, Decimal]] = []
    total = None
    for i in range(first, end):
        c = [x for x in cells(lines[i]) if x]
        if not c or c[0] == "Daire Adı":
            continue
        if len(c) != 5:
            raise SourceError(f"line {i + 1}: unexpected row {lines[i]!r}")
        nums = [tr_number(x) for x in c[1:]]
        if any(n is None for n in nums):
            raise SourceError(f"line {i + 1}: non-numeric cell in {lines[i]!r}")
        row = (c[0], int(nums[0]), int(nums[1]), int(nums[2]), nums[3])
        if c[0] == "Genel Toplam":
            total = row
        else:
            rows.append(row)
    if total is None:
        raise SourceError("Dairelere Göre table has no Genel Toplam row")
    return rows, total


IPT_TOTAL_LABELS = {
    "Performans Hedefleri Maliyet Toplamı": "targets",
    "Genel Yönetim Giderleri": "general_administration",
    "Diğer İdarelere Transfer Edilecek Kaynaklar Toplamı": "transfers",
    "Genel Toplam": "grand_total",
}


def parse_ipt(lines: list[str], first: int, end: int):
    subtotals: dict[str, Decimal] = {}  # upper-case heading -> Bütçe İçi
    totals: dict[str, Decimal] = {}
    shares: dict[str, str] = {}  # subtotal or total label -> printed share
    rows: list[IptRow] = []
    code = ""
    for i in range(first, end):
        c = cells(lines[i])
        nonempty = [x for x in c if x]
        if not nonempty or nonempty[0] == "Performans Hedef Kodu" or nonempty[0] == "Bütçe Dışı":
            continue
        dept_idx = [j for j, x in enumerate(c) if x.endswith("Dairesi Başkanlığı")]
        if not dept_idx:  # a subtotal or a closing total row
            label = nonempty[0]
            if len(nonempty) != 5 or nonempty[1] != "-":
                raise SourceError(f"line {i + 1}: unexpected IPT row {lines[i]!r}")
            in_budget, total = tr_number(nonempty[2]), tr_number(nonempty[3])
            if in_budget is None or in_budget != total:
                raise SourceError(f"line {i + 1}: Bütçe İçi != Toplam")
            if label in IPT_TOTAL_LABELS:
                totals[IPT_TOTAL_LABELS[label]] = in_budget
            elif label == tr_upper(label):
                subtotals[label] = in_budget
            else:
                raise SourceError(f"line {i + 1}: unexpected IPT label {label!r}")
            shares[label] = nonempty[4]
            continue
        j = dept_idx[0]
        before = [x for x in c[:j] if x]
        after = [x for x in c[j + 1 :] if x]
        written = [x for x in before if PH_RE.fullmatch(x)]
        names = [x for x in before if not PH_RE.fullmatch(x)]
        if len(written) > 1 or len(names) != 1 or len(after) not in (3, 4):
            raise SourceError(f"line {i + 1}: unexpected IPT row {lines[i]!r}")
        if written:
            m = PH_RE.fullmatch(written[0])
            code = f"{m.group(1)}/PH.{m.group(2)}.{m.group(3)}.{m.group(4)}"
        if not code:
            raise SourceError(f"line {i + 1}: IPT row before the first PH code")
        dept = DEPARTMENT_ALIASES.get(c[j], c[j])
        in_budget, total = tr_number(after[1]), tr_number(after[2])
        if in_budget is None or total is None:
            raise SourceError(f"line {i + 1}: IPT amounts not numeric")
        rows.append(
            IptRow(
                code=code,
                code_written=bool(written),
                name=names[0],
                department=dept,
                off_budget=after[0],
                in_budget=in_budget,
                total=total,
                share=after[3] if len(after) == 4 else "",
                line=i + 1,
            )
        )
    return subtotals, totals, shares, rows


def parse_total_resources(lines: list[str], first: int, end: int):
    """Toplam Kaynak İhtiyacı Tablosu: per economic code 1..9 the four columns."""
    institution = None
    by_code: dict[str, tuple[Decimal, ...]] = {}
    total_row = None
    for i in range(first, end):
        c = [x for x in cells(lines[i]) if x]
        if not c:
            continue
        if c[0] == "İDARE ADI":
            institution = c[1]
        elif m := re.fullmatch(r"(\d)- .+", c[0]):
            nums = tuple(tr_number(x) for x in c[1:])
            if len(nums) != 4 or None in nums:
                raise SourceError(f"line {i + 1}: unexpected row {lines[i]!r}")
            by_code[f"0{m.group(1)}"] = nums
        elif c[0] == "Toplam Kaynak İhtiyacı":
            total_row = tuple(tr_number(x) for x in c[1:])
    if (
        institution is None
        or total_row is None
        or sorted(by_code) != [f"0{k}" for k in range(1, 10)]
    ):
        raise SourceError("Toplam Kaynak İhtiyacı Tablosu incomplete")
    return institution, by_code, total_row


def add_activities_from_ipt(cards: list[Card], ipt_rows: list[IptRow]) -> None:
    by_code = {c.code: c for c in cards}
    for (target, seq), (name, _reason) in ADDED_ACTIVITIES.items():
        card = by_code[target]
        if len(card.activities) != seq - 1:
            raise SourceError(f"{target}: expected {seq - 1} activities before adding #{seq}")
        rows = [r for r in ipt_rows if r.code == target and r.name == name]
        if len(rows) != 1 or rows[0].total != 0 or rows[0].department != card.department:
            raise SourceError(f"{target}: IPT row {name!r} not found as expected")
        zero = Decimal(0)
        card.activities.append(Activity(seq, name, zero, zero, zero, zero, rows[0].line))


# ---------------------------------------------------------------------------------------------
# IPT rows vs card activities
# ---------------------------------------------------------------------------------------------


def similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, tr_fold(a), tr_fold(b)).ratio()


def align_ipt(cards: list[Card], ipt_rows: list[IptRow]):
    """Pair IPT rows with card activities; both lists are in the same order."""
    acts = [(card, a) for card in cards for a in card.activities]
    pairs: list[tuple[IptRow, Card, Activity]] = []
    extra: list[IptRow] = []
    missing: list[tuple[Card, Activity]] = []
    i = j = 0
    while i < len(ipt_rows) or j < len(acts):
        here = i < len(ipt_rows) and j < len(acts)
        if here and similar(ipt_rows[i].name, acts[j][1].name) >= 0.8:
            pairs.append((ipt_rows[i], *acts[j]))
            i += 1
            j += 1
        elif i < len(ipt_rows) and any(
            similar(ipt_rows[i].name, acts[k][1].name) >= 0.8
            for k in range(j + 1, min(j + 4, len(acts)))
        ):
            missing.append(acts[j])
            j += 1
        elif i < len(ipt_rows):
            extra.append(ipt_rows[i])
            i += 1
        else:
            missing.append(acts[j])
            j += 1
    return pairs, extra, missing


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([unicodedata.normalize("NFC", str(x)) for x in row])


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main() -> int:
    text = SOURCE.read_text(encoding="utf-8")
    lines = text.split("\n")
    sec = split_sections(lines)

    goals, objectives = parse_goals_objectives(lines, *sec["B"])
    axes, areas, cards = parse_cards(lines, *sec["C"])
    dept_rows, dept_total = parse_department_table(lines, *sec["DEPT"])
    ipt_subtotals, ipt_totals, ipt_shares, ipt_rows = parse_ipt(lines, *sec["IPT"])
    institution, tki, tki_total = parse_total_resources(lines, *sec["TKI"])

    add_activities_from_ipt(cards, ipt_rows)
    unused = set(CORRECTIONS) - _used_corrections
    if unused:
        raise SourceError(f"corrections not applied: {sorted(unused)}")
    stale = [b for b, _r, _why in TEXT_REPAIRS if not _used_repairs[b]]
    if stale:
        raise SourceError(f"text repairs that no longer occur: {stale}")

    # -- plan --------------------------------------------------------------------------------
    dept_names = [r[0] for r in dept_rows]
    if sorted(dept_names) != sorted(DEPARTMENT_CODES):
        raise SourceError(f"departments differ: {set(dept_names) ^ set(DEPARTMENT_CODES)}")

    goal_area: dict[str, str] = {}
    for card in cards:
        axis, g = PH_RE.fullmatch(card.code).group(1, 2)
        goal = f"{axis}.{g}"
        if goal_area.setdefault(goal, card.service_area) != card.service_area:
            raise SourceError(f"goal {goal} in two service areas")

    year_match = re.search(r"^# (\d{4}) MALİ YILI PERFORMANS PROGRAMI$", text, re.M)
    for value in (GENERAL_FIXED["phone"], GENERAL_FIXED["email"]):
        if value not in text:
            raise SourceError(f"{value!r} not on the cover page")
    economic_codes = sorted(h.split()[0] for h in ECONOMIC_HEADER)
    intro = re.search(
        r"(\d+) performans hedefi, bu hedeflerin altında da (\d+) faaliyet/proje "
        r"ve (\d+) performans göstergesi",
        text,
    )
    intro_counts = tuple(int(x) for x in intro.groups())
    general = [
        ("institution", institution),
        ("year", year_match.group(1)),
        ("budget", plain(ipt_totals["grand_total"])),
        ("deadline", GENERAL_FIXED["deadline"]),
        ("contact", GENERAL_FIXED["contact"]),
        ("phone", GENERAL_FIXED["phone"]),
        ("email", GENERAL_FIXED["email"]),
        ("form_economic_codes", ";".join(economic_codes)),
        # the consolidated table has a Bütçe Dışı column (all "-" in 2021)
        ("off_budget", "yes"),
    ]
    write_csv(PLAN_DIR / "general.csv", ["key", "value"], [list(r) for r in general])
    write_csv(
        PLAN_DIR / "departments.csv",
        ["code", "name"],
        [[DEPARTMENT_CODES[n], n] for n in dept_names],
    )
    write_csv(
        PLAN_DIR / "axes.csv",
        ["code", "name"],
        [[AXIS_CODES[k], axes[AXIS_CODES[k]]] for k in sorted(AXIS_CODES)],
    )
    write_csv(PLAN_DIR / "service_areas.csv", ["code", "name", "axis"], [list(a) for a in areas])
    write_csv(
        PLAN_DIR / "goals.csv",
        ["code", "text", "service_area"],
        [[code, goals[code], goal_area.get(code, "")] for code in goals],
    )
    write_csv(
        PLAN_DIR / "objectives.csv",
        ["code", "text"],
        [[code, objectives[code]] for code in objectives],
    )
    write_csv(
        PLAN_DIR / "targets.csv",
        ["code", "text", "department"],
        [[c.code, c.text, c.department_code] for c in cards],
    )
    write_csv(
        PLAN_DIR / "budget.csv",
        ["economic_code", "general_administration", "transfers"],
        [[code, plain(tki[code][1]), plain(tki[code][2])] for code in sorted(tki)],
    )

    # -- cards -------------------------------------------------------------------------------
    write_csv(
        CARDS_DIR / "indicators.csv",
        ["target", "seq", "name", "unit", "past2", "past1", "target_value"],
        [
            [c.code, x.seq, x.name, x.unit, x.past2, x.past1, x.target_value]
            for c in cards
            for x in c.indicators
        ],
    )
    pairs, extra, missing = align_ipt(cards, ipt_rows)
    off_budget_of = {id(a): r.off_budget for r, _c, a in pairs}
    write_csv(
        CARDS_DIR / "activities.csv",
        ["target", "seq", "name", "ec03", "ec05", "ec06", "off_budget"],
        [
            [
                c.code,
                a.seq,
                a.name,
                plain(a.ec03),
                plain(a.ec05),
                plain(a.ec06),
                "" if off_budget_of.get(id(a), "-") == "-" else off_budget_of[id(a)],
            ]
            for c in cards
            for a in c.activities
        ],
    )

    doc = Document(
        goals=goals,
        objectives=objectives,
        areas=areas,
        cards=cards,
        dept_rows=dept_rows,
        dept_total=dept_total,
        ipt_subtotals=ipt_subtotals,
        ipt_totals=ipt_totals,
        ipt_shares=ipt_shares,
        ipt_rows=ipt_rows,
        tki=tki,
        tki_total=tki_total,
        intro_counts=intro_counts,
    )
    ok = verify(doc, pairs, extra, missing)
    return 0 if ok else 1


# ---------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------


@dataclass
class Document:
    """Everything parsed from the source, for verify()."""

    goals: dict[str, str]
    objectives: dict[str, str]
    areas: list[tuple[str, str, str]]
    cards: list[Card]
    dept_rows: list[tuple[str, int, int, int, Decimal]]
    dept_total: tuple[str, int, int, int, Decimal]
    ipt_subtotals: dict[str, Decimal]
    ipt_totals: dict[str, Decimal]
    ipt_shares: dict[str, str]
    ipt_rows: list[IptRow]
    tki: dict[str, tuple[Decimal, ...]]
    tki_total: tuple[Decimal, ...]
    intro_counts: tuple[int, ...]


def verify(
    doc: Document,
    pairs: list[tuple[IptRow, Card, Activity]],
    extra: list[IptRow],
    missing: list[tuple[Card, Activity]],
) -> bool:
    """Check the extracted data against every published figure; print a summary."""
    goals, objectives, areas, cards = doc.goals, doc.objectives, doc.areas, doc.cards
    dept_rows, dept_total, tki, tki_total = doc.dept_rows, doc.dept_total, doc.tki, doc.tki_total
    ipt_subtotals, ipt_totals, ipt_rows = doc.ipt_subtotals, doc.ipt_totals, doc.ipt_rows
    intro_counts = doc.intro_counts
    off_budget_values = {r.off_budget for r in ipt_rows}
    failures: list[str] = []
    lines_out: list[str] = []

    def check(label: str, expected, actual) -> None:
        good = expected == actual
        lines_out.append(
            f"  [{'ok' if good else 'FAIL'}] {label}: published {fmt(expected)}, "
            f"extracted {fmt(actual)}"
        )
        if not good:
            failures.append(label)

    def fmt(x):
        return plain(x) if isinstance(x, Decimal) else str(x)

    acts = [(c, a) for c in cards for a in c.activities]
    inds = [(c, x) for c in cards for x in c.indicators]

    # Row arithmetic inside the cards (after corrections).
    for c, a in acts:
        if a.ec03 + a.ec05 + a.ec06 != a.total:
            failures.append(f"{c.code} activity {a.seq}: 03+05+06 != row total")
    for c in cards:
        seqs = [a.seq for a in c.activities]
        if seqs != list(range(1, len(seqs) + 1)):
            failures.append(f"{c.code}: activity rows not numbered 1..n")
        seqs = [x.seq for x in c.indicators]
        if seqs != list(range(1, len(seqs) + 1)):
            failures.append(f"{c.code}: indicator rows not numbered 1..n")

    print("Totals (Toplam Kaynak İhtiyacı Tablosu / İdare Performans Tablosu)")
    total = sum((a.total for _c, a in acts), Decimal(0))
    check("performance-target cost, all activities", tki_total[0], total)
    check("  same, İdare Performans Tablosu", ipt_totals["targets"], total)
    for code, fld in (("03", "ec03"), ("05", "ec05"), ("06", "ec06")):
        check(
            f"  economic code {code}",
            tki[code][0],
            sum((getattr(a, fld) for _c, a in acts), Decimal(0)),
        )
    for code in sorted(tki):
        if code not in ("03", "05", "06"):
            check(f"  economic code {code} (not on cards)", tki[code][0], Decimal(0))
    ga = sum((v[1] for v in tki.values()), Decimal(0))
    tr = sum((v[2] for v in tki.values()), Decimal(0))
    check("general administration, sum of codes 01..09", tki_total[1], ga)
    check("  = İdare Performans Tablosu", ipt_totals["general_administration"], ga)
    check("  = 1163979900", Decimal(1163979900), ga)
    check("transfers to other administrations, sum of codes", tki_total[2], tr)
    check("  = İdare Performans Tablosu", ipt_totals["transfers"], tr)
    check("  = 11000", Decimal(11000), tr)
    check(
        "budget = activities + general administration + transfers",
        ipt_totals["grand_total"],
        total + ga + tr,
    )
    check("  = Toplam Kaynak İhtiyacı Genel Toplam", tki_total[3], total + ga + tr)
    check("  = 3400000000", Decimal(3400000000), total + ga + tr)
    for code in sorted(tki):
        check(
            f"  code {code}: row total = sum of its columns",
            tki[code][3],
            tki[code][0] + tki[code][1] + tki[code][2],
        )
    print("\n".join(lines_out))
    lines_out.clear()

    print("Subtotals per axis and service area (İdare Performans Tablosu)")
    by_area = defaultdict(Decimal)
    by_axis = defaultdict(Decimal)
    for c, a in acts:
        by_area[c.service_area] += a.total
        by_axis[c.code[:2]] += a.total
    axis_names = {"KE": "KENTSEL DÖNÜŞÜM", "TO": "TOPLUMSAL DÖNÜŞÜM", "KU": "KURUMSAL DÖNÜŞÜM"}
    expected_labels = set()
    for axis, label in axis_names.items():
        expected_labels.add(label)
        check(f"{label}", ipt_subtotals.get(label), by_axis[axis])
        for code, name, ax in areas:
            if ax == axis:
                lab = tr_upper(name)
                expected_labels.add(lab)
                check(f"  {code} {lab}", ipt_subtotals.get(lab), by_area[code])
    if set(ipt_subtotals) != expected_labels:
        failures.append(f"IPT subtotal rows not matched: {set(ipt_subtotals) ^ expected_labels}")
    print("\n".join(lines_out))
    lines_out.clear()

    print("Bütçe İçindeki Payı (%) of the İdare Performans Tablosu (budget = Genel Toplam)")
    budget = ipt_totals["grand_total"]
    cent = Decimal("0.01")

    def share(x: Decimal, scale: int) -> str:
        return str((x * scale / budget).quantize(cent, ROUND_HALF_UP)).replace(".", ",")

    amounts = {**ipt_subtotals}
    amounts.update({k: ipt_totals[v] for k, v in IPT_TOTAL_LABELS.items()})
    wrong = [
        (k, doc.ipt_shares[k], share(a, 100))
        for k, a in amounts.items()
        if doc.ipt_shares[k] != share(a, 100)
    ]
    check("subtotal and total rows: share = 100 * amount / budget", [], wrong)
    kinds: Counter[str] = Counter()
    for r in ipt_rows:
        if not r.share:
            kinds["share cell missing"] += 1
        elif r.share == share(r.total, 100) == share(r.total, 1):
            kinds["share 0,00 (right as a percentage and as a fraction)"] += 1
        elif r.share == share(r.total, 1):
            kinds["share printed as a fraction (amount / budget), not a percentage"] += 1
        elif r.share == share(r.total, 100):
            kinds["share printed as a percentage"] += 1
        else:
            kinds["share matching neither reading"] += 1
    for kind, n in sorted(kinds.items()):
        lines_out.append(f"  [note] activity rows, {kind}: {n}")
    print("\n".join(lines_out))
    lines_out.clear()

    print("Dairelere Göre Faaliyet Sayısı ve Kaynak İhtiyacı (amounts)")
    dept_amount = defaultdict(Decimal)
    counts = defaultdict(Counter)
    for c in cards:
        counts[c.department]["targets"] += 1
        counts[c.department]["activities"] += len(c.activities)
        counts[c.department]["indicators"] += len(c.indicators)
        dept_amount[c.department] += sum((a.total for a in c.activities), Decimal(0))
    for name, *_n, amt in dept_rows:
        check(f"{DEPARTMENT_CODES[name]:<11} resource need", amt, dept_amount[name])
    check(
        "table's own Genel Toplam = sum of its amounts",
        dept_total[4],
        sum((r[4] for r in dept_rows), Decimal(0)),
    )
    print("\n".join(lines_out))
    lines_out.clear()

    print("Card Genel Toplam rows vs. the sum of their own rows")
    disagreeing = []
    for c in cards:
        sums = tuple(
            sum((getattr(a, f) for a in c.activities), Decimal(0))
            for f in ("ec03", "ec05", "ec06", "total")
        )
        if sums != c.printed_total:
            disagreeing.append(c.code)
            failures.append(f"{c.code}: Genel Toplam {c.printed_total} != rows {sums}")
    lines_out.append(
        f"  [{'ok' if not disagreeing else 'FAIL'}] {len(cards)} cards, "
        f"disagreeing after corrections: {disagreeing or 'none'}"
    )
    corrected = sorted({k[0] for k in CORRECTIONS if k[1] in ("activity", "total")})
    lines_out.append(f"  (cards reconciled by CORRECTIONS: {', '.join(corrected)})")
    print("\n".join(lines_out))
    lines_out.clear()

    print("Counts")
    found = {"targets": len(cards), "activities": len(acts), "indicators": len(inds)}
    published = dict(zip(("targets", "activities", "indicators"), dept_total[1:4], strict=True))
    check(
        "section C intro = Dairelere Göre Genel Toplam (99, 291, 367)",
        (published["targets"], published["activities"], published["indicators"]),
        intro_counts,
    )
    check("performance targets", published["targets"], found["targets"])
    check("activities (incl. ADDED_ACTIVITIES)", published["activities"], found["activities"])
    lines_out.append(
        f"         ({found['activities'] - len(ADDED_ACTIVITIES)} printed on the "
        f"cards + {len(ADDED_ACTIVITIES)} taken from the IPT)"
    )
    note = "ok" if published["indicators"] == found["indicators"] else "note"
    lines_out.append(
        f"  [{note}] indicators: published {published['indicators']}, "
        f"extracted {found['indicators']} (see FEN below)"
    )
    check(
        "Dairelere Göre column sums = its Genel Toplam row",
        dept_total[1:4],
        tuple(sum(r[k] for r in dept_rows) for k in (1, 2, 3)),
    )
    check("goals (section B)", 17, len(goals))
    check("objectives (section B)", 82, len(objectives))
    check("service areas", 11, len(areas))
    missing_obj = sorted(
        {c.code.replace("/PH", "").rsplit(".", 1)[0] for c in cards} - set(objectives)
    )
    check("targets whose objective is not in section B", [], missing_obj)
    discrepancies: dict[str, dict[str, tuple[int, int]]] = {}
    for name, n_t, n_a, n_i, _amt in dept_rows:
        d = {}
        for what, pub in (("targets", n_t), ("activities", n_a), ("indicators", n_i)):
            if counts[name][what] != pub:
                d[what] = (pub, counts[name][what])
        if d:
            discrepancies[DEPARTMENT_CODES[name]] = d
    for code, d in discrepancies.items():
        text = "; ".join(f"{w} published {p}, cards {f}" for w, (p, f) in d.items())
        lines_out.append(f"  [note] {code:<11} {text}")
    if discrepancies != KNOWN_DEPARTMENT_COUNT_DISCREPANCIES:
        failures.append("per-department count discrepancies differ from the documented ones")
        lines_out.append(
            "  [FAIL] the list above differs from KNOWN_DEPARTMENT_COUNT_DISCREPANCIES"
        )
    print("\n".join(lines_out))
    lines_out.clear()

    print("İdare Performans Tablosu rows vs. card activities")
    shifts = [(r.code, c.code, a.name) for r, c, a in pairs if r.code != c.code]
    dept_diff = [
        (c.code, a.name, r.department) for r, c, a in pairs if r.department != c.department
    ]
    amount_diff = [
        (c.code, a.name, plain(r.total), plain(a.total))
        for r, c, a in pairs
        if r.total != a.total or r.in_budget != a.total
    ]
    name_diff = [(c.code, a.name, r.name) for r, c, a in pairs if r.name != a.name]
    extra_rows = [(r.code, r.name, int(r.total)) for r in extra]
    missing_rows = [(c.code, a.name) for c, a in missing]
    lines_out.append(
        f"  {len(ipt_rows)} IPT activity rows, {len(pairs)} paired with card "
        f"activities, {len(extra)} without a card activity, "
        f"{len(missing)} card activities without an IPT row"
    )
    for r in extra_rows:
        lines_out.append(f"  [note] IPT row without card activity: {r[0]} {r[1]!r} {r[2]}")
    for r in missing_rows:
        lines_out.append(f"  [note] card activity without IPT row: {r[0]} {r[1]!r}")
    lines_out.append(f"  [note] {len(shifts)} IPT rows carry another PH code than their card:")
    for ipt_code, card_code, name in shifts:
        lines_out.append(f"         IPT {ipt_code:<13} card {card_code:<13} {name}")
    for code, name, ipt_name in name_diff:
        lines_out.append(f"  [note] name differs: {code} card {name!r} / IPT {ipt_name!r}")
    check("IPT rows: department = card department", [], dept_diff)
    check("IPT rows: amount = card activity total", [], amount_diff)
    check("IPT rows: Bütçe Dışı is '-' everywhere", {"-"}, off_budget_values)
    if shifts != KNOWN_IPT_CODE_SHIFTS:
        failures.append("IPT code shifts differ from KNOWN_IPT_CODE_SHIFTS")
        lines_out.append("  [FAIL] shifted codes differ from KNOWN_IPT_CODE_SHIFTS")
    if extra_rows != KNOWN_IPT_EXTRA_ROWS or missing_rows != KNOWN_IPT_MISSING_ROWS:
        failures.append("unpaired IPT rows differ from the documented ones")
        lines_out.append("  [FAIL] unpaired rows differ from KNOWN_IPT_EXTRA_ROWS/MISSING_ROWS")
    print("\n".join(lines_out))
    lines_out.clear()

    print("Card headers vs. section B and the PH code")
    seen_objective_diffs: set[str] = set()
    for c in cards:
        axis, g, o = PH_RE.fullmatch(c.code).group(1, 2, 3)
        goal_code = c.goal_cell.split()[0]
        obj_code = c.objective_cell.split()[0]
        if goal_code != f"{axis}.{g}":
            lines_out.append(
                f"  [note] {c.code}: 'Stratejik Amaç' holds {goal_code}, not the goal {axis}.{g}"
            )
        else:
            goal_text = c.goal_cell[len(goal_code) :].strip()
            if goal_text != goals.get(goal_code) and goal_code not in seen_objective_diffs:
                seen_objective_diffs.add(goal_code)
                lines_out.append(
                    f"  [note] goal {goal_code}: card header text differs from "
                    f"section B: {goal_text!r}"
                )
        if obj_code != f"{axis}.{g}.{o}":
            failures.append(f"{c.code}: Stratejik Hedef {obj_code}")
        obj_text = c.objective_cell[len(obj_code) :].strip()
        if obj_text != objectives.get(obj_code) and obj_code not in seen_objective_diffs:
            seen_objective_diffs.add(obj_code)
            lines_out.append(
                f"  [note] objective {obj_code}: card header text differs from "
                f"section B: {obj_text!r}"
            )
    for printed, code in _code_spellings:
        lines_out.append(f"  [note] PH code printed {printed!r}, normalised to {code}")
    for t, seq, f, v in _non_numeric:
        lines_out.append(f"  [note] non-numeric indicator value kept as text: {t} #{seq} {f} {v!r}")
    print("\n".join(lines_out))
    lines_out.clear()

    print(
        f"Extracted {len(cards)} targets, {len(acts)} activities, {len(inds)} indicators, "
        f"{len(goals)} goals, {len(objectives)} objectives, {len(areas)} service areas."
    )
    if failures:
        print("VERIFICATION FAILED:")
        for f in failures:
            print("  -", f)
        return False
    print("All published figures reproduced.")
    return True


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SourceError as exc:
        print(f"extract.py: {exc}", file=sys.stderr)
        sys.exit(2)
