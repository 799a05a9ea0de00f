"""The consolidated tables finance prints: İdare Performans Tablosu, Dairelere Göre, Toplam
Kaynak İhtiyacı, and the summary sheet with the budget check and charts.

Every number is a formula over the data sheets (Hedefler, Göstergeler, Faaliyetler) and the
plan inputs (Genel, Genel Yönetim), in plain A1 references that Excel and LibreOffice both
evaluate, and carries its value computed here in Python as the cached result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

from kbbxl.masterbook import FIRST, Book, RowBuffer, economic_key, labels_master
from kbbxl.model import ECONOMIC_CODES, Program
from kbbxl.text import clean_text, tr_upper
from kbbxl.xlsx import checked, write_text


def cell(row: int, col: int, absolute: bool = False) -> str:
    return xl_rowcol_to_cell(row, col, absolute, absolute)


def sheet_cell(sheet: str, row: int, col: int) -> str:
    return f"{quote_sheetname(sheet)}!{cell(row, col, True)}"


def criteria(text: str) -> str:
    """A COUNTIF/SUMIF criterion matching `text` exactly (no wildcards, no comparisons)."""
    escaped = "".join("~" + ch if ch in "~*?" else ch for ch in text).replace('"', '""')
    return f'"={escaped}"'


def _plus(cells: list[str]) -> str:
    return "=" + "+".join(cells) if cells else "=0"


def _title(book: Book, ws: Any, row: int, text: str, last_col: int) -> None:
    ws.merge_range(row, 0, row, last_col, "", book.fmt("title"))
    write_text(ws, row, 0, text, book.fmt("title"))
    ws.set_row(row, 20)


# --- İdare Performans Tablosu ---------------------------------------------------------------

# Columns of the IPT sheet.
_CODE, _NAME, _DEPT, _OFF, _IN, _TOTAL, _SHARE = range(7)


@dataclass(slots=True)
class _Line:
    """One IPT row, or the block of rows of a service area's activities.

    A block (kind "activities") keeps only the range of its activities in book.activities:
    their rows (~400.000 at national scale) are made as they are written.
    """

    kind: str  # axis, area, activities, cost, general_administration, transfers, grand
    label: str = ""
    formulas: list[str] = field(default_factory=lambda: ["", "", ""])
    values: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    first: int = 0  # activities: index of the block's first activity
    rows: int = 1  # activities: how many


def _ipt_lines(book: Book, first_row: int) -> list[_Line]:
    """The table in document order with its formulas, from worksheet row first_row down."""
    program = book.program
    lines: list[_Line] = []
    row_of: dict[int, _Line] = {}  # worksheet row -> its line (not the activities' rows)
    next_row = first_row

    def add(line: _Line) -> int:
        nonlocal next_row
        lines.append(line)
        row = next_row
        next_row += line.rows
        if line.kind != "activities":
            row_of[row] = line
        return row

    def sum_of(rows: list[int], parent: _Line) -> None:
        for k, col in enumerate((_OFF, _IN, _TOTAL)):
            parent.formulas[k] = _plus([cell(r, col) for r in rows])
        parent.values = [sum(row_of[r].values[k] for r in rows) for k in range(3)]

    # A service area's activities, target by target: in document order they are one run of
    # book.activities; adjacent spans are joined into blocks.
    runs: dict[str, list[list[int]]] = {}
    for target in book.targets:
        span = book.activity_span.get(target.code)
        if span is not None:
            blocks = runs.setdefault(book.area_of[target.code].code, [])
            if blocks and blocks[-1][1] + 1 == span[0]:
                blocks[-1][1] = span[1]
            else:
                blocks.append(list(span))
    axis_rows = []
    for axis in program.axes:
        axis_line = _Line("axis", tr_upper(axis.name))
        axis_rows.append(add(axis_line))
        area_rows = []
        for area in program.areas_of_axis(axis.code):
            area_line = _Line("area", tr_upper(area.name))
            area_row = add(area_line)
            area_rows.append(area_row)
            book.ipt_area_rows[area.code] = area_row
            blocks = runs.get(area.code)
            if not blocks:
                area_line.formulas = ["=0", "=0", "=0"]
                continue
            for first, last in blocks:
                add(_Line("activities", first=first, rows=last - first + 1))
            for k, col in enumerate((_OFF, _IN, _TOTAL)):
                area_line.formulas[k] = (f"=SUM({cell(area_row + 1, col)}:"
                                         f"{cell(next_row - 1, col)})")
            acts = [a for first, last in blocks for a in book.activities[first:last + 1]]
            area_line.values = [sum(a.off_budget for a in acts), sum(a.in_budget for a in acts),
                                sum(a.total for a in acts)]
        sum_of(area_rows, axis_line)

    L = book.L["ipt"]
    cost = _Line("cost", L["cost_total"])
    cost_row = add(cost)
    sum_of(axis_rows, cost)

    assert book.plan_cells is not None
    pc = book.plan_cells
    extra_rows = []
    for kind, refs, amounts in (
        ("general_administration", pc.general_administration, program.general_administration),
        ("transfers", pc.transfers, program.transfers),
    ):
        line = _Line(kind, L[kind])
        r = add(line)
        extra_rows.append(r)
        first, last = refs["01"], refs["09"].split("!")[1]
        amount = float(sum(amounts.get(c, 0.0) for c in ECONOMIC_CODES))
        line.formulas = ["", f"=SUM({first}:{last})", f"={cell(r, _OFF)}+{cell(r, _IN)}"]
        line.values = [0.0, amount, amount]

    grand = _Line("grand", L["grand_total"])
    grand_row = add(grand)
    sum_of([cost_row, *extra_rows], grand)
    grand.formulas[0] = f"={cell(cost_row, _OFF)}"
    grand.values[0] = cost.values[0]
    book.ipt_grand_row = grand_row
    for row, line in row_of.items():  # the summary asks for subtotals only
        book.ipt_values[row] = line.values
    return lines


def write_ipt(book: Book, ws: Any) -> None:
    """İdare Performans Tablosu ve Sorumlu Birimler."""
    L = book.L["ipt"]
    year = book.program.year
    for col, key in enumerate(("code", "name", "department", "off_budget", "in_budget",
                               "total", "share")):
        ws.set_column(col, col, L[key]["width"])
    _title(book, ws, 0, book.L["titles"]["ipt"], _SHARE)
    write_text(ws, 1, 0, book.program.institution, book.fmt("subtitle"))
    head = book.fmt("head")
    buf = RowBuffer(book, ws)
    for col, key in ((_CODE, "code"), (_NAME, "name"), (_DEPT, "department"),
                     (_SHARE, "share")):
        buf.merge(2, col, 3, col, L[key]["header"], head)
    buf.merge(2, _OFF, 2, _TOTAL, L["need"].format(year=year), head)
    for col, key in ((_OFF, "off_budget"), (_IN, "in_budget"), (_TOTAL, "total")):
        buf.text(3, col, L[key]["header"], head)
    buf.flush()
    ws.freeze_panes(4, 0)
    book.print_setup(ws, repeat=(2, 3))

    first_row = 4
    lines = _ipt_lines(book, first_row)
    denominator = book.ipt_values[book.ipt_grand_row][1]
    grand_in = cell(book.ipt_grand_row, _IN, True)
    # The share of a row: its Bütçe İçi (column E) over the Genel Toplam's.
    share_formula = (f"=IF({grand_in}=0,0,E", f"/{grand_in})")
    styles = {"activities": (), "axis": ("axis",), "area": ("area",), "cost": ("total",),
              "general_administration": ("total",), "transfers": ("total",), "grand": ("total",)}
    row = first_row
    for line in lines:
        style = styles[line.kind]
        text_fmt = book.fmt("cell", "wrap", *style)
        amount_fmts = [book.fmt("cell", "dash" if col == _OFF else "money", *style)
                       for col in (_OFF, _IN, _TOTAL)]
        share_fmt = book.fmt("cell", "share", *style)
        if line.kind == "activities":
            _write_ipt_activities(book, ws, row, line, text_fmt, amount_fmts, share_fmt,
                                  share_formula, denominator)
            row += line.rows
            continue
        ws.merge_range(row, _CODE, row, _DEPT, "", text_fmt)
        write_text(ws, row, _CODE, line.label, text_fmt)
        for k, col in enumerate((_OFF, _IN, _TOTAL)):
            if line.formulas[k]:
                ws.put_formula(row, col, line.formulas[k], amount_fmts[k], line.values[k])
            else:
                ws._write_blank(row, col, None, amount_fmts[k])
        share = line.values[1] / denominator if denominator else 0.0
        ws.put_formula(row, _SHARE, f"{row + 1}".join(share_formula), share_fmt, share)
        row += 1


def _write_ipt_activities(book: Book, ws: Any, row: int, line: _Line, text_fmt: Any,
                          amount_fmts: list[Any], share_fmt: Any, share_formula: tuple[str, str],
                          denominator: float) -> None:
    """One row per activity: code, name, owner, its three amounts from Faaliyetler, share."""
    off_ref, in_ref, total_ref = ("=" + book.column_ref("activities", k)
                                  for k in ("off_budget", "in_budget", "total"))
    put_formula = ws.put_formula
    off_fmt, in_fmt, total_fmt = amount_fmts
    for i in range(line.first, line.first + line.rows):
        act = book.activities[i]
        write_text(ws, row, _CODE, act.target, text_fmt)
        write_text(ws, row, _NAME, act.name, text_fmt)
        write_text(ws, row, _DEPT, book.owner(act.target)[0], text_fmt)
        n = str(FIRST + i + 1)  # the activity's row in Faaliyetler
        in_budget = act.in_budget
        put_formula(row, _OFF, off_ref + n, off_fmt, act.off_budget)
        put_formula(row, _IN, in_ref + n, in_fmt, in_budget)
        put_formula(row, _TOTAL, total_ref + n, total_fmt, in_budget + act.off_budget)
        put_formula(row, _SHARE, f"{row + 1}".join(share_formula), share_fmt,
                    in_budget / denominator if denominator else 0.0)
        row += 1


# --- Dairelere Göre Faaliyet Sayısı ve Kaynak İhtiyacı --------------------------------------


def _column_sheet(book: Book, ws: Any, table: str,
                  keys: tuple[str, ...]) -> tuple[dict[str, Any], RowBuffer]:
    """Widths, title (row 0), column headers (row 2, repeated on every page).

    Returns the labels and the unflushed header buffer, for the caller to add row 1 to.
    """
    L = book.L[table]
    year = book.program.year
    for col, key in enumerate(keys):
        ws.set_column(col, col, L[key]["width"])
    buf = RowBuffer(book, ws)
    buf.height(0, 20)
    buf.merge(0, 0, 0, len(keys) - 1, book.L["titles"][table].format(year=year),
              book.fmt("title"))
    for col, key in enumerate(keys):
        buf.text(2, col, L[key]["header"].format(year=year), book.fmt("head"))
    ws.freeze_panes(3, 0)
    book.print_setup(ws, repeat=(2, 2))
    return L, buf


def write_departments(book: Book, ws: Any) -> None:
    program = book.program
    L, head = _column_sheet(book, ws, "departments",
                            ("name", "targets", "activities", "indicators", "need"))
    head.text(1, 0, program.institution, book.fmt("subtitle"))
    head.flush()

    owner_range = book.column_range("targets", "department_code")
    act_dept = book.column_range("activities", "department_code")
    act_total = book.column_range("activities", "total")
    ind_dept = book.column_range("indicators", "department_code")
    counts: dict[str, list[float]] = {d.code: [0, 0, 0, 0.0] for d in program.departments}
    for t in book.targets:
        if t.department in counts:
            counts[t.department][0] += 1
    for a in book.activities:
        dept = program.target(a.target).department
        if dept in counts:
            counts[dept][1] += 1
            counts[dept][3] += a.total
    for i in book.indicators:
        dept = program.target(i.target).department
        if dept in counts:
            counts[dept][2] += 1

    text_fmt, int_fmt, money = book.fmt("cell", "wrap"), book.fmt("cell", "int"), book.fmt(
        "cell", "money")
    first = 3
    for n, dept in enumerate(program.departments):
        row = first + n
        c = criteria(dept.code)
        write_text(ws, row, 0, dept.name, text_fmt)
        values = counts[dept.code]
        ws.write_formula(row, 1, f"=COUNTIF({owner_range},{c})", int_fmt, values[0])
        ws.write_formula(row, 2, f"=COUNTIF({act_dept},{c})", int_fmt, values[1])
        ws.write_formula(row, 3, f"=COUNTIF({ind_dept},{c})", int_fmt, values[2])
        ws.write_formula(row, 4, f"=SUMIF({act_dept},{c},{act_total})", money, values[3])
    last = first + len(program.departments) - 1
    total_row = last + 1
    book.department_rows = (first, last)
    write_text(ws, total_row, 0, L["total"], book.fmt("cell", "total"))
    for col in range(1, 5):
        value = sum(v[col - 1] for v in counts.values())
        fmt = book.fmt("cell", "int" if col < 4 else "money", "total")
        formula = f"=SUM({cell(first, col)}:{cell(last, col)})" if last >= first else "=0"
        ws.write_formula(total_row, col, formula, fmt, value)


# --- Toplam Kaynak İhtiyacı Tablosu ---------------------------------------------------------


def write_resources(book: Book, ws: Any) -> None:
    program = book.program
    keys = ("code", "cost", "general_administration", "transfers", "total")
    L, head = _column_sheet(book, ws, "resources", keys)
    head.text(1, 0, L["institution"], book.fmt("cell", "label"))
    head.merge(1, 1, 1, len(keys) - 1, program.institution, book.fmt("cell", "bold"))
    head.flush()

    assert book.plan_cells is not None
    pc = book.plan_cells
    text_fmt, lira = book.fmt("cell", "wrap"), book.fmt("cell", "lira")
    first = 3
    totals = [0.0, 0.0, 0.0, 0.0]
    # Each code's cost in one pass over the activities, summed in their order; a float as
    # soon as there is an activity, as sum(a.amounts.get(code, 0.0) ...) gives it.
    costs: dict[str, float] = dict.fromkeys(ECONOMIC_CODES, 0.0 if book.activities else 0)
    for a in book.activities:
        for code, amount in a.amounts.items():
            if code in costs:
                costs[code] += amount
    for n, (code, name) in enumerate(ECONOMIC_CODES.items()):
        row = first + n
        write_text(ws, row, 0, L["code_label"].format(n=int(code), name=name), text_fmt)
        cost = costs[code]
        ga = float(program.general_administration.get(code, 0.0))
        tr = float(program.transfers.get(code, 0.0))
        values = [cost, ga, tr, cost + ga + tr]
        formulas = [
            f"=SUM({book.column_range('activities', economic_key(code))})",
            f"={pc.general_administration[code]}",
            f"={pc.transfers[code]}",
            f"=SUM({cell(row, 1)}:{cell(row, 3)})",
        ]
        for k in range(4):
            ws.write_formula(row, 1 + k, formulas[k], lira, values[k])
            totals[k] += values[k]
    last = first + len(ECONOMIC_CODES) - 1
    total_row = last + 1
    write_text(ws, total_row, 0, L["total_row"], book.fmt("cell", "total"))
    for k in range(4):
        ws.write_formula(total_row, 1 + k, f"=SUM({cell(first, 1 + k)}:{cell(last, 1 + k)})",
                         book.fmt("cell", "lira", "total"), totals[k])


# --- Özet (summary) -------------------------------------------------------------------------


def write_summary(book: Book, ws: Any, submission_status: Mapping[str, str] | None) -> None:
    """Budget check, submission status per department, resource need by area and department."""
    L = book.L["summary"]
    program = book.program
    S = book.sheets
    for col, width in enumerate(L["widths"]):
        ws.set_column(col, col, width)
    book.print_setup(ws, landscape=True)
    # The left and right blocks share rows: collect, then write in row order.
    buf = RowBuffer(book, ws)
    text, formula = buf.text, buf.formula
    last_col = len(L["widths"]) - 1
    buf.merge(0, 0, 0, last_col, book.L["titles"]["summary"].format(year=program.year),
              book.fmt("title"))
    text(1, 0, program.institution, book.fmt("subtitle"))

    # Budget check: the IPT's in-budget Genel Toplam against the plan's budget.
    ipt = S["ipt"]
    grand = book.ipt_grand_row
    assert book.plan_cells is not None and grand >= 0
    grand_in = book.ipt_values[grand][1]
    diff = grand_in - program.budget
    text(3, 0, L["budget_check"], book.fmt("subtitle"))
    label, money = book.fmt("cell", "label"), book.fmt("cell", "money")
    text(4, 0, L["grand_total"], label)
    formula(4, 1, f"={sheet_cell(ipt, grand, _IN)}", money, grand_in)
    text(5, 0, L["budget"], label)
    formula(5, 1, f"={book.plan_cells.budget}", money, program.budget)
    text(6, 0, L["difference"], label)
    formula(6, 1, "=B5-B6", money, diff)
    text(7, 0, L["status"], label)
    ok = round(diff, 2) == 0
    formula(7, 1, f'=IF(ROUND(B7,2)=0,"{L["ok"]}","{L["mismatch"]}")',
            book.fmt("cell", "bold", "wrap"), L["ok"] if ok else L["mismatch"])
    checked(ws.conditional_format(4, 0, 7, 1, {
        "type": "formula", "criteria": "=ROUND($B$7,2)<>0", "format": book.fmt("bad"),
    }), "budget check format")

    # Submission status per department.
    text(9, 0, L["submissions"], book.fmt("subtitle"))
    text(10, 0, L["department"], book.fmt("head"))
    text(10, 1, L["submission"], book.fmt("head"))
    for n, dept in enumerate(program.departments):
        status = (submission_status or {}).get(dept.code) or L["no_status"]
        text(11 + n, 0, dept.name, book.fmt("cell", "wrap"))
        text(11 + n, 1, status, book.fmt("cell"))

    # Resource need per service area (feeds the first chart).
    text(3, 3, L["by_area"], book.fmt("subtitle"))
    text(4, 3, L["area"], book.fmt("head"))
    text(4, 4, L["need"], book.fmt("head"))
    areas = [a for axis in program.axes for a in program.areas_of_axis(axis.code)]
    for n, area in enumerate(areas):
        row = 5 + n
        text(row, 3, area.name, book.fmt("cell", "wrap"))
        formula(row, 4, f"={sheet_cell(ipt, book.ipt_area_rows[area.code], _TOTAL)}", money,
                book.ipt_values[book.ipt_area_rows[area.code]][2])
    buf.flush()

    # The charts go below the tables, so that the sheet prints one page wide.
    wb = book.wb
    chart_row = max(11 + len(program.departments), 5 + len(areas)) + 2
    if areas:
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({
            "name": L["chart_area_title"],
            "categories": [ws.name, 5, 3, 4 + len(areas), 3],
            "values": [ws.name, 5, 4, 4 + len(areas), 4],
            "data_labels": {"value": True, "num_format": "#,##0"},
        })
        rows = _style_chart(chart, L["chart_area_title"], len(areas))
        ws.insert_chart(chart_row, 0, chart)
        chart_row += rows
    first, last = book.department_rows
    if last >= first:
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({
            "name": L["chart_department_title"],
            "categories": [S["departments"], first, 0, last, 0],
            "values": [S["departments"], first, 4, last, 4],
            "data_labels": {"value": True, "num_format": "#,##0"},
        })
        _style_chart(chart, L["chart_department_title"], last - first + 1)
        ws.insert_chart(chart_row, 0, chart)


def _style_chart(chart: Any, title: str, bars: int) -> int:
    """Title, axes and size of a bar chart; returns the worksheet rows it covers."""
    chart.set_title({"name": title, "name_font": {"size": 11}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_format": "#,##0", "major_gridlines": {"visible": True}})
    # Bar charts list categories bottom-up; reversing keeps the table's order top-down.
    chart.set_y_axis({"reverse": True, "num_font": {"size": 8}})
    height = max(300, 26 * bars + 80)
    chart.set_size({"width": 900, "height": height})
    return height // 20 + 2


# --- what `kbbxl report` carries over from an existing master -------------------------------


def read_carried_over(path: Path, program: Program) -> tuple[dict[str, str] | None, list[Any]]:
    """The summary's submission status and the merge's extra sheets of an existing master."""
    from python_calamine import CalamineWorkbook

    from kbbxl.master import ExtraSheet
    from kbbxl.resources import labels

    L = labels_master()
    wb = CalamineWorkbook.from_path(str(path))
    status: dict[str, str] = {}
    by_name = {d.name: d.code for d in program.departments}
    if L["sheets"]["summary"] in wb.sheet_names:
        rows = wb.get_sheet_by_name(L["sheets"]["summary"]).to_python(skip_empty_area=False)
        heads = [r for r, row in enumerate(rows) if row and clean_text(row[0]) ==
                 L["summary"]["submissions"]]
        if heads:
            for row in rows[heads[0] + 2:]:
                name = clean_text(row[0]) if row else ""
                if not name:
                    break
                value = clean_text(row[1]) if len(row) > 1 else ""
                if name in by_name and value and value != L["summary"]["no_status"]:
                    status[by_name[name]] = value
    own = set(L["sheets"].values()) | set(labels("plan")["sheets"].values())
    extras = []
    for name in wb.sheet_names:
        if name in own:
            continue
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=True)
        if not rows:
            continue
        extras.append(ExtraSheet(name, [clean_text(h) for h in rows[0]],
                                 [list(r) for r in rows[1:]]))
    return (status or None), extras

