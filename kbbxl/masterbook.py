"""Where everything sits in the master workbook: data-sheet columns, record rows, formats, print.

Every writer of the master (data sheets, consolidated tables, cards, summary) works through one
`Book`, so that a formula in one sheet and the cell it points to in another are placed by the
same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from xlsxwriter.utility import quote_sheetname, xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from kbbxl.errors import KbbxlError
from kbbxl.model import (
    ECONOMIC_CODES,
    Activity,
    CardData,
    Indicator,
    PerformanceTarget,
    Program,
    ServiceArea,
)
from kbbxl.plan import PlanCells
from kbbxl.resources import labels
from kbbxl.xlsx import write_text

#: First worksheet row (0-based) of the records in every data sheet; row 0 is the header.
FIRST = 1


def labels_master() -> dict[str, Any]:
    return labels("master")


def economic_key(code: str) -> str:
    return f"ec{code}"


@cache
def column_keys(table: str) -> tuple[str, ...]:
    """Column keys of a data sheet in workbook order ("economic" expands to ec01..ec09)."""
    keys: list[str] = []
    for key in labels_master()["columns"][table]:
        if key == "economic":
            keys.extend(economic_key(c) for c in ECONOMIC_CODES)
        else:
            keys.append(key)
    return tuple(keys)


@cache
def column_index(table: str, key: str) -> int:
    return column_keys(table).index(key)


@cache
def _column_letter(table: str, key: str) -> str:
    return xl_col_to_name(column_index(table, key))


@cache
def _quoted(sheet: str) -> str:
    return quote_sheetname(sheet)


def _plain_formula(formula: str, expand_future_functions: bool = False) -> str:
    return formula[1:] if formula.startswith("=") else formula


def plain_formulas(ws: Worksheet) -> None:
    """Skip xlsxwriter's rewriting of newer Excel functions (_xlfn. prefixes) on `ws`.

    The master's formulas use only SUM, SUMIF, COUNTIF, IF and ROUND, which need no prefix,
    and the ~150 regular-expression passes per formula were half of the master's write time.
    """
    ws._prepare_formula = _plain_formula  # type: ignore[method-assign]


def column_headers(table: str, year: int) -> dict[str, str]:
    """Column key -> Turkish header for a data sheet of program year `year`."""
    spec = labels_master()["columns"][table]
    out: dict[str, str] = {}
    fill = {"year": year, "past1": year - 1, "past2": year - 2}
    for key in column_keys(table):
        if key.startswith("ec") and key[2:] in ECONOMIC_CODES:
            code = key[2:]
            out[key] = spec["economic"]["header"].format(code=code, name=ECONOMIC_CODES[code])
        else:
            out[key] = spec[key]["header"].format(**fill)
    return out


def column_widths(table: str) -> list[float]:
    spec = labels_master()["columns"][table]
    return [
        spec["economic"]["width"] if k.startswith("ec") and k[2:] in ECONOMIC_CODES
        else spec[k]["width"]
        for k in column_keys(table)
    ]


# Named format fragments; a cell's format is the union of a few of them (see Book.fmt).
_FRAGMENTS: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 14},
    "subtitle": {"bold": True, "font_size": 11},
    "head": {"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "align": "center",
             "valign": "vcenter", "border": 1},
    "cell": {"border": 1, "valign": "top"},
    "wrap": {"text_wrap": True},
    "center": {"align": "center"},
    "bold": {"bold": True},
    "money": {"num_format": "#,##0"},
    "money2": {"num_format": "#,##0.00"},
    "lira": {"num_format": '#,##0.00 "₺"'},
    "dash": {"num_format": '#,##0;-#,##0;"-"'},
    "share": {"num_format": "0.00%"},
    "int": {"num_format": "0"},
    "general": {"num_format": "General"},
    "axis": {"bold": True, "bg_color": "#9BC2E6"},
    "area": {"bold": True, "bg_color": "#DDEBF7"},
    "total": {"bold": True, "bg_color": "#FCE4D6"},
    "label": {"bold": True, "bg_color": "#F2F2F2", "text_wrap": True},
    "bad": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
}


@dataclass
class Book:
    """An open master workbook with the program and its records in document order."""

    wb: Workbook
    program: Program
    targets: tuple[PerformanceTarget, ...]
    activities: tuple[Activity, ...]
    indicators: tuple[Indicator, ...]
    #: target code -> (first, last) index into activities / indicators (inclusive)
    activity_span: dict[str, tuple[int, int]]
    indicator_span: dict[str, tuple[int, int]]
    area_of: dict[str, ServiceArea]
    constant_memory: bool = False
    L: dict[str, Any] = field(default_factory=labels_master)
    plan_cells: PlanCells | None = None
    #: filled by the table writers for the summary: area code -> IPT row, grand-total row
    ipt_area_rows: dict[str, int] = field(default_factory=dict)
    ipt_grand_row: int = -1
    #: IPT subtotal row -> cached (Bütçe Dışı, Bütçe İçi, Toplam) of that row
    ipt_values: dict[int, list[float]] = field(default_factory=dict)
    department_rows: tuple[int, int] = (0, -1)
    _formats: dict[tuple[str, ...], Any] = field(default_factory=dict)
    _department_names: dict[str, str] = field(default_factory=dict)

    @property
    def sheets(self) -> dict[str, str]:
        return self.L["sheets"]

    def fmt(self, *names: str) -> Any:
        """An xlsxwriter format merged from the named fragments (created once per workbook)."""
        key = tuple(names)
        if key not in self._formats:
            props: dict[str, Any] = {"font_name": "Calibri", "font_size": 10}
            for name in names:
                props.update(_FRAGMENTS[name])
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def department_name(self, code: str) -> str:
        program = self.program
        return program.department(code).name if program.has_department(code) else code

    def owner(self, target: str) -> tuple[str, str]:
        """(name, code) of the department that owns target `target`."""
        code = self.program.target(target).department
        name = self._department_names.get(code)
        if name is None:
            name = self._department_names[code] = self.department_name(code)
        return name, code

    # references into the data sheets -----------------------------------------------------
    def ref(self, table: str, key: str, index: int, *, absolute: bool = False) -> str:
        """Reference to record `index` (0-based) of data sheet `table`, column `key`."""
        if absolute:
            cell = xl_rowcol_to_cell(FIRST + index, column_index(table, key), True, True)
        else:  # the common case, one per amount cell of the tables: kept cheap
            return f"{self.column_ref(table, key)}{FIRST + index + 1}"
        return f"{_quoted(self.sheets[table])}!{cell}"

    def column_ref(self, table: str, key: str) -> str:
        """A relative reference to column `key` of data sheet `table` without the row number
        ('Faaliyetler'!K): the records' cells are this plus str(FIRST + index + 1)."""
        return f"{_quoted(self.sheets[table])}!{_column_letter(table, key)}"

    def column_range(self, table: str, key: str) -> str:
        """Absolute reference to column `key` over all records of `table` (one row if none)."""
        col = xl_col_to_name(column_index(table, key))
        count = {"activities": len(self.activities), "indicators": len(self.indicators),
                 "targets": len(self.targets)}[table]
        first, last = FIRST + 1, FIRST + max(count, 1)
        return f"{quote_sheetname(self.sheets[table])}!${col}${first}:${col}${last}"

    def span_range(self, table: str, key: str, span: tuple[int, int]) -> str:
        first, last = span
        end = xl_rowcol_to_cell(FIRST + last, column_index(table, key))
        return f"{self.ref(table, key, first)}:{end}"

    # page setup ----------------------------------------------------------------------------
    def print_setup(self, ws: Worksheet, *, repeat: tuple[int, int] | None = None,
                    landscape: bool = True) -> None:
        """A4, landscape, one page wide, header rows repeated, page numbers in the footer."""
        ws.set_paper(9)
        if landscape:
            ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        if repeat is not None:
            ws.repeat_rows(*repeat)
        # '&' starts a footer code; a literal one is written '&&'. Excel allows 255 characters.
        institution = self.program.institution.replace("&", "&&")[:120]
        footer = self.L["print"]["footer"].format(institution=institution,
                                                  year=self.program.year)
        ws.set_footer(footer)


def document_order(
    program: Program,
) -> tuple[tuple[PerformanceTarget, ...], dict[str, ServiceArea]]:
    """The plan's targets in the printed document's order: axis, service area, plan order."""
    area_of: dict[str, ServiceArea] = {}
    by_area: dict[str, list[PerformanceTarget]] = {a.code: [] for a in program.service_areas}
    problems = []
    for t in program.targets:
        try:
            area = program.service_area_of(t)
        except (KeyError, StopIteration):
            problems.append(t.code)
            continue
        area_of[t.code] = area
        by_area[area.code].append(t)
    if problems:
        raise KbbxlError(
            "Planda hizmet alanına bağlanamayan performans hedefleri var: " + ", ".join(problems)
        )
    ordered: list[PerformanceTarget] = []
    for axis in program.axes:
        for area in program.areas_of_axis(axis.code):
            ordered.extend(by_area[area.code])
    placed = {t.code for t in ordered}
    missing = [t.code for t in program.targets if t.code not in placed]
    if missing:
        raise KbbxlError(
            "Planda dönüşüm alanına bağlanamayan performans hedefleri var: " + ", ".join(missing)
        )
    return tuple(ordered), area_of


def _spans(codes: Sequence[str]) -> dict[str, tuple[int, int]]:
    spans: dict[str, tuple[int, int]] = {}
    for i, code in enumerate(codes):
        first = spans.get(code, (i, i))[0]
        spans[code] = (first, i)
    return spans


def open_book(wb: Workbook, program: Program, data: CardData, *,
              constant_memory: bool = False) -> Book:
    """Order the records as the document does and check that every record has its target."""
    targets, area_of = document_order(program)
    rank = {t.code: i for i, t in enumerate(targets)}
    unknown = sorted({r.target for r in (*data.activities, *data.indicators)} - rank.keys())
    if unknown:
        raise KbbxlError(
            "Planda olmayan performans hedefi kodları ana çalışma kitabına yazılamaz: "
            + ", ".join(unknown)
        )
    # sorted() is stable: rows with the same target and number keep the order they came in.
    activities = tuple(sorted(data.activities, key=lambda a: (rank[a.target], a.seq)))
    indicators = tuple(sorted(data.indicators, key=lambda i: (rank[i.target], i.seq)))
    return Book(
        wb=wb,
        program=program,
        targets=targets,
        activities=activities,
        indicators=indicators,
        activity_span=_spans([a.target for a in activities]),
        indicator_span=_spans([i.target for i in indicators]),
        area_of=area_of,
        constant_memory=constant_memory,
    )


class RowBuffer:
    """Cell writes collected, then replayed in row order.

    xlsxwriter's constant-memory mode (large masters) writes each row once, top to bottom, and
    cannot merge cells over several rows; a block written through this buffer works in both
    modes (in constant memory a vertical merge becomes its top cell plus formatted blanks).
    A block that repeats (the header of every card) is collected once at row 0 and replayed
    at each place with `replay`.
    """

    def __init__(self, book: Book, ws: Worksheet):
        self.book, self.ws = book, ws
        # (row, col, order, kind, arguments); col -1 for the row's height
        self._ops: list[tuple[int, int, int, str, tuple[Any, ...]]] = []

    def _add(self, row: int, col: int, kind: str, *args: Any) -> None:
        self._ops.append((row, col, len(self._ops), kind, args))

    def height(self, row: int, points: float) -> None:
        self._add(row, -1, "height", points)

    def text(self, row: int, col: int, value: object, fmt: Any = None) -> None:
        self._add(row, col, "text", value, fmt)

    def blank(self, row: int, col: int, fmt: Any = None) -> None:
        self._add(row, col, "blank", fmt)

    def formula(self, row: int, col: int, formula: str, fmt: Any, value: Any) -> None:
        self._add(row, col, "formula", formula, fmt, value)

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int,
              value: object, fmt: Any) -> None:
        if last_row > first_row and self.book.constant_memory:
            self.text(first_row, first_col, value, fmt)
            for r in range(first_row, last_row + 1):
                for c in range(first_col, last_col + 1):
                    if (r, c) != (first_row, first_col):
                        self.blank(r, c, fmt)
            return
        self._add(first_row, first_col, "merge", last_row - first_row, last_col, value, fmt)

    def flush(self) -> None:
        self.replay(0)
        self._ops.clear()

    def replay(self, offset: int) -> None:
        """Write the collected cells `offset` rows further down (they stay collected)."""
        self._ops.sort(key=lambda o: (o[0], o[1], o[2]))
        ws = self.ws
        for row, col, _, kind, args in self._ops:
            row += offset
            if kind == "text":
                write_text(ws, row, col, *args)
            elif kind == "blank":
                ws.write_blank(row, col, None, *args)
            elif kind == "merge":
                rows, last_col, value, fmt = args
                if rows or last_col != col:  # one cell: nothing to merge
                    ws.merge_range(row, col, row + rows, last_col, "", fmt)
                write_text(ws, row, col, value, fmt)
            elif kind == "height":
                ws.set_row(row, *args)
            else:
                ws.write_formula(row, col, *args)
