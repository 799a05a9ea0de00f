"""Writes department forms: blank, prefilled, and returned-with-corrections copies (one writer).

Every form is written with xlsxwriter through kbbxl.xlsx (text never becomes a formula), at the
positions kbbxl.form.card_layout gives, and atomically. Formulas carry their cached values,
computed here in Python the way a spreadsheet's SUM computes them (text and blanks ignored).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from kbbxl import form
from kbbxl.errors import TemplateError
from kbbxl.form import L
from kbbxl.model import CardData, PerformanceTarget, Program
from kbbxl.text import EXCEL_CELL_LIMIT
from kbbxl.xlsx import checked, new_workbook, wrapped_row_height, write_atomically, write_text


@dataclass(frozen=True)
class CardFill:
    """What goes into a card's input cells; values are written as they are.

    indicators: mappings with keys from form.INDICATOR_INPUTS (name, unit, past2, past1, goal);
    activities: mappings with keys "name", "ec03" ..., "off_budget" (the row total is always a
    formula). Numbers are written as numbers, None as an empty cell, anything else as text.
    """

    indicators: Sequence[Mapping[str, Any]] = ()
    activities: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class Mark:
    """A cell to highlight and comment in a returned copy."""

    target: str  # PH code
    table: str  # "indicators" | "activities" | "header"
    index: int  # 0-based row in that card's table (header: 0)
    key: str  # column key (header: department/goal/objective/target)
    message: str  # Turkish


TABLES = ("indicators", "activities", "header")


def fills_from_carddata(data: CardData) -> dict[str, CardFill]:
    """CardFill per PH code from indicators and activities (each table in seq order)."""
    ind: dict[str, list[Mapping[str, Any]]] = {}
    act: dict[str, list[Mapping[str, Any]]] = {}
    for i in sorted(data.indicators, key=lambda i: (i.target, i.seq)):
        ind.setdefault(i.target, []).append(
            {"name": i.name, "unit": i.unit, "past2": i.past2, "past1": i.past1, "goal": i.goal}
        )
    for a in sorted(data.activities, key=lambda a: (a.target, a.seq)):
        row: dict[str, Any] = {"name": a.name}
        row.update({form.economic_key(c): v for c, v in a.amounts.items()})
        # Bütçe Dışı is "-" on almost every card: zero is written as an empty cell.
        row["off_budget"] = a.off_budget or None
        act.setdefault(a.target, []).append(row)
    return {
        code: CardFill(tuple(ind.get(code, ())), tuple(act.get(code, ())))
        for code in sorted(set(ind) | set(act))
    }


# --- formats ----------------------------------------------------------------------------------


class _Formats:
    """xlsxwriter formats built on demand from a few named traits, one object per combination."""

    TRAITS: dict[str, dict[str, Any]] = {
        "base": {"valign": "top", "border": 1},
        "wrap": {"text_wrap": True},
        "bold": {"bold": True},
        "center": {"align": "center"},
        "amount": {"num_format": "#,##0"},
        "value": {"num_format": "General"},
        "title": {"bold": True, "font_size": 13, "border": 0},
        "link": {"font_color": "blue", "underline": 1},
        "plain": {"border": 0},
    }

    def __init__(self, wb: Workbook):
        self.wb = wb
        colors = L()["colors"]
        self.TRAITS = {
            **self.TRAITS,
            "header": {"bg_color": colors["header"], "bold": True, "text_wrap": True,
                       "align": "center", "valign": "vcenter"},
            "label": {"bg_color": colors["label"], "bold": True},
            "input": {"bg_color": colors["input"], "locked": False},
            "total": {"bg_color": colors["total"], "bold": True},
            "mark": {"bg_color": colors["mark"]},
            "note": {"bg_color": colors["note"], "bold": True, "text_wrap": True},
        }
        self._cache: dict[tuple[str, ...], Any] = {}

    def __call__(self, *traits: str) -> Any:
        key = tuple(sorted(set(traits)))
        if key not in self._cache:
            props: dict[str, Any] = {}
            for t in ("base", *key):
                props.update(self.TRAITS[t])
            self._cache[key] = self.wb.add_format(props)
        return self._cache[key]


# --- values -----------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _write_value(ws: Worksheet, row: int, col: int, value: Any, fmt: Any) -> None:
    """A department's value as it is: number as number, nothing as blank, the rest as text."""
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif _is_number(value):
        if value != value or value in (float("inf"), float("-inf")):
            write_text(ws, row, col, str(value), fmt)
        else:
            checked(ws.write_number(row, col, value, fmt), "number")
    elif isinstance(value, bool):
        checked(ws.write_boolean(row, col, value, fmt), "boolean")
    elif isinstance(value, dt.datetime | dt.date):
        write_text(ws, row, col, value.isoformat(), fmt)
    else:
        write_text(ws, row, col, value, fmt)


def _spreadsheet_sum(values: Sequence[Any]) -> float:
    """What SUM() over these cells gives: numbers only (text, blanks and booleans ignored)."""
    return float(sum(v for v in values if _is_number(v) and v == v))


# --- the workbook -----------------------------------------------------------------------------


MarkKey = tuple[str, str, int, str]  # (target, table, index, key) as in Mark


@dataclass
class _Context:
    program: Program
    department: str
    fmt: _Formats
    marks: dict[MarkKey, list[str]] = field(default_factory=dict)


def write_form(
    program: Program,
    department_code: str,
    path: str | Path,
    fills: Mapping[str, CardFill] | None = None,
    marks: Sequence[Mark] = (),
    note: str | None = None,
) -> Path:
    """Write one department's form to `path` (atomically) and return the path.

    fills: CardFill per PH code (only the department's own targets); marks: cells to
    highlight and comment; note: a text shown at the top of the instructions sheet.
    """
    if not program.has_department(department_code):
        raise TemplateError(f"'{department_code}' planda bir birim değil")
    if not form.amount_columns(program):
        raise TemplateError("Planda formlarda istenecek ekonomik kod yok")
    targets = program.targets_of(department_code)
    fills = dict(fills or {})
    own = {t.code for t in targets}
    foreign = sorted(set(fills) - own)
    if foreign:
        raise TemplateError(
            f"{department_code}: bu birime ait olmayan performans hedefleri için veri verildi: "
            + ", ".join(foreign)
        )
    for m in marks:
        if m.table not in TABLES:
            raise TemplateError(f"bilinmeyen tablo '{m.table}' (işaret: {m})")
    _check_columns(program, fills)

    def build(tmp: Path) -> None:
        wb = new_workbook(tmp)
        ctx = _Context(program, department_code, _Formats(wb))
        for m in marks:
            ctx.marks.setdefault((m.target, m.table, m.index, m.key), []).append(m.message)
        intro = wb.add_worksheet(form.INSTRUCTIONS_SHEET)
        cells: dict[MarkKey, str] = {}
        for t in targets:
            cells.update(_CardWriter(wb, ctx, t, fills.get(t.code, CardFill())).write())
        _write_instructions(intro, ctx, targets, marks, cells, note)
        _write_meta(wb, ctx)
        intro.activate()
        wb.close()

    return write_atomically(path, build)


def write_forms(program: Program, out_dir: str | Path, data: CardData | None = None) -> list[Path]:
    """One form per department of the plan (prefilled from `data` when given)."""
    fills = fills_from_carddata(data) if data is not None else {}
    return write_filled_forms(program, out_dir, fills)


def write_filled_forms(
    program: Program, out_dir: str | Path, fills: Mapping[str, CardFill]
) -> list[Path]:
    """One form per department, each with the fills of its own targets."""
    out = Path(out_dir)
    unknown = sorted(c for c in fills if not program.has_target(c))
    if unknown:
        raise TemplateError("Veride planda olmayan performans hedefleri var: " + ", ".join(unknown))
    paths = []
    for dept in program.departments:
        own = {t.code: fills[t.code] for t in program.targets_of(dept.code) if t.code in fills}
        paths.append(
            write_form(program, dept.code, out / form.form_file_name(program, dept.code), own)
        )
    return paths


def _check_columns(program: Program, fills: Mapping[str, CardFill]) -> None:
    """Refuse data the form has no column for (it would be lost without a word)."""
    allowed_ind = set(form.INDICATOR_INPUTS)
    allowed_act = set(form.activity_inputs(program))
    for code, fill in fills.items():
        for row in fill.indicators:
            extra = set(row) - allowed_ind
            if extra:
                raise TemplateError(f"{code}: gösterge için bilinmeyen sütunlar: {sorted(extra)}")
        for row in fill.activities:
            extra = {k for k in set(row) - allowed_act if row[k] not in (None, 0, 0.0, "")}
            if extra:
                raise TemplateError(
                    f"{code}: formda sütunu olmayan tutarlar ({', '.join(sorted(extra))}); "
                    "planın ekonomik kodlarını kontrol edin"
                )


class _CardWriter:
    """Writes one card sheet; remembers where each marked cell went (for the instructions)."""

    def __init__(self, wb: Workbook, ctx: _Context, target: PerformanceTarget, fill: CardFill):
        self.ctx, self.target, self.fill = ctx, target, fill
        self.lay = form.card_layout(ctx.program, len(fill.indicators), len(fill.activities))
        self.ws = wb.add_worksheet(form.sheet_name_for(target.code))
        self.placed: dict[MarkKey, str] = {}

    def fmt(self, key: MarkKey | None, *traits: str) -> Any:
        marked = key is not None and key in self.ctx.marks
        return self.ctx.fmt(*traits, "mark") if marked else self.ctx.fmt(*traits)

    def cell(self, table: str, index: int, key: str, row: int, col: int, value: Any,
             *traits: str) -> None:
        """Write an input cell; a marked one is highlighted and gets its comment."""
        mkey = (self.target.code, table, index, key)
        _write_value(self.ws, row, col, value, self.fmt(mkey, *traits))
        self._place(mkey, row, col)

    def _place(self, mkey: MarkKey, row: int, col: int) -> None:
        messages = self.ctx.marks.get(mkey)
        if messages:
            self.placed[mkey] = xl_rowcol_to_cell(row, col)
            text = "\n".join(messages)[:EXCEL_CELL_LIMIT]  # many long messages on one cell
            checked(self.ws.write_comment(row, col, text,
                                          {"x_scale": 2, "y_scale": 1.5}), "comment")

    def write(self) -> dict[MarkKey, str]:
        self.frame()
        self.header()
        self.indicators()
        self.activities()
        ws = self.ws
        ws.freeze_panes(self.lay.header_first, 0)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.protect("", _PROTECTION)
        return self.placed

    def frame(self) -> None:
        """Column widths, the title and the link back to the instructions."""
        ws, lab, last = self.ws, L(), self.lay.last_col
        widths = lab["widths"]
        ws.set_column(0, 0, widths["seq"])
        ws.set_column(1, 1, widths["name"])
        ws.set_column(2, last - 1, widths["amount"])
        ws.set_column(last, last, widths["total"])
        title = lab["title"]["card"].format(year=self.ctx.program.year, code=self.target.code)
        write_text(ws, form.TITLE_ROW, 0, title, self.fmt(None, "title"))
        checked(ws.write_url(form.TITLE_ROW, last, f"internal:'{form.INSTRUCTIONS_SHEET}'!A1",
                             self.fmt(None, "link", "plain"), string=lab["title"]["back"]), "link")

    def header(self) -> None:
        """Sorumlu Birim ... Performans Hedefi: labels A:B, values C:last, all locked."""
        ws, lay, lab = self.ws, self.lay, L()
        values = form.header_values(self.ctx.program, self.target)
        widths = lab["widths"]
        span = widths["amount"] * (lay.last_col - form.HEADER_COL_VALUE) + widths["total"]
        for key in form.HEADER_KEYS:
            r = lay.header_row(key)
            label_fmt = self.fmt(None, "label", "wrap")
            ws.merge_range(r, 0, r, 1, "", label_fmt)
            write_text(ws, r, 0, lab["header"][key], label_fmt)
            mkey = (self.target.code, "header", 0, key)
            value_fmt = self.fmt(mkey, "wrap")
            ws.merge_range(r, form.HEADER_COL_VALUE, r, lay.last_col, "", value_fmt)
            write_text(ws, r, form.HEADER_COL_VALUE, values[key], value_fmt)
            self._place(mkey, r, form.HEADER_COL_VALUE)
            # merged cells do not grow with their text: give long texts the lines they need
            ws.set_row(r, 15 * max(1, -(-len(values[key]) // span)))
        footnote = lab["indicators"]["footnote"].format(past1=self.ctx.program.year - 1)
        write_text(ws, lay.footnote, 0, footnote, self.fmt(None, "plain"))

    def indicators(self) -> None:
        ws, lay = self.ws, self.lay
        titles = form.indicator_headers(self.ctx.program.year)
        for c, key in enumerate(lay.indicator_columns):
            write_text(ws, lay.indicator_header, c, titles[key], self.fmt(None, "header"))
        ws.set_row(lay.indicator_header, 30)
        rows = self.fill.indicators
        for i in range(lay.indicator_rows):
            r = lay.indicator_first + i
            row = rows[i] if i < len(rows) else None
            self.cell("indicators", i, "seq", r, 0, None if row is None else i + 1,
                      "input", "center")
            for key in form.INDICATOR_INPUTS:
                traits = ("input", "wrap") if key == "name" else ("input", "value")
                self.cell("indicators", i, key, r, lay.indicator_col(key),
                          None if row is None else row.get(key), *traits)
        _indicator_validation(ws, lay)

    def activities(self) -> None:
        """Two title rows like the printed cards, the rows, and the Genel Toplam row."""
        ws, lay, program = self.ws, self.lay, self.ctx.program
        heads = form.activity_headers(program)
        head = self.fmt(None, "header")
        h1, h2 = lay.activity_header, lay.activity_header + 1
        codes = [k for k in lay.activity_columns if k.startswith("ec")]
        for c, key in enumerate(lay.activity_columns):
            if key.startswith("ec"):
                write_text(ws, h2, c, heads[key], head)
            else:
                ws.merge_range(h1, c, h2, c, "", head)
                write_text(ws, h1, c, heads[key], head)
        if codes:
            first_code, last_code = lay.activity_col(codes[0]), lay.activity_col(codes[-1])
            if len(codes) > 1:
                ws.merge_range(h1, first_code, h1, last_code, "", head)
            write_text(ws, h1, first_code, L()["activities"]["economic_group"], head)
        ws.set_row(h2, 45)

        amount_keys = form.amount_columns(program)
        a0, a1 = lay.activity_col(amount_keys[0]), lay.activity_col(amount_keys[-1])
        tcol = lay.activity_col("total")
        sums = {k: 0.0 for k in (*amount_keys, "total")}
        rows = self.fill.activities
        for i in range(lay.activity_rows):
            r = lay.activity_first + i
            row = rows[i] if i < len(rows) else None
            self.cell("activities", i, "seq", r, 0, None if row is None else i + 1,
                      "input", "center")
            self.cell("activities", i, "name", r, 1, None if row is None else row.get("name"),
                      "input", "wrap")
            for key in amount_keys:
                value = None if row is None else row.get(key)
                self.cell("activities", i, key, r, lay.activity_col(key), value,
                          "input", "amount")
                sums[key] += _spreadsheet_sum([value])
            total = _spreadsheet_sum([None if row is None else row.get(k) for k in amount_keys])
            sums["total"] += total
            mkey = (self.target.code, "activities", i, "total")
            formula = f"=SUM({xl_rowcol_to_cell(r, a0)}:{xl_rowcol_to_cell(r, a1)})"
            checked(ws.write_formula(r, tcol, formula, self.fmt(mkey, "total", "amount"), total),
                    "row total")
            self._place(mkey, r, tcol)
        _amount_validation(ws, lay, a0, a1)

        tr, total_fmt = lay.total_row, self.fmt(None, "total")
        ws.merge_range(tr, 0, tr, 1, "", total_fmt)
        write_text(ws, tr, 0, L()["activities"]["grand_total"], total_fmt)
        first, last = lay.activity_first + 1, lay.activity_first + lay.activity_rows
        for key in (*amount_keys, "total"):
            c = lay.activity_col(key)
            col = xl_col_to_name(c)
            checked(ws.write_formula(tr, c, f"=SUM({col}{first}:{col}{last})",
                                     self.fmt(None, "total", "amount"), sums[key]),
                    "column total")


_PROTECTION = {
    "format_columns": True,
    "format_rows": True,
    "insert_rows": True,
    "delete_rows": True,
    "select_locked_cells": True,
    "select_unlocked_cells": True,
}


def _indicator_validation(ws: Worksheet, lay: form.CardLayout) -> None:
    v = L()["validation"]
    r0, r1 = lay.indicator_first, lay.indicator_first + lay.indicator_rows - 1
    unit = lay.indicator_col("unit")
    checked(ws.data_validation(r0, unit, r1, unit, {
        "validate": "list", "source": list(form.unit_vocabulary()),
        "error_type": "warning", "input_title": v["unit_title"], "input_message": v["unit_message"],
        "error_title": v["unit_error_title"], "error_message": v["unit_error"],
    }), "unit dropdown")
    c0, c1 = lay.indicator_col("past2"), lay.indicator_col("goal")
    top = xl_rowcol_to_cell(r0, c0, row_abs=False, col_abs=False)
    checked(ws.data_validation(r0, c0, r1, c1, {
        "validate": "custom", "value": f'=OR(ISNUMBER({top}),TRIM({top})="-")',
        "error_type": "warning", "input_title": v["value_title"],
        "input_message": v["value_message"], "error_title": v["value_error_title"],
        "error_message": v["value_error"],
    }), "indicator values")


def _amount_validation(ws: Worksheet, lay: form.CardLayout, c0: int, c1: int) -> None:
    v = L()["validation"]
    r0, r1 = lay.activity_first, lay.activity_first + lay.activity_rows - 1
    checked(ws.data_validation(r0, c0, r1, c1, {
        "validate": "decimal", "criteria": ">=", "value": 0, "error_type": "stop",
        "input_title": v["amount_title"], "input_message": v["amount_message"],
        "error_title": v["amount_error_title"], "error_message": v["amount_error"],
    }), "amounts")


def _write_instructions(
    ws: Worksheet, ctx: _Context, targets: Sequence[PerformanceTarget], marks: Sequence[Mark],
    cells: Mapping[MarkKey, str], note: str | None,
) -> None:
    program, fmt = ctx.program, ctx.fmt
    lab = L()["instructions"]
    widths = L()["widths"]
    dept = program.department(ctx.department)
    ws.set_column(0, 0, widths["instructions_a"])
    ws.set_column(1, 1, widths["instructions_b"])
    deadline = (program.deadline.strftime("%d.%m.%Y") if program.deadline
                else lab["no_deadline"])
    words = {"year": program.year, "past1": program.year - 1, "past2": program.year - 2,
             "deadline": deadline, "department": dept.name, "institution": program.institution,
             "units": ", ".join(form.unit_vocabulary())}
    r = 0
    write_text(ws, r, 0, lab["title"].format(**words), fmt("title"))
    r += 1
    write_text(ws, r, 0, lab["subtitle"].format(**words), fmt("plain"))
    r += 2
    if note:
        write_text(ws, r, 0, lab["note"], fmt("note"))
        write_text(ws, r, 1, note[:EXCEL_CELL_LIMIT], fmt("note"))
        r += 2
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    for n, line in enumerate(lab["lines"], start=1):
        text = line.format(**words)
        write_text(ws, r, 0, f"{n}.", fmt("plain", "center"))
        write_text(ws, r, 1, text, fmt("plain", "wrap"))
        ws.set_row(r, wrapped_row_height(text, widths["instructions_b"]))
        r += 1
    r += 1
    write_text(ws, r, 0, lab["contact"], fmt("bold", "plain"))
    r += 1
    for label, value in ((lab["contact_unit"], program.contact), (lab["phone"], program.phone),
                         (lab["email"], program.email), (lab["deadline"], deadline)):
        write_text(ws, r, 0, label, fmt("label"))
        write_text(ws, r, 1, value, fmt("wrap"))
        r += 1
    r += 1
    write_text(ws, r, 0, lab["targets"], fmt("bold", "plain"))
    r += 1
    write_text(ws, r, 0, lab["target_code"], fmt("header"))
    write_text(ws, r, 1, lab["target_text"], fmt("header"))
    r += 1
    for t in targets:
        sheet = form.sheet_name_for(t.code)
        checked(ws.write_url(r, 0, f"internal:'{sheet}'!A1", fmt("link"), string=t.code), "link")
        write_text(ws, r, 1, t.text, fmt("wrap"))
        ws.set_row(r, wrapped_row_height(t.text, widths["instructions_b"]))
        r += 1
    if marks:
        r += 1
        write_text(ws, r, 0, lab["marks"], fmt("bold", "plain"))
        r += 1
        write_text(ws, r, 0, lab["mark_sheet"] + " / " + lab["mark_cell"], fmt("header"))
        write_text(ws, r, 1, lab["mark_message"], fmt("header"))
        r += 1
        for m in marks:
            sheet = form.sheet_name_for(m.target)
            cell = cells.get((m.target, m.table, m.index, m.key))
            if cell:
                checked(ws.write_url(r, 0, f"internal:'{sheet}'!{cell}", fmt("link", "mark"),
                                     string=f"{sheet} / {cell}"), "link")
            else:
                write_text(ws, r, 0, m.target, fmt("mark"))
            write_text(ws, r, 1, m.message, fmt("wrap"))
            ws.set_row(r, wrapped_row_height(m.message, widths["instructions_b"]))
            r += 1
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True,
                    "format_columns": True, "format_rows": True})


def _write_meta(wb: Workbook, ctx: _Context) -> None:
    program = ctx.program
    dept = program.department(ctx.department)
    ws = wb.add_worksheet(form.META_SHEET)
    meta = {
        "format_version": form.FORMAT_VERSION,
        "year": str(program.year),
        "institution": program.institution,
        "department": dept.code,
        "department_name": dept.name,
        "targets": ";".join(t.code for t in program.targets_of(dept.code)),
        "fingerprint": form.fingerprint(program, dept.code),
    }
    for r, key in enumerate(form.META_KEYS):
        write_text(ws, r, 0, key)
        write_text(ws, r, 1, meta[key])
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 60)
    ws.hide()
    ws.protect("")
