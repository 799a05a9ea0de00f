"""The master workbook: data sheets, consolidated tables and the plan, written and read back.

Sheet order: Özet, İdare Performans Tablosu, Dairelere Göre, Toplam Kaynak İhtiyacı,
Performans Hedefi Kartları, Hedefler, Göstergeler, Faaliyetler, the merge's extra sheets
(Kontrol, Hatalar), then the plan: Genel and Genel Yönetim (the plan inputs the tables'
formulas reference) and, hidden, the hierarchy sheets of plan.xlsx. Because the master carries
the plan in the plan workbook's own layout, `read_master` rebuilds Program with `read_plan`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbbxl.errors import KbbxlError, Location, WorkbookReadError
from kbbxl.fastsheet import FastWorksheet
from kbbxl.masterbook import (
    FIRST,
    Book,
    column_headers,
    column_keys,
    column_widths,
    economic_key,
    open_book,
    plain_formulas,
)
from kbbxl.model import ECONOMIC_CODES, Activity, CardData, Indicator, Program, Source
from kbbxl.plan import add_plan_sheets, read_plan
from kbbxl.text import NumberFormatError, clean_text, parse_tr_number, tr_casefold
from kbbxl.xlsx import checked, new_workbook, safe_sheet_name, write_atomically, write_text

#: Above this many activity rows the master is written in xlsxwriter's constant-memory mode
#: (data sheets then get a plain autofilter instead of an Excel table, which that mode lacks).
LARGE_MASTER_ROWS = 50_000

_TABLE_STYLE = "Table Style Light 9"


@dataclass(frozen=True)
class ExtraSheet:
    """A plain table sheet the merge adds to the master (Kontrol, Hatalar)."""

    name: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]  # text is always written as text
    widths: Sequence[float] | None = None


def write_master(
    path: str | Path,
    program: Program,
    data: CardData,
    *,
    submission_status: Mapping[str, str] | None = None,
    extra_sheets: Sequence[ExtraSheet] = (),
) -> Path:
    """Write the master workbook atomically; returns its path.

    submission_status maps a department code to its Turkish status text for the summary
    ("Tamam", "Hatalı", "Gönderilmedi", ...); None shows "—" for every department.
    """
    return write_atomically(
        path, lambda tmp: _write(tmp, program, data, submission_status, extra_sheets)
    )


def _write(
    path: Path,
    program: Program,
    data: CardData,
    submission_status: Mapping[str, str] | None,
    extra_sheets: Sequence[ExtraSheet],
) -> None:
    from kbbxl import cards, tables

    large = len(data.activities) + len(data.indicators) > LARGE_MASTER_ROWS
    wb = new_workbook(path, constant_memory=large) if large else new_workbook(path)
    wb.worksheet_class = FastWorksheet  # every sheet, the plan's too: same bytes, faster
    try:
        book = open_book(wb, program, data, constant_memory=large)
        S = book.sheets
        taken: set[str] = set()
        ws = {key: wb.add_worksheet(safe_sheet_name(S[key], taken)) for key in (
            "summary", "ipt", "departments", "resources", "cards",
            "targets", "indicators", "activities")}
        for sheet in ws.values():
            plain_formulas(sheet)
        extras = [(wb.add_worksheet(safe_sheet_name(x.name, taken)), x) for x in extra_sheets]
        own = set(wb.sheetnames)
        book.plan_cells = add_plan_sheets(wb, program, instructions=False, hide_hierarchy=True)
        for sheet in wb.worksheets():
            if sheet.name not in own:  # the plan's sheets print like the others
                book.print_setup(sheet, repeat=(0, 0))

        _write_targets(book, ws["targets"])
        _write_indicators(book, ws["indicators"])
        _write_activities(book, ws["activities"])
        for sheet, extra in extras:
            write_extra_sheet(book, sheet, extra)
        tables.write_ipt(book, ws["ipt"])
        tables.write_departments(book, ws["departments"])
        tables.write_resources(book, ws["resources"])
        cards.write_cards(book, ws["cards"])
        tables.write_summary(book, ws["summary"], submission_status)
        ws["summary"].activate()
    finally:
        wb.close()


# --- data sheets ----------------------------------------------------------------------------


def _number_or_text(ws: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
    """A number as a number, anything else (department text) as text, None as blank."""
    if isinstance(value, bool) or value is None:
        write_text(ws, row, col, "" if value is None else str(value), fmt)
    elif isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            write_text(ws, row, col, str(value), fmt)
        else:
            ws.write_number(row, col, value, fmt)
    else:
        write_text(ws, row, col, value, fmt)


def _start_table(book: Book, ws: Any, table: str) -> tuple[str, ...]:
    keys = column_keys(table)
    headers = column_headers(table, book.program.year)
    for c, width in enumerate(column_widths(table)):
        ws.set_column(c, c, width)
    ws.freeze_panes(FIRST, 0)
    head = book.fmt("head")
    for c, key in enumerate(keys):
        write_text(ws, 0, c, headers[key], head)
    book.print_setup(ws, repeat=(0, 0))
    return keys


def _finish_table(book: Book, ws: Any, table: str, count: int) -> None:
    """Filters on the header row: an Excel table, or a plain autofilter in constant memory."""
    keys = column_keys(table)
    last_row, last_col = FIRST + max(count, 1) - 1, len(keys) - 1
    if book.constant_memory:
        ws.autofilter(0, 0, last_row, last_col)
        return
    headers = column_headers(table, book.program.year)
    checked(ws.add_table(0, 0, last_row, last_col, {
        "name": f"tbl_{table}",
        "style": _TABLE_STYLE,
        "columns": [{"header": headers[k], "header_format": book.fmt("head")} for k in keys],
    }), f"table {table}")


def _write_source(ws: Any, row: int, keys: tuple[str, ...], source: Source | None) -> None:
    if source is None:
        return
    write_text(ws, row, keys.index("source_file"), source.file)
    write_text(ws, row, keys.index("source_sheet"), source.sheet)
    ws.write_number(row, keys.index("source_row"), source.row)


def _write_targets(book: Book, ws: Any) -> None:
    keys = _start_table(book, ws, "targets")
    program = book.program
    text, money = book.fmt("wrap"), book.fmt("money")
    for i, t in enumerate(book.targets):
        row = FIRST + i
        goal = program.goal_of(t)
        objective = program.objective_of(t)
        area = book.area_of[t.code]
        axis = program.axis(area.axis)
        values = {
            "code": t.code, "text": t.text, "department": book.department_name(t.department),
            "department_code": t.department, "objective_code": objective.code,
            "objective": objective.text, "goal_code": goal.code, "goal": goal.text,
            "area_code": area.code, "area": area.name, "axis_code": axis.code, "axis": axis.name,
        }
        for key, value in values.items():
            write_text(ws, row, keys.index(key), value, text if key == "text" else None)
        span = book.activity_span.get(t.code)
        total = sum(a.total for a in book.activities[span[0]:span[1] + 1]) if span else 0.0
        formula = f"=SUM({book.span_range('activities', 'total', span)})" if span else "=0"
        ws.write_formula(row, keys.index("total"), formula, money, total)
    _finish_table(book, ws, "targets", len(book.targets))


def _write_record_head(book: Book, ws: Any, row: int, keys: tuple[str, ...],
                       record: Indicator | Activity) -> None:
    """The columns every card row starts with: code, number, name and the owner."""
    dept = book.program.target(record.target).department
    write_text(ws, row, keys.index("target"), record.target)
    ws.write_number(row, keys.index("seq"), record.seq)
    write_text(ws, row, keys.index("name"), record.name, book.fmt("wrap"))
    write_text(ws, row, keys.index("department"), book.department_name(dept))
    write_text(ws, row, keys.index("department_code"), dept)


def _write_indicators(book: Book, ws: Any) -> None:
    keys = _start_table(book, ws, "indicators")
    for i, ind in enumerate(book.indicators):
        row = FIRST + i
        _write_record_head(book, ws, row, keys, ind)
        write_text(ws, row, keys.index("unit"), ind.unit)
        for key in ("past2", "past1", "goal"):
            _number_or_text(ws, row, keys.index(key), getattr(ind, key))
        _write_source(ws, row, keys, ind.source)
    _finish_table(book, ws, "indicators", len(book.indicators))


def _write_activities(book: Book, ws: Any) -> None:
    keys = _start_table(book, ws, "activities")
    money2 = book.fmt("money2")
    first_ec = keys.index(economic_key("01"))
    last_ec = keys.index(economic_key("09"))
    col = {k: keys.index(k) for k in ("off_budget", "in_budget", "total")}
    from xlsxwriter.utility import xl_rowcol_to_cell as cell

    for i, act in enumerate(book.activities):
        row = FIRST + i
        _write_record_head(book, ws, row, keys, act)
        for code in ECONOMIC_CODES:
            c = keys.index(economic_key(code))
            # A code the activity does not have stays blank, so read_master gives back
            # exactly the codes that were sent; finance may still type into any of them.
            if code in act.amounts:
                ws.write_number(row, c, act.amounts[code], money2)
            else:
                ws.write_blank(row, c, None, money2)
        ws.write_number(row, col["off_budget"], act.off_budget, money2)
        ws.write_formula(row, col["in_budget"],
                         f"=SUM({cell(row, first_ec)}:{cell(row, last_ec)})", money2,
                         act.in_budget)
        ws.write_formula(row, col["total"],
                         f"={cell(row, col['in_budget'])}+{cell(row, col['off_budget'])}",
                         money2, act.total)
        _write_source(ws, row, keys, act.source)
    if not book.constant_memory and book.activities:
        # Amounts must stay numbers: Excel refuses text or negative values typed here.
        checked(ws.data_validation(FIRST, first_ec, FIRST + len(book.activities) - 1,
                                   col["off_budget"], {
            "validate": "decimal", "criteria": ">=", "value": 0,
            "error_title": "Geçersiz tutar",
            "error_message": "Tutar sıfır ya da pozitif bir sayı olmalıdır.",
        }), "amount validation")
    _finish_table(book, ws, "activities", len(book.activities))


def write_extra_sheet(book: Book, ws: Any, extra: ExtraSheet) -> None:
    """A plain table: bold header with filters, text as text, numbers as numbers."""
    head, wrap = book.fmt("head"), book.fmt("wrap")
    for c, header in enumerate(extra.headers):
        write_text(ws, 0, c, header, head)
        width = extra.widths[c] if extra.widths and c < len(extra.widths) else None
        if width is None:
            longest = max([len(str(header))] + [len(str(r[c])) for r in extra.rows[:200]
                                                if c < len(r) and r[c] is not None])
            width = min(max(10, longest + 2), 60)
        ws.set_column(c, c, width, wrap if width >= 60 else None)
    for r, values in enumerate(extra.rows, start=1):
        for c, value in enumerate(values):
            _number_or_text(ws, r, c, value)
    if extra.headers:
        ws.autofilter(0, 0, max(len(extra.rows), 1), len(extra.headers) - 1)
    ws.freeze_panes(1, 0)
    book.print_setup(ws, repeat=(0, 0))


# --- reading back -----------------------------------------------------------------------------


def _sheet_rows(wb: Any, path: Path, name: str) -> list[list[Any]]:
    if name not in wb.sheet_names:
        raise WorkbookReadError(str(path), f"'{name}' sayfası bulunamadı", name)
    return wb.get_sheet_by_name(name).to_python(skip_empty_area=False)


def _header_index(rows: list[list[Any]], headers: dict[str, str], path: Path,
                  sheet: str) -> dict[str, int]:
    found = [tr_casefold(clean_text(h)) for h in (rows[0] if rows else [])]
    index: dict[str, int] = {}
    for key, header in headers.items():
        want = tr_casefold(header)
        if want not in found:
            raise WorkbookReadError(str(path), f"'{header}' sütun başlığı bulunamadı", sheet)
        index[key] = found.index(want)
    return index


class _Reader:
    """Typed access to the cells of one data sheet, every problem located by cell."""

    def __init__(self, path: Path, sheet: str, rows: list[list[Any]], index: dict[str, int]):
        self.path, self.sheet, self.rows, self.index = path, sheet, rows, index
        self.problems: list[tuple[Location, str]] = []

    def raw(self, r: int, key: str) -> Any:
        row, c = self.rows[r], self.index[key]
        value = row[c] if c < len(row) else None
        return None if value == "" else value

    def where(self, r: int, key: str) -> Location:
        from xlsxwriter.utility import xl_rowcol_to_cell

        return Location(self.path.name, self.sheet, xl_rowcol_to_cell(r, self.index[key]))

    def text(self, r: int, key: str) -> str:
        return clean_text(self.raw(r, key))

    def number(self, r: int, key: str, *, blank: float | None = 0.0) -> float | None:
        value = self.raw(r, key)
        try:
            parsed = parse_tr_number(value)
        except NumberFormatError as exc:
            self.problems.append((self.where(r, key), f"sayı olmalı: {exc}"))
            return blank
        if parsed is not None and parsed < 0:
            self.problems.append((self.where(r, key), "tutar negatif olamaz"))
        return blank if parsed is None else parsed

    def value(self, r: int, key: str) -> float | str | None:
        value = self.raw(r, key)
        if isinstance(value, bool) or value is None:
            return None if value is None else str(value)
        if isinstance(value, int | float):
            return float(value)
        return clean_text(value) or None

    def source(self, r: int) -> Source | None:
        file, sheet = self.text(r, "source_file"), self.text(r, "source_sheet")
        row = self.raw(r, "source_row")
        if not file and not sheet and row is None:
            return None
        return Source(file, sheet, int(row) if isinstance(row, int | float) else 0)

    def records(self) -> range:
        """Row numbers of non-empty records (a row with no code and no name is skipped)."""
        return range(FIRST, len(self.rows))

    def empty(self, r: int) -> bool:
        return not self.text(r, "target") and not self.text(r, "name")


def read_master(path: str | Path) -> tuple[Program, CardData]:
    """The program and card data held by a master workbook (after finance edited it).

    The plan comes from the plan sheets (read_plan), indicators and activities from the
    Göstergeler and Faaliyetler sheets; the formula columns (Bütçe İçi, Toplam) are ignored,
    they are recomputed.
    """
    from python_calamine import CalamineWorkbook

    from kbbxl.masterbook import labels_master
    from kbbxl.model import canonical_target_code

    path = Path(path)
    program = read_plan(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise WorkbookReadError(str(path), f"okunamadı ({exc})") from exc
    S = labels_master()["sheets"]
    year = program.year
    readers = {}
    for table in ("indicators", "activities"):
        rows = _sheet_rows(wb, path, S[table])
        index = _header_index(rows, column_headers(table, year), path, S[table])
        readers[table] = _Reader(path, S[table], rows, index)

    def code(rd: _Reader, r: int) -> str:
        try:
            return canonical_target_code(rd.text(r, "target"))
        except ValueError as exc:
            rd.problems.append((rd.where(r, "target"), str(exc)))
            return rd.text(r, "target")

    def seq(rd: _Reader, r: int) -> int:
        n = rd.number(r, "seq", blank=None)
        if n is None or not float(n).is_integer():
            rd.problems.append((rd.where(r, "seq"), "sıra numarası bir tam sayı olmalı"))
            return 0
        return int(n)

    rd = readers["indicators"]
    indicators = [
        Indicator(
            target=code(rd, r), seq=seq(rd, r), name=rd.text(r, "name"), unit=rd.text(r, "unit"),
            past2=rd.value(r, "past2"), past1=rd.value(r, "past1"), goal=rd.value(r, "goal"),
            source=rd.source(r),
        )
        for r in rd.records() if not rd.empty(r)
    ]
    rd = readers["activities"]
    activities = []
    for r in rd.records():
        if rd.empty(r):
            continue
        amounts = {}
        for c in ECONOMIC_CODES:
            value = rd.number(r, economic_key(c), blank=None)
            if value is not None:
                amounts[c] = value
        activities.append(Activity(
            target=code(rd, r), seq=seq(rd, r), name=rd.text(r, "name"), amounts=amounts,
            off_budget=rd.number(r, "off_budget") or 0.0, source=rd.source(r),
        ))
    problems = readers["indicators"].problems + readers["activities"].problems
    for act in activities:
        if not program.has_target(act.target):
            problems.append((Location(path.name, S["activities"]),
                             f"'{act.target}' planda olmayan bir performans hedefi kodu"))
    if problems:
        lines = [f"{loc}: {msg}" for loc, msg in problems[:50]]
        more = f"\n... ve {len(problems) - 50} sorun daha" if len(problems) > 50 else ""
        raise KbbxlError("Ana çalışma kitabında sorun var:\n" + "\n".join(lines) + more)
    return program, CardData(tuple(indicators), tuple(activities))


def build_report(master_path: str | Path, out_path: str | Path) -> Path:
    """Rebuild every table of a master from its own (possibly edited) data sheets.

    The submission status shown in the summary and the merge's extra sheets (Kontrol,
    Hatalar) are carried over as they are.
    """
    from kbbxl import tables

    program, data = read_master(master_path)
    status, extras = tables.read_carried_over(Path(master_path), program)
    return write_master(out_path, program, data, submission_status=status, extra_sheets=extras)
