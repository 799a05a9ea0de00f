"""THE layout of a department form: sheet names, anchors, columns, rows, metadata keys, fingerprint.

Both the writer (`templates`) and the reader (`ingest`) use this module; a column or a label
is defined here once. The writer places tables at the rows given by `card_layout`; the reader
never trusts those rows but looks for the anchor texts (`classify_*`), so rows a department
inserts or deletes inside a table do not break reading.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kbbxl.model import ECONOMIC_CODES, PerformanceTarget, Program
from kbbxl.resources import labels
from kbbxl.text import nfc
from kbbxl.xlsx import safe_sheet_name

#: Bump when the layout changes so that the merge can refuse forms of another layout.
FORMAT_VERSION = "1"

INDICATOR_COLUMNS: tuple[str, ...] = ("seq", "name", "unit", "past2", "past1", "goal")
#: indicator columns a department types into (seq is numbered by the writer)
INDICATOR_INPUTS: tuple[str, ...] = INDICATOR_COLUMNS[1:]
INDICATOR_VALUES: tuple[str, ...] = ("past2", "past1", "goal")
HEADER_KEYS: tuple[str, ...] = ("department", "goal", "objective", "target")

#: keys of the hidden metadata sheet, in the order written
META_KEYS: tuple[str, ...] = (
    "format_version", "year", "institution", "department", "department_name", "targets",
    "fingerprint",
)


def L() -> dict[str, Any]:  # noqa: N802 - short on purpose, used everywhere in writer/reader
    """Labels and layout settings from workbook_templates/form.toml."""
    return labels("form")


META_SHEET: str = L()["sheets"]["meta"]
INSTRUCTIONS_SHEET: str = L()["sheets"]["instructions"]


# --- columns ----------------------------------------------------------------------------------


def economic_key(code: str) -> str:
    """ "03" → "ec03" (the column key of an economic code)."""
    return f"ec{code}"


def amount_columns(program: Program) -> tuple[str, ...]:
    """Activity columns holding amounts a department types: ec03 ..., off_budget."""
    keys = tuple(economic_key(c) for c in program.form_economic_codes)
    return keys + (("off_budget",) if program.off_budget else ())


def activity_columns(program: Program) -> tuple[str, ...]:
    """("seq", "name", "ec03", "ec05", "ec06", "off_budget", "total") for 2021."""
    return ("seq", "name", *amount_columns(program), "total")


def activity_inputs(program: Program) -> tuple[str, ...]:
    """Activity columns a department types into: name and the amounts."""
    return ("name", *amount_columns(program))


def indicator_headers(year: int) -> dict[str, str]:
    """Column titles of the indicators table, with the real years."""
    lab = L()["indicators"]
    years = {"year": year, "past1": year - 1, "past2": year - 2}
    return {k: lab[k].format(**years) for k in INDICATOR_COLUMNS}


def activity_headers(program: Program) -> dict[str, str]:
    """Leaf column titles of the activities table (second header row for the amounts)."""
    lab = L()["activities"]
    out = {"seq": lab["seq"], "name": lab["name"]}
    for code in program.form_economic_codes:
        out[economic_key(code)] = lab["economic_code"].format(code=code, name=ECONOMIC_CODES[code])
    if program.off_budget:
        out["off_budget"] = lab["off_budget"]
    out["total"] = lab["total"].format(year=program.year)
    return out


def _norm(text: object) -> str:
    if text is None:
        return ""
    text = str(text)
    # most texts are one printable NFC line with single spaces already: the join is a no-op
    if (text.isprintable() and "  " not in text and text.strip() == text
            and unicodedata.is_normalized("NFC", text)):
        return text
    return " ".join(nfc(text).split())


_YEAR_HEAD = re.compile(r"^(\d{4})\s*(\*?)$")
_CODE_HEAD = re.compile(r"^0?([1-9])\b")


def classify_indicator_header(text: object) -> str | None:
    """Column key of an indicators-table title as found in a workbook, or None."""
    t = _norm(text)
    if not t:
        return None
    lab = L()["indicators"]
    for key in ("seq", "name", "unit"):
        if t.casefold() == label_key(lab[key]):
            return key
    m = _YEAR_HEAD.match(t)
    if m:
        return "past1" if m.group(2) else "past2"
    goal_suffix = label_key(lab["goal"].replace("{year}", ""))
    if re.match(r"^\d{4}\b", t) and t.casefold().endswith(goal_suffix):
        return "goal"
    return None


def classify_activity_header(text: object) -> str | None:
    """Column key of an activities-table title as found in a workbook, or None."""
    t = _norm(text)
    if not t:
        return None
    lab = L()["activities"]
    low = t.casefold()
    if low == label_key(lab["seq"]):
        return "seq"
    if low == label_key(lab["name"]):
        return "name"
    if low == label_key(lab["off_budget"]):
        return "off_budget"
    m = _CODE_HEAD.match(t)
    if m:
        return economic_key(f"0{m.group(1)}")
    total_suffix = label_key(lab["total"].replace("{year}", ""))
    if re.match(r"^\d{4}\b", t) and low.endswith(total_suffix):
        return "total"
    return None


def anchor_key(text: object) -> str:
    """What anchor texts are compared by: NFC, spacing collapsed, case folded."""
    return _norm(text).casefold()


@lru_cache(maxsize=256)
def label_key(label: str) -> str:
    """anchor_key of one of the form's own labels (a small fixed set: computed once each)."""
    return anchor_key(label)


def is_anchor(text: object, anchor: str) -> bool:
    """True when a cell's text is the anchor text (spacing and case ignored)."""
    return anchor_key(text) == label_key(anchor)


def header_label_key(text: object) -> str | None:
    """Header-block key of a label cell ("Sorumlu Birim Adı" → "department"), or None."""
    for key, label in L()["header"].items():
        if is_anchor(text, label):
            return key
    return None


# --- names ------------------------------------------------------------------------------------


def sheet_name_for(target_code: str) -> str:
    """The card sheet of a PH code: "KE/PH.1.10.1" → "KE-PH.1.10.1" (legal, <= 31 chars)."""
    return safe_sheet_name(target_code.strip())


def form_file_name(program: Program, department_code: str) -> str:
    """ "2021_ULASIM.xlsx"."""
    return f"{program.year}_{department_code}.xlsx"


# --- the pre-filled (locked) structure ----------------------------------------------------------


def header_values(program: Program, target: PerformanceTarget) -> dict[str, str]:
    """The header block of a card as the plan fills it (Sorumlu Birim ... Performans Hedefi)."""
    goal = program.goal_of(target)
    objective = program.objective_of(target)
    return {
        "department": program.department(target.department).name,
        "goal": f"{goal.code} {goal.text}".strip(),
        "objective": f"{objective.code} {objective.text}".strip(),
        "target": f"{target.code} {target.text}".strip(),
    }


def card_structure(
    sheet: str, header: Sequence[object], indicator_titles: Sequence[object],
    activity_titles: Sequence[object],
) -> tuple[str, ...]:
    """The locked texts of one card, normalized: what the fingerprint covers."""
    return (_norm(sheet), *(_norm(v) for v in (*header, *indicator_titles, *activity_titles)))


def fingerprint_of(cards: Iterable[tuple[str, ...]]) -> str:
    """Hash of the locked structure of a form (the card_structure of each card sheet)."""
    h = hashlib.sha256(f"kbbxl-form-{FORMAT_VERSION}".encode())
    for card in sorted(cards):
        h.update(b"\x1e" + "\x1f".join(card).encode("utf-8"))
    return h.hexdigest()[:20]


def planned_structure(program: Program, department_code: str) -> list[tuple[str, ...]]:
    """card_structure of every card the plan gives a department."""
    ind = list(indicator_headers(program.year).values())
    act = list(activity_headers(program).values())
    titles = card_structure("", (), ind, act)[1:]  # the same on every card: normalized once
    return [
        card_structure(sheet_name_for(t.code), list(header_values(program, t).values()), (), ())
        + titles
        for t in program.targets_of(department_code)
    ]


def fingerprint(program: Program, department_code: str) -> str:
    """Hash of the pre-filled (locked) structure of a department's form for this plan."""
    return fingerprint_of(planned_structure(program, department_code))


# --- rows -------------------------------------------------------------------------------------


def table_rows(filled: int) -> int:
    """Rows a table gets: at least the minimum, always some spare rows after the filled ones."""
    rows = L()["rows"]
    return max(int(rows["minimum"]), filled + int(rows["spare"]))


@dataclass(frozen=True)
class CardLayout:
    """0-based rows and columns where the writer puts a card (the reader uses anchors instead)."""

    indicator_columns: tuple[str, ...]
    activity_columns: tuple[str, ...]
    header_first: int  # first header-block row (department)
    footnote: int
    indicator_header: int
    indicator_first: int
    indicator_rows: int
    activity_header: int  # first of the two title rows
    activity_first: int
    activity_rows: int
    total_row: int  # Genel Toplam (TL)

    @property
    def last_col(self) -> int:
        return max(len(self.indicator_columns), len(self.activity_columns)) - 1

    def header_row(self, key: str) -> int:
        return self.header_first + HEADER_KEYS.index(key)

    def indicator_col(self, key: str) -> int:
        return self.indicator_columns.index(key)

    def activity_col(self, key: str) -> int:
        return self.activity_columns.index(key)


TITLE_ROW = 0
HEADER_COL_VALUE = 2  # header labels span A:B, values C:last


def card_layout(program: Program, indicators: int = 0, activities: int = 0) -> CardLayout:
    """Where everything goes on a card with that many filled indicator and activity rows."""
    n_ind, n_act = table_rows(indicators), table_rows(activities)
    header_first = 2
    footnote = header_first + len(HEADER_KEYS) + 1
    ind_head = footnote + 1
    act_head = ind_head + 1 + n_ind + 1
    return CardLayout(
        indicator_columns=INDICATOR_COLUMNS,
        activity_columns=activity_columns(program),
        header_first=header_first,
        footnote=footnote,
        indicator_header=ind_head,
        indicator_first=ind_head + 1,
        indicator_rows=n_ind,
        activity_header=act_head,
        activity_first=act_head + 2,
        activity_rows=n_act,
        total_row=act_head + 2 + n_act,
    )


def unit_vocabulary() -> tuple[str, ...]:
    return tuple(L()["units"]["vocabulary"])
