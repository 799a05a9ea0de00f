"""What the value reader cannot see in a card sheet, and the checks of hostile cells.

python-calamine gives cached values only: an error value (#REF!) reads as an empty cell and a
formula typed into an input cell is invisible. `scan_sheets` reads the sheet XML (byte searches
in kbbxl.fastxml for the plain shape every spreadsheet program writes, defusedxml's iterparse
for any other) for formulas, error values, merged ranges and hidden rows; `cell_findings` and
`checked_text` turn what sits in a card's input areas into findings (codes in
schemas/issues.toml, section [safety]). Call only on files kbbxl.safety.inspect_file passed.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import defusedxml.ElementTree as SafeET

from kbbxl import fastxml
from kbbxl.memo import Memo
from kbbxl.raw import Finding, RawRow
from kbbxl.safety import (
    CELL_REF,
    Inspection,
    activate_defusedxml,
    col_name,
    col_number,
    finding,
    local_name,
    sheet_parts,
)
from kbbxl.text import EXCEL_CELL_LIMIT, clean_text, has_control_characters

_RANGE = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?$")


@dataclass(frozen=True)
class XmlCell:
    """A cell that held a formula or an error value, as stored in the sheet XML."""

    ref: str
    formula: str | None  # formula text ("" for a follower of a shared formula)
    cached: str | float | bool | None  # the stored result; None when there is none
    error: str | None  # "#REF!" etc. when the cell (or its cached result) is an error


@dataclass(frozen=True)
class SheetXml:
    """What a sheet holds beyond plain values."""

    name: str
    part: str
    cells: dict[str, XmlCell]
    merged: tuple[str, ...]
    hidden_rows: frozenset[int]


def parse_area(area: str) -> tuple[int, int, int, int]:
    """"B12:H40" (or "B12") -> (min_row, min_col, max_row, max_col), 1-based."""
    m = _RANGE.match(area.strip().upper())
    if not m:
        raise ValueError(f"not an A1 range: {area!r}")
    c1, r1 = col_number(m[1]), int(m[2])
    c2, r2 = (col_number(m[3]), int(m[4])) if m[3] else (c1, r1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def scan_sheets(path: str | Path, sheets: Iterable[str] | None = None, *,
                inspected: bool | Inspection = False) -> dict[str, SheetXml]:
    """Formulas, error values, merged ranges and hidden rows of the named sheets (all: None).

    Call only on a file inspect_file found readable (its limits bound the size of a part,
    which is read whole). Plain parts are scanned by kbbxl.fastxml, any other with
    defusedxml's iterparse. inspected: inspect_file has just parsed every part, so their
    well-formedness is not checked again; given its Inspection, the sheet list and the parts
    it kept are used as they are instead of being read from the file again.
    """
    activate_defusedxml()
    inspection = inspected if isinstance(inspected, Inspection) and inspected.readable else None
    kept = inspection.parts if inspection is not None else {}
    zf: zipfile.ZipFile | None = None
    try:
        if inspection is not None and inspection.workbook_part:
            parts = inspection.sheets
        else:
            zf = zipfile.ZipFile(path)
            parts = sheet_parts(zf)
        wanted = parts if sheets is None else {s: parts[s] for s in sheets if s in parts}
        strings: list[str] | None = None
        out: dict[str, SheetXml] = {}
        for name, part in wanted.items():
            data = kept.get(part)
            if data is None:
                zf = zf or zipfile.ZipFile(path)
                if part not in zf.NameToInfo:
                    continue
                data = zf.read(part)
            shaped = inspection.shapes.get(part) if inspection is not None else None
            sheet, needs_strings = _scan_fast(data, name, part, bool(inspected), shaped) or _scan(
                io.BytesIO(data), name, part)
            if needs_strings:
                if strings is None:
                    zf = zf or zipfile.ZipFile(path)
                    strings = _shared_strings(zf)
                sheet = _resolve_strings(sheet, needs_strings, strings)
            out[name] = sheet
        return out
    finally:
        if zf is not None:
            zf.close()


def _scan_fast(data: bytes, name: str, part: str, well_formed: bool = False,
               shaped: fastxml.Shape | None = None) -> tuple[SheetXml, dict[str, int]] | None:
    """_scan's answer from byte searches (kbbxl.fastxml); None for a part of another shape.
    shaped: the part's fastxml.shape(), when the caller has it."""
    if not well_formed and fastxml.parse_error(data) is not None:
        return None  # the element path raises what it raises for a broken part
    found = fastxml.sheet_cells(data, shaped)
    if found is None:
        return None
    cells: dict[str, XmlCell] = {}
    string_refs: dict[str, int] = {}
    for one in found[0]:
        cell = _XML_CELLS.get(one)
        if cell is None:
            ref, formula, v_text, kind = one
            cell = _xml_cell(ref, formula, v_text, kind, string_refs)
            # a shared-string result is resolved per file; long texts are not kept
            if kind != "s" and len(ref + kind) + len(formula or "") + len(v_text or "") <= 256:
                _XML_CELLS.keep(one, cell)
        cells[cell.ref] = cell
    return SheetXml(name, part, cells, tuple(found[1]), frozenset(found[2])), string_refs


#: XmlCell of a cell found by kbbxl.fastxml: the cards of a form repeat their total formulas,
#: and most cached totals are alike (bounded: short ones only, cleared when full)
_XML_CELLS = Memo(4096)


def _xml_cell(ref: str, formula: str | None, v_text: str | None, kind: str,
              string_refs: dict[str, int]) -> XmlCell:
    """A formula or error cell from its parts; a shared-string result is noted for later."""
    cached: Any = None
    if v_text not in (None, ""):
        cached = _typed(kind, v_text)
        if kind == "s":
            string_refs[ref] = int(v_text) if v_text.isdigit() else -1
    error = v_text if kind == "e" else None
    return XmlCell(ref, None if formula is None else "=" + formula, cached, error)


def _scan(stream: IO[bytes], name: str, part: str) -> tuple[SheetXml, dict[str, int]]:
    cells: dict[str, XmlCell] = {}
    merged: list[str] = []
    hidden: set[int] = set()
    string_refs: dict[str, int] = {}  # formula cells whose cached result is a shared string
    for _event, el in SafeET.iterparse(stream, events=("end",), forbid_dtd=True):
        tag = local_name(el.tag)
        if tag == "c":
            kind = el.get("t") or "n"
            f_text = v_text = None
            has_f = False
            for child in el:
                ctag = local_name(child.tag)
                if ctag == "f":
                    has_f, f_text = True, child.text or ""
                elif ctag == "v":
                    v_text = child.text
            if has_f or kind == "e":
                ref = el.get("r") or ""
                cells[ref] = _xml_cell(ref, f_text if has_f else None, v_text, kind, string_refs)
            el.clear()
        elif tag == "row":
            if el.get("hidden") in ("1", "true") and (el.get("r") or "").isdigit():
                hidden.add(int(el.get("r") or 0))
            el.clear()
        elif tag == "mergeCell":
            merged.append(el.get("ref") or "")
    return SheetXml(name, part, cells, tuple(merged), frozenset(hidden)), string_refs


def _typed(kind: str, text: str) -> str | float | bool:
    if kind == "n":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "b":
        return text in ("1", "true")
    return text


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    name = next((n for n in zf.namelist() if n.lower().endswith("sharedstrings.xml")), None)
    if name is None:
        return []
    out: list[str] = []
    with zf.open(name) as stream:
        for _event, el in SafeET.iterparse(stream, events=("end",), forbid_dtd=True):
            if local_name(el.tag) == "si":
                out.append("".join(t.text or "" for t in el.iter() if local_name(t.tag) == "t"))
                el.clear()
    return out


def _resolve_strings(sheet: SheetXml, refs: dict[str, int], strings: list[str]) -> SheetXml:
    cells = dict(sheet.cells)
    for ref, index in refs.items():
        old = cells[ref]
        value = strings[index] if 0 <= index < len(strings) else None
        cells[ref] = XmlCell(ref, old.formula, value, old.error)
    return SheetXml(sheet.name, sheet.part, cells, sheet.merged, sheet.hidden_rows)


# ---------------------------------------------------------------------------- cell findings


@lru_cache(maxsize=4096)
def _box(area: str) -> tuple[int, int, int, int] | None:
    """parse_area, None for what is no range; cards repeat their ranges, so kept."""
    try:
        return parse_area(area)
    except ValueError:
        return None


@lru_cache(maxsize=16384)
def _position(ref: str) -> tuple[int, int] | None:
    """(row, column) of an A1 address, 1-based; None for another text."""
    m = CELL_REF.match(ref)
    return (int(m[2]), col_number(m[1])) if m else None


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def cell_findings(
    sheet: SheetXml, input_areas: Iterable[str], *, errors: bool = True
) -> list[Finding]:
    """Findings for formulas, error values, merged cells and hidden rows in the input areas.

    A formula with a stored result: that result is used (the reader already has it) and a
    warning is given. A formula without one, or an error value: an error naming the cell.
    errors=False leaves error values to the caller (the checks report them per column).
    """
    areas = [_box(a) or parse_area(a) for a in input_areas]  # parse_area raises for no range
    found: list[Finding] = []
    if not areas:
        return found
    for ref, cell in sheet.cells.items():
        at = _position(ref)
        if at is None:
            continue
        row, col = at
        for r1, c1, r2, c2 in areas:
            if r1 <= row <= r2 and c1 <= col <= c2:
                break
        else:
            continue
        if cell.error:
            if errors:
                found.append(finding("error-value", sheet.name, ref, cell.error))
        elif cell.formula is not None and cell.cached is None:
            found.append(finding("formula-no-value", sheet.name, ref, cell.formula))
        elif cell.formula is not None:
            found.append(
                finding("formula-cached", sheet.name, ref, cell.formula, cached=cell.cached)
            )
    for merged in sheet.merged:
        box = _box(merged)
        if box is not None and any(_overlaps(box, a) for a in areas):
            top_left = merged.split(":")[0].replace("$", "")
            found.append(finding("merged-input", sheet.name, top_left, merged))
    rows = sorted(r for r in sheet.hidden_rows if any(a[0] <= r <= a[2] for a in areas))
    if rows:
        shown = ", ".join(str(r) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
        found.append(finding("hidden-rows", sheet.name, f"A{rows[0]}", shown))
    return found


def area(first_row: int, last_row: int, cols: Iterable[int]) -> str | None:
    """An A1 range over 0-based rows first..last and the span of the given 0-based columns."""
    cols = list(cols)
    if not cols or last_row < first_row:
        return None
    return f"{col_name(min(cols))}{first_row + 1}:{col_name(max(cols))}{last_row + 1}"


def text_to_check(value: str) -> bool:
    """Whether checked_text has something to say about a text: over Excel's limit, or not
    printable (control characters are not). A reader may give checked_text only the rows
    holding such a text."""
    return len(value) > EXCEL_CELL_LIMIT or not value.isprintable()


def checked_text(rows: Iterable[RawRow], sheet: str) -> list[Finding]:
    """Text cells over Excel's limit (cut to it, an error) or with control characters (a warning).

    The cut keeps every writer downstream (master, returned copy) from failing on the cell;
    the error keeps the row out of the master and names the cell.
    """
    found: list[Finding] = []
    for row in rows:
        for key, cell in list(row.cells.items()):
            value = cell.value
            if not isinstance(value, str) or not text_to_check(value):
                continue
            if len(value) > EXCEL_CELL_LIMIT:
                found.append(finding("text-too-long", sheet, cell.ref, value[:40] + "...",
                                     length=len(value)))
                row.cells[key] = replace(cell, value=value[:EXCEL_CELL_LIMIT])
            elif not value.isprintable() and has_control_characters(value):  # printable: none
                found.append(finding("control-characters", sheet, cell.ref,
                                     clean_text(value)))
    return found
