"""The performance-target cards of section II-C, print-ready, as formulas over the data sheets.

Cards are grouped by transformation axis and service area in the document's order, with a
page break before every service area. Indicator values and amounts point at their Göstergeler
and Faaliyetler cells, so an amount finance corrects there shows on the card too.
"""

from __future__ import annotations

import math
from typing import Any

from kbbxl.masterbook import FIRST, Book, RowBuffer
from kbbxl.model import ECONOMIC_CODES, PerformanceTarget
from kbbxl.report import tr_number
from kbbxl.tables import cell
from kbbxl.xlsx import write_text

# Excel keeps at most 1026 manual page breaks per sheet; xlsxwriter accepts 1023.
_MAX_BREAKS = 1023
#: Rows of an Excel sheet.
EXCEL_ROWS = 1_048_576


def card_codes(book: Book) -> list[str]:
    """Economic codes shown on the cards: the forms' codes and any other one that is used."""
    used = {c for a in book.activities for c, v in a.amounts.items() if v}
    return [c for c in ECONOMIC_CODES if c in used or c in book.program.form_economic_codes]


class _Cards:
    def __init__(self, book: Book, ws: Any):
        self.book, self.ws = book, ws
        self.L = book.L["cards"]
        self.codes = card_codes(book)
        self.off = any(a.off_budget for a in book.activities)
        # Activities: Sıra, name, one column per code, [Bütçe Dışı], total.
        self.total_col = 2 + len(self.codes) + (1 if self.off else 0)
        self.last_col = max(5, self.total_col)
        widths = list(self.L["widths"])
        widths += [widths[-2]] * (self.last_col + 1 - len(widths))
        self.widths = widths
        for col, width in enumerate(widths[: self.last_col + 1]):
            ws.set_column(col, col, width)
        self.row = 0
        self.breaks: list[int] = []
        year = book.program.year
        self.fill = {"year": year, "past1": year - 1, "past2": year - 2}
        # Characters a merged text from column 0 or 1 to the last column holds per line.
        self.chars = [sum(widths[first: self.last_col + 1]) for first in (0, 1)]
        # The activity columns after Sıra and name: (column, what it shows).
        self.columns = [(2 + n, f"ec{c}") for n, c in enumerate(self.codes)]
        if self.off:
            self.columns.append((2 + len(self.codes), "off_budget"))
        self.columns.append((self.total_col, "total"))
        self.header: RowBuffer | None = None  # made at the first card (formats by first use)

    def fmt(self, *names: str) -> Any:
        return self.book.fmt(*names)

    def merged_text(self, first_col: int, text: str, fmt: Any, *, height: bool = True) -> None:
        """Text over columns first_col..last_col; merged cells do not grow, so size the row."""
        row, ws = self.row, self.ws
        if height:
            chars = self.chars[first_col] if first_col < 2 else sum(
                self.widths[first_col: self.last_col + 1])
            lines = max(1, math.ceil(len(text) * 1.1 / max(chars, 1)))
            ws.set_row(row, 14 * lines + 2)
        if first_col < self.last_col:
            ws.put_merged(row, first_col, self.last_col, fmt)
        write_text(ws, row, first_col, text, fmt)

    def heading(self, text: str, page_break: bool) -> None:
        if page_break and self.row > 0 and len(self.breaks) < _MAX_BREAKS:
            self.breaks.append(self.row)
        self.ws.set_row(self.row, 20)
        col = 0
        self.merged_text(col, text, self.fmt("title"), height=False)
        self.row += 1

    def card(self, target: PerformanceTarget) -> None:
        book, ws, L = self.book, self.ws, self.L
        program = book.program
        goal, objective = program.goal_of(target), program.objective_of(target)
        label, value = self.fmt("cell", "label"), self.fmt("cell", "wrap")
        for key, text in (
            ("department", book.department_name(target.department)),
            ("goal", f"{goal.code} {goal.text}"),
            ("objective", f"{objective.code} {objective.text}"),
            ("target", f"{target.code} {target.text}"),
        ):
            self.merged_text(1, text, value)
            write_text(ws, self.row, 0, L[key], label)
            self.row += 1

        head = self.fmt("head")
        for col, key in enumerate(("seq", "indicators", "unit", "past2", "past1", "goal_value")):
            write_text(ws, self.row, col, L[key].format(**self.fill), head)
        ws.put_blanks(self.row, 6, self.last_col, head)
        self.row += 1
        span = book.indicator_span.get(target.code)
        text_fmt, num = self.fmt("cell", "wrap"), self.fmt("cell", "general", "center")
        whole_fmt = self.fmt("cell", "money", "center")
        if span:
            self.indicators(span, text_fmt, num, whole_fmt)
        self.activities(target)
        self.row += 1  # a blank line between cards

    def indicators(self, span: tuple[int, int], text_fmt: Any, num: Any, whole_fmt: Any) -> None:
        book, ws = self.book, self.ws
        center = self.fmt("cell", "center")
        missing = self.L["missing"]
        seq_ref = "=" + book.column_ref("indicators", "seq")
        # past2, past1, goal: the value's cell, or "-" when it is empty.
        refs = [(col, key, book.column_ref("indicators", key))
                for col, key in ((3, "past2"), (4, "past1"), (5, "goal"))]
        put_formula = ws.put_formula
        row = self.row
        for i in range(span[0], span[1] + 1):
            ind = book.indicators[i]
            n = str(FIRST + i + 1)
            put_formula(row, 0, seq_ref + n, center, ind.seq)
            write_text(ws, row, 1, ind.name, text_fmt)
            write_text(ws, row, 2, ind.unit, center)
            for col, key, ref in refs:
                raw = getattr(ind, key)
                shown = missing if raw is None or raw == "" else raw
                # Whole numbers with thousands separators (125.000.000), others as they are (2,5).
                whole = isinstance(raw, float) and raw.is_integer()
                cell_ref = ref + n
                put_formula(row, col, f'=IF({cell_ref}="","{missing}",{cell_ref})',
                            whole_fmt if whole else num, shown)
            ws.put_blanks(row, 6, self.last_col, text_fmt)
            row += 1
        self.row = row

    def activities_header(self) -> RowBuffer:
        """The two header rows of every card's activities, at rows 0 and 1 (replayed)."""
        book, L = self.book, self.L
        head = self.fmt("head")
        top, sub = 0, 1
        first_code, last_code = 2, 1 + len(self.codes)
        # "Ekonomik Kod (I. Düzey)" over the code columns.
        buf = RowBuffer(book, self.ws)
        buf.height(sub, 30)
        for col, key in ((0, "seq"), (1, "activities")):
            buf.merge(top, col, sub, col, L[key], head)
        buf.merge(top, first_code, top, max(first_code, last_code), L["economic"], head)
        if self.off:
            buf.merge(top, last_code + 1, sub, last_code + 1,
                      book.L["ipt"]["off_budget"]["header"], head)
        buf.merge(top, self.total_col, sub, self.total_col, L["need"].format(**self.fill), head)
        for n, code in enumerate(self.codes):
            buf.text(sub, first_code + n, f"{code} {ECONOMIC_CODES[code]}", head)
        for col in range(self.total_col + 1, self.last_col + 1):
            buf.blank(top, col, head)
            buf.blank(sub, col, head)
        return buf

    def activities(self, target: PerformanceTarget) -> None:
        book, ws, L = self.book, self.ws, self.L
        if self.header is None:
            self.header = self.activities_header()
        self.header.replay(self.row)
        self.row += 2
        money, text_fmt = self.fmt("cell", "money"), self.fmt("cell", "wrap")
        span = book.activity_span.get(target.code)
        acts = book.activities[span[0]: span[1] + 1] if span else ()
        center = self.fmt("cell", "center") if acts else None
        columns = [(col, key, "=" + book.column_ref("activities", key))
                   for col, key in self.columns]
        put_formula = ws.put_formula
        seq_ref = "=" + book.column_ref("activities", "seq")
        first_row = row = self.row
        totals: list[float] = [0] * len(columns)  # as sum() would give them: 0 without rows
        for i, act in enumerate(acts, start=span[0] if span else 0):
            n = str(FIRST + i + 1)
            put_formula(row, 0, seq_ref + n, center, act.seq)
            write_text(ws, row, 1, act.name, text_fmt)
            in_budget = act.in_budget
            for k, (col, key, ref) in enumerate(columns):
                value = in_budget + act.off_budget if key == "total" else (
                    act.off_budget if key == "off_budget" else act.amounts.get(key[2:], 0.0))
                put_formula(row, col, ref + n, money, value)
                totals[k] += value
            row += 1
        last_row = row - 1
        total = self.fmt("cell", "money", "total")
        ws.put_merged(row, 0, 1, total)
        write_text(ws, row, 0, L["total"], total)
        for (col, _key, _ref), value in zip(columns, totals, strict=True):
            formula = (f"=SUM({cell(first_row, col)}:{cell(last_row, col)})"
                       if last_row >= first_row else "=0")
            ws.put_formula(row, col, formula, total, value)
        self.row = row + 1


def card_rows(book: Book) -> int:
    """Rows the cards section needs (title and notes, headings, each card's rows)."""
    def count(span: tuple[int, int] | None) -> int:
        return span[1] - span[0] + 1 if span else 0

    per_card = sum(9 + count(book.indicator_span.get(t.code)) + count(
        book.activity_span.get(t.code)) for t in book.targets)
    return 3 + len(book.program.axes) + len(book.program.service_areas) + per_card


def write_cards(book: Book, ws: Any) -> None:
    """Performans Hedefleri, Göstergeler ve Faaliyetler: every card, by axis and service area."""
    cards = _Cards(book, ws)
    program = book.program
    L = cards.L
    cards.merged_text(0, book.L["titles"]["cards"], book.fmt("title"), height=False)
    cards.row += 1
    needed = card_rows(book)
    if needed > EXCEL_ROWS:
        # A national merge (~135.000 cards, ~2 million rows) does not fit one sheet; nobody
        # prints it either. Say so instead of failing at row 1.048.577.
        cards.merged_text(0, L["too_many"].format(cards=tr_number(len(book.targets)),
                                                  rows=tr_number(needed),
                                                  limit=tr_number(EXCEL_ROWS)),
                          book.fmt("wrap"), height=False)
        book.print_setup(ws, landscape=True)
        return
    cards.merged_text(0, L["note"].format(**cards.fill), book.fmt("wrap"), height=False)
    cards.row += 2
    by_area: dict[str, list[PerformanceTarget]] = {}
    for t in book.targets:
        by_area.setdefault(book.area_of[t.code].code, []).append(t)
    for n, axis in enumerate(program.axes, start=1):
        cards.heading(L["axis_heading"].format(n=n, name=axis.name), page_break=n > 1)
        for k, area in enumerate(program.areas_of_axis(axis.code)):
            cards.heading(L["area_heading"].format(code=area.code, name=area.name),
                          page_break=k > 0)
            for target in by_area.get(area.code, ()):
                cards.card(target)
    if cards.breaks:
        ws.set_h_pagebreaks(cards.breaks)
    book.print_setup(ws, landscape=True)
