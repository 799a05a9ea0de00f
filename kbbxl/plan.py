"""The plan workbook ⇄ Program: what the strategy office decides for the year."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kbbxl.bulk import collector_paused
from kbbxl.errors import Location, PlanError
from kbbxl.model import (
    AXES,
    ECONOMIC_CODES,
    Axis,
    CodeError,
    Department,
    Goal,
    Objective,
    PerformanceTarget,
    Program,
    ServiceArea,
    TargetCode,
    normalize_economic_code,
    parse_goal_code,
    parse_objective_code,
)
from kbbxl.resources import labels
from kbbxl.text import NumberFormatError, clean_text, parse_tr_number, tr_casefold
from kbbxl.xlsx import checked, new_workbook, write_atomically, write_text

_DEPT_CODE = re.compile(r"^[A-Z0-9_]{1,20}$")
_TABLES = ("departments", "axes", "service_areas", "goals", "objectives", "targets", "budget")


def _L() -> dict[str, Any]:
    return labels("plan")


# --- writing ------------------------------------------------------------------------------


def blank_program(year: int) -> Program:
    """An empty plan for `year` with the fixed parts filled in (axes, economic codes)."""
    return Program(
        institution="",
        year=year,
        budget=0.0,
        departments=(),
        axes=tuple(Axis(c, n) for c, n in AXES.items()),
        service_areas=(),
        goals=(),
        objectives=(),
        targets=(),
        general_administration={c: 0.0 for c in ECONOMIC_CODES},
        transfers={c: 0.0 for c in ECONOMIC_CODES},
    )


def carry_forward(program: Program, year: int) -> Program:
    """Next year's plan from this year's: same hierarchy and owners, amounts to fill anew."""
    deadline = None
    if program.deadline is not None:
        shift = year - program.year
        try:
            deadline = program.deadline.replace(year=program.deadline.year + shift)
        except ValueError:  # 29 February
            deadline = program.deadline.replace(year=program.deadline.year + shift, day=28)
    return dataclasses.replace(
        program,
        year=year,
        budget=0.0,
        deadline=deadline,
        general_administration={c: 0.0 for c in ECONOMIC_CODES},
        transfers={c: 0.0 for c in ECONOMIC_CODES},
    )


def write_plan(program: Program, path: str | Path) -> Path:
    """Write the plan workbook (atomically) with headers, instructions and input validation."""
    return write_atomically(path, lambda tmp: _write_plan(program, tmp))


def _write_plan(program: Program, path: Path) -> None:
    wb = new_workbook(path)
    add_plan_sheets(wb, program)
    wb.close()


@dataclasses.dataclass(frozen=True)
class PlanCells:
    """Absolute references (e.g. 'Genel Yönetim'!$C$2) of the plan inputs other sheets use."""

    budget: str
    general_administration: dict[str, str]
    transfers: dict[str, str]


def add_plan_sheets(
    wb: Any, program: Program, *, instructions: bool = True, hide_hierarchy: bool = False
) -> PlanCells:
    """Add the plan's sheets to an open xlsxwriter workbook (read_plan reads them back).

    The master workbook carries the plan this way, so that it can be rebuilt from itself.
    """
    from xlsxwriter.utility import quote_sheetname, xl_rowcol_to_cell

    L = _L()
    S = L["sheets"]
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    title = wb.add_format({"bold": True, "font_size": 14})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    money = wb.add_format({"num_format": "#,##0.00"})
    datef = wb.add_format({"num_format": "dd.mm.yyyy"})

    if instructions:
        ws = wb.add_worksheet(S["instructions"])
        ws.set_column(0, 0, 120)
        write_text(ws, 0, 0, L["title"].format(year=program.year), title)
        for i, line in enumerate(
            L["text"]["instructions"].format(year=program.year).strip().split("\n")
        ):
            write_text(ws, 2 + i, 0, line, wrap)

    G = L["general"]
    ws = wb.add_worksheet(S["general"])
    ws.set_column(0, 0, 38)
    ws.set_column(1, 1, 60)
    yes, no = L["text"]["yes"], L["text"]["no"]
    general: list[tuple[str, Any]] = [
        ("institution", program.institution),
        ("year", program.year),
        ("budget", program.budget),
        ("form_economic_codes", ";".join(program.form_economic_codes)),
        ("off_budget", yes if program.off_budget else no),
        ("deadline", program.deadline),
        ("contact", program.contact),
        ("phone", program.phone),
        ("email", program.email),
    ]
    for r, (key, value) in enumerate(general):
        write_text(ws, r, 0, G[key], head)
        if key == "year":
            ws.write_number(r, 1, value)
            checked(
                ws.data_validation(
                    r,
                    1,
                    r,
                    1,
                    {
                        "validate": "integer",
                        "criteria": "between",
                        "minimum": 2000,
                        "maximum": 2100,
                    },
                ),
                "year",
            )
        elif key == "budget":
            ws.write_number(r, 1, value, money)
            checked(
                ws.data_validation(
                    r, 1, r, 1, {"validate": "decimal", "criteria": ">=", "value": 0}
                ),
                "budget",
            )
        elif key == "off_budget":
            write_text(ws, r, 1, value)
            checked(
                ws.data_validation(r, 1, r, 1, {"validate": "list", "source": [yes, no]}),
                "off-budget",
            )
        elif key == "deadline":
            if isinstance(value, dt.date):
                ws.write_datetime(r, 1, dt.datetime.combine(value, dt.time()), datef)
            else:
                ws.write_blank(r, 1, None, datef)
        else:
            write_text(ws, r, 1, value)

    rows: dict[str, list[list[Any]]] = {
        "departments": [[d.code, d.name] for d in program.departments],
        "axes": [[a.code, a.name] for a in program.axes],
        "service_areas": [[a.code, a.name, a.axis] for a in program.service_areas],
        "goals": [[g.code, g.text, g.service_area] for g in program.goals],
        "objectives": [[o.code, o.text] for o in program.objectives],
        "targets": [[t.code, t.text, t.department] for t in program.targets],
        "budget": [
            [c, n, program.general_administration.get(c, 0.0), program.transfers.get(c, 0.0)]
            for c, n in ECONOMIC_CODES.items()
        ],
    }
    max_rows = 2000
    for table in _TABLES:
        cols = L["columns"][table]
        ws = wb.add_worksheet(S[table])
        ws.freeze_panes(1, 0)
        for c, (_key, spec) in enumerate(cols.items()):
            write_text(ws, 0, c, spec["header"], head)
            ws.set_column(c, c, spec["width"])
        for r, row in enumerate(rows[table], start=1):
            for c, value in enumerate(row):
                if isinstance(value, float):
                    ws.write_number(r, c, value, money)
                else:
                    write_text(ws, r, c, value)
        if table == "budget":
            checked(
                ws.data_validation(
                    1, 2, 9, 3, {"validate": "decimal", "criteria": ">=", "value": 0}
                ),
                "amounts",
            )
        if table == "targets":
            # Owners must be department codes from the Birimler sheet.
            checked(
                ws.data_validation(
                    1,
                    2,
                    max_rows,
                    2,
                    {
                        "validate": "list",
                        "source": f"='{S['departments']}'!$A$2:$A${max_rows}",
                        "error_title": "Bilinmeyen birim",
                        "error_message": "Birimler sayfasındaki bir birim kodunu seçin.",
                    },
                ),
                "owner list",
            )
        ws.autofilter(0, 0, max(len(rows[table]), 1), len(cols) - 1)
        if hide_hierarchy and table != "budget":
            ws.hide()

    def ref(sheet: str, row: int, col: int) -> str:
        return f"{quote_sheetname(sheet)}!{xl_rowcol_to_cell(row, col, True, True)}"

    budget_cols = list(L["columns"]["budget"])
    code_rows = {c: r for r, c in enumerate(ECONOMIC_CODES, start=1)}
    return PlanCells(
        budget=ref(S["general"], [k for k, _ in general].index("budget"), 1),
        general_administration={
            c: ref(S["budget"], r, budget_cols.index("general_administration"))
            for c, r in code_rows.items()
        },
        transfers={
            c: ref(S["budget"], r, budget_cols.index("transfers")) for c, r in code_rows.items()
        },
    )


# --- reading ------------------------------------------------------------------------------


class _Problems:
    def __init__(self, file: str):
        self.file = file
        self.items: list[tuple[Location, str]] = []

    def add(self, sheet: str, cell: str, message: str) -> None:
        self.items.append((Location(self.file, sheet, cell), message))


def _cell(col: int, row: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return xl_rowcol_to_cell(row - 1, col)


def read_plan(path: str | Path) -> Program:
    """Read a plan workbook; PlanError lists every problem with file, sheet and cell."""
    with collector_paused():  # a national plan: ~1 million objects, none in a cycle
        return _read_plan(Path(path))


def _read_plan(path: Path) -> Program:
    problems = _Problems(path.name)
    if not path.is_file():
        raise PlanError([(Location(str(path)), "plan dosyası bulunamadı")])
    if not zipfile.is_zipfile(path):
        raise PlanError([(Location(path.name), "dosya bir .xlsx çalışma kitabı değil")])
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise PlanError([(Location(path.name), f"dosya okunamadı ({exc})")]) from exc
    L = _L()
    S = L["sheets"]
    sheets: dict[str, list[list[Any]]] = {}
    for key in ("general", *_TABLES):
        name = S[key]
        if name not in wb.sheet_names:
            problems.add(name, "", f"'{name}' sayfası eksik")
            continue
        sheets[key] = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    if problems.items:
        raise PlanError(problems.items)

    general = _read_general(sheets["general"], S["general"], L, problems)
    tables = {t: _read_table(sheets[t], S[t], L["columns"][t], problems) for t in _TABLES}

    def build(table: str, make: Callable[[dict[str, Any]], Any]) -> list[tuple[int, Any]]:
        out = []
        for rownum, rec in tables[table]:
            try:
                out.append((rownum, make(rec)))
            except (CodeError, ValueError) as exc:
                problems.add(S[table], _cell(0, rownum), str(exc))
        return out

    parsed = {
        "departments": build("departments", lambda r: Department(r["code"], r["name"])),
        "axes": build("axes", lambda r: Axis(r["code"].upper(), r["name"])),
        "service_areas": build(
            "service_areas", lambda r: ServiceArea(r["code"], r["name"], r["axis"])
        ),
        "goals": build("goals", lambda r: Goal(_goal(r["code"]), r["text"], r["service_area"])),
        "objectives": build("objectives", lambda r: Objective(_objective(r["code"]), r["text"])),
        "targets": build(
            "targets",
            lambda r: PerformanceTarget.of(
                TargetCode.parse(r["code"]), r["text"], r["department"]
            ),
        ),
    }
    _check_references(parsed, S, problems)

    ga: dict[str, float] = {}
    tr: dict[str, float] = {}
    cols = list(L["columns"]["budget"])
    for rownum, rec in tables["budget"]:
        try:
            code = normalize_economic_code(rec["economic_code"])
        except CodeError as exc:
            problems.add(S["budget"], _cell(0, rownum), str(exc))
            continue
        for key, target in (("general_administration", ga), ("transfers", tr)):
            cell = _cell(cols.index(key), rownum)
            try:
                value = parse_tr_number(rec["_raw"][key])
            except NumberFormatError as exc:
                problems.add(S["budget"], cell, f"tutar bir sayı olmalı: {exc}")
                continue
            if value is not None and value < 0:
                problems.add(S["budget"], cell, "tutar negatif olamaz")
                continue
            target[code] = target.get(code, 0.0) + (value or 0.0)

    if problems.items:
        raise PlanError(problems.items)

    def objs(table: str) -> tuple[Any, ...]:
        return tuple(o for _, o in parsed[table])

    return Program(
        departments=objs("departments"),
        axes=objs("axes"),
        service_areas=objs("service_areas"),
        goals=objs("goals"),
        objectives=objs("objectives"),
        targets=objs("targets"),
        general_administration=ga,
        transfers=tr,
        **general,
    )


def _goal(text: str) -> str:
    axis, goal = parse_goal_code(text)
    return f"{axis}.{goal}"


def _objective(text: str) -> str:
    axis, goal, obj = parse_objective_code(text)
    return f"{axis}.{goal}.{obj}"


def _read_general(
    rows: list[list[Any]], sheet: str, L: dict[str, Any], problems: _Problems
) -> dict[str, Any]:
    by_label = {tr_casefold(v): k for k, v in L["general"].items()}
    found: dict[str, tuple[int, Any]] = {}
    for r, row in enumerate(rows, start=1):
        if row and isinstance(row[0], str) and tr_casefold(row[0]) in by_label:
            found[by_label[tr_casefold(row[0])]] = (r, row[1] if len(row) > 1 else None)
    out: dict[str, Any] = {}
    for key, label in L["general"].items():
        if key not in found:
            if key in ("institution", "year", "budget"):
                problems.add(sheet, "A", f"'{label}' satırı eksik")
            continue
        r, value = found[key]
        cell = _cell(1, r)
        try:
            if key == "year":
                year = parse_tr_number(value)
                if year is None or not float(year).is_integer() or not 2000 <= year <= 2100:
                    raise ValueError("program yılı 2000 ile 2100 arasında bir tam sayı olmalı")
                out["year"] = int(year)
            elif key == "budget":
                budget = parse_tr_number(value)
                if budget is None or budget < 0:
                    raise ValueError("toplam bütçe sıfır veya pozitif bir tutar olmalı")
                out["budget"] = budget
            elif key == "form_economic_codes":
                parts = [p for p in re.split(r"[;, ]+", clean_text(value)) if p]
                out[key] = tuple(sorted({normalize_economic_code(p) for p in parts}))
                if not out[key]:
                    raise ValueError("en az bir ekonomik kod gerekli (ör. 03;05;06)")
            elif key == "off_budget":
                answer = tr_casefold(clean_text(value))
                if answer not in (tr_casefold(L["text"]["yes"]), tr_casefold(L["text"]["no"]), ""):
                    raise ValueError("'Evet' ya da 'Hayır' yazın")
                out[key] = answer == tr_casefold(L["text"]["yes"])
            elif key == "deadline":
                out[key] = _parse_date(value)
            else:
                out[key] = clean_text(value)
        except (ValueError, NumberFormatError, CodeError) as exc:
            problems.add(sheet, cell, str(exc))
    return out


def _parse_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean_text(value)
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValueError(f"'{text}' bir tarih değil (ör. 15.10.2021)")


def _read_table(
    rows: list[list[Any]], sheet: str, cols: dict[str, dict[str, Any]], problems: _Problems
) -> list[tuple[int, dict[str, Any]]]:
    """Rows as records keyed by column key, located by header text (order may change)."""
    if not rows:
        problems.add(sheet, "A1", "sayfa boş: başlık satırı eksik")
        return []
    header = [tr_casefold(clean_text(h)) for h in rows[0]]
    index: dict[str, int] = {}
    for key, spec in cols.items():
        want = tr_casefold(spec["header"])
        if want in header:
            index[key] = header.index(want)
        elif key != "economic_name":
            problems.add(sheet, "1", f"'{spec['header']}' sütun başlığı bulunamadı")
    if any(k not in index for k in cols if k != "economic_name"):
        return []
    out = []
    for r, row in enumerate(rows[1:], start=2):
        raw = {k: (row[i] if i < len(row) else None) for k, i in index.items()}
        rec = dict(zip(raw, map(clean_text, raw.values()), strict=True))
        if not any(rec.values()):
            continue
        for k, i in index.items():
            if not rec[k] and k not in ("general_administration", "transfers", "economic_name"):
                problems.add(sheet, _cell(i, r), f"'{cols[k]['header']}' boş bırakılmış")
        rec["_raw"] = raw
        out.append((r, rec))
    return out


def _check_references(
    parsed: dict[str, list[tuple[int, Any]]], S: dict[str, str], problems: _Problems
) -> None:
    """Uniqueness and the links between levels, each problem at its cell."""

    def unique(table: str, attr: Callable[[Any], str], col: int, what: str) -> None:
        seen: set[str] = set()
        for rownum, obj in parsed[table]:
            value = attr(obj)
            if value in seen:
                problems.add(S[table], _cell(col, rownum), f"{what} '{value}' birden fazla kez var")
            seen.add(value)

    def exists(table: str, attr: Callable[[Any], str], known_in: str, col: int, what: str) -> None:
        known = {o.code for _, o in parsed[known_in]}
        for rownum, obj in parsed[table]:
            if attr(obj) not in known:
                problems.add(S[table], _cell(col, rownum), f"{what} '{attr(obj)}' tanımlı değil")

    for rownum, d in parsed["departments"]:
        if not _DEPT_CODE.match(d.code):
            problems.add(
                S["departments"],
                _cell(0, rownum),
                f"birim kodu '{d.code}' yalnızca büyük harf A–Z, rakam ve _ içermeli (en çok 20)",
            )
    for rownum, a in parsed["axes"]:
        if a.code not in AXES:
            problems.add(
                S["axes"], _cell(0, rownum), f"dönüşüm alanı '{a.code}' KE, TO veya KU olmalı"
            )
    unique("departments", lambda d: d.code, 0, "birim kodu")
    unique("departments", lambda d: tr_casefold(d.name), 1, "birim adı")
    unique("axes", lambda a: a.code, 0, "dönüşüm alanı")
    unique("service_areas", lambda a: a.code, 0, "hizmet alanı")
    exists("service_areas", lambda a: a.axis, "axes", 2, "dönüşüm alanı")
    unique("goals", lambda g: g.code, 0, "stratejik amaç")
    exists("goals", lambda g: g.service_area, "service_areas", 2, "hizmet alanı")
    unique("objectives", lambda o: o.code, 0, "stratejik hedef")
    exists("objectives", lambda o: o.code.rsplit(".", 1)[0], "goals", 0, "stratejik amaç")
    unique("targets", lambda t: t.code, 0, "performans hedefi kodu")
    exists("targets", lambda t: t.objective_code, "objectives", 0, "stratejik hedef")
    exists("targets", lambda t: t.department, "departments", 2, "sorumlu birim")
