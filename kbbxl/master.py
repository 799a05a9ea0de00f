"""The master workbook: data sheets, consolidated tables and the plan, written and read back.

Sheet order: Özet, İdare Performans Tablosu, Dairelere Göre, Toplam Kaynak İhtiyacı,
Performans Hedefi Kartları, Hedefler, Göstergeler, Faaliyetler, the merge's extra sheets
(Kontrol, Hatalar), then the plan: Genel and Genel Yönetim (the plan inputs the tables'
formulas reference) and, hidden, the hierarchy sheets of plan.xlsx. Because the master carries
the plan in the plan workbook's own layout, `read_master` rebuilds Program with `read_plan`.
"""

from __future__ import annotations

import math
import tempfile
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
    # xlsxwriter's working files (the sheets' XML before zipping: ~2 GB for a national
    # master) go beside the master, not to the system's temp folder, which may be RAM
    options = {"constant_memory": True} if large else {}
    with tempfile.TemporaryDirectory(prefix=f"{path.stem}-parts-", dir=path.parent,
                                     ignore_cleanup_errors=True) as parts:
        wb = new_workbook(path, tmpdir=parts, **options)
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
            ws._write_number(row, col, value, fmt)
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


class _RowWriter:
    """The columns every card row starts with (code, number, name, owner) and ends with (its
    source), columns looked up once per sheet; the hot loop of the data sheets."""

    def __init__(self, book: Book, ws: Any, keys: tuple[str, ...]):
        self.book, self.ws = book, ws
        self.head_cols = [keys.index(k) for k in ("target", "seq", "name", "department",
                                                  "department_code")]
        self.source_cols = [keys.index(k) for k in ("source_file", "source_sheet",
                                                    "source_row")]
        self.wrap = book.fmt("wrap")

    def head(self, row: int, record: Indicator | Activity) -> None:
        ws = self.ws
        target, seq, name, dept_name, dept = self.head_cols
        department, code = self.book.owner(record.target)
        write_text(ws, row, target, record.target)
        ws._write_number(row, seq, record.seq)
        write_text(ws, row, name, record.name, self.wrap)
        write_text(ws, row, dept_name, department)
        write_text(ws, row, dept, code)

    def source(self, row: int, source: Source | None) -> None:
        if source is None:
            return
        file, sheet, number = self.source_cols
        write_text(self.ws, row, file, source.file)
        write_text(self.ws, row, sheet, source.sheet)
        self.ws._write_number(row, number, source.row)


def _write_targets(book: Book, ws: Any) -> None:
    keys = _start_table(book, ws, "targets")
    program = book.program
    text, money = book.fmt("wrap"), book.fmt("money")
    columns = [(keys.index(k), text if k == "text" else None) for k in (
        "code", "text", "department", "department_code", "objective_code", "objective",
        "goal_code", "goal", "area_code", "area", "axis_code", "axis")]
    total_col = keys.index("total")
    axes = {a.code: a for a in program.axes}
    for i, t in enumerate(book.targets):
        row = FIRST + i
        goal = program.goal_of(t)
        objective = program.objective_of(t)
        area = book.area_of[t.code]
        axis = axes[area.axis]
        values = (t.code, t.text, book.department_name(t.department), t.department,
                  objective.code, objective.text, goal.code, goal.text, area.code, area.name,
                  axis.code, axis.name)
        for (col, fmt), value in zip(columns, values, strict=True):
            write_text(ws, row, col, value, fmt)
        span = book.activity_span.get(t.code)
        if span:
            total = sum(a.total for a in book.activities[span[0]:span[1] + 1])
            formula = f"=SUM({book.span_range('activities', 'total', span)})"
        else:
            total, formula = 0.0, "=0"
        ws.put_formula(row, total_col, formula, money, total)
    _finish_table(book, ws, "targets", len(book.targets))


def _write_indicators(book: Book, ws: Any) -> None:
    keys = _start_table(book, ws, "indicators")
    rows = _RowWriter(book, ws, keys)
    unit = keys.index("unit")
    values = [keys.index(k) for k in ("past2", "past1", "goal")]
    for i, ind in enumerate(book.indicators):
        row = FIRST + i
        rows.head(row, ind)
        write_text(ws, row, unit, ind.unit)
        for col, value in zip(values, (ind.past2, ind.past1, ind.goal), strict=True):
            _number_or_text(ws, row, col, value)
        rows.source(row, ind.source)
    _finish_table(book, ws, "indicators", len(book.indicators))


def _write_activities(book: Book, ws: Any) -> None:
    keys = _start_table(book, ws, "activities")
    rows = _RowWriter(book, ws, keys)
    money2 = book.fmt("money2")
    first_ec = keys.index(economic_key("01"))
    last_ec = keys.index(economic_key("09"))
    codes = [(code, keys.index(economic_key(code))) for code in ECONOMIC_CODES]
    off, in_budget, total = (keys.index(k) for k in ("off_budget", "in_budget", "total"))
    from xlsxwriter.utility import xl_col_to_name

    # The two formulas of a row differ only in the row number.
    sum_range = f"=SUM({xl_col_to_name(first_ec)}{{n}}:{xl_col_to_name(last_ec)}{{n}})"
    in_plus_off = f"={xl_col_to_name(in_budget)}{{n}}+{xl_col_to_name(off)}{{n}}"
    write_number, write_blank, put_formula = ws._write_number, ws._write_blank, ws.put_formula
    for i, act in enumerate(book.activities):
        row = FIRST + i
        n = row + 1
        rows.head(row, act)
        amounts = act.amounts
        for code, c in codes:
            # A code the activity does not have stays blank, so read_master gives back
            # exactly the codes that were sent; finance may still type into any of them.
            if code in amounts:
                write_number(row, c, amounts[code], money2)
            else:
                write_blank(row, c, None, money2)
        write_number(row, off, act.off_budget, money2)
        in_value = act.in_budget
        put_formula(row, in_budget, sum_range.format(n=n), money2, in_value)
        put_formula(row, total, in_plus_off.format(n=n), money2, in_value + act.off_budget)
        rows.source(row, act.source)
    if not book.constant_memory and book.activities:
        # Amounts must stay numbers: Excel refuses text or negative values typed here.
        checked(ws.data_validation(FIRST, first_ec, FIRST + len(book.activities) - 1,
                                   off, {
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
