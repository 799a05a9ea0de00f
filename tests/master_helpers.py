"""Test helpers for the master workbook: read every cell fast, change one cell in the XML.

Changing a cell: this is what finance does when it types a new amount into Faaliyetler and
the file is saved without recalculation: the input changes, every cached formula result stays
old. Re-saving with openpyxl is not an option (it drops cached values), so the zip is rewritten
member by member and only the one <v> element changes.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def sheet_part(zf: zipfile.ZipFile, sheet: str) -> str:
    """The zip member holding worksheet `sheet` (by its tab name)."""
    from defusedxml import ElementTree

    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", _NS)}
    for s in book.findall("m:sheets/m:sheet", _NS):
        if s.get("name") == sheet:
            target = targets[s.get(f"{{{_NS['r']}}}id")]
            return target.lstrip("/") if target.startswith("/") else str(
                PurePosixPath("xl") / target)
    raise KeyError(sheet)


def set_number(src: Path, dst: Path, sheet: str, cell: str, value: float) -> float:
    """Copy src to dst with the number in sheet!cell replaced; returns the old number."""
    with zipfile.ZipFile(src) as zin:
        part = sheet_part(zin, sheet)
        xml = zin.read(part).decode("utf-8")
        pattern = re.compile(rf'(<c r="{cell}"(?: [^>]*)?>)<v>([^<]*)</v>(</c>)')
        found = pattern.search(xml)
        if found is None or "t=" in found.group(1):
            raise ValueError(f"{sheet}!{cell} is not a number constant")
        old = float(found.group(2))
        new_xml = xml[: found.start()] + f"{found.group(1)}<v>{value!r}</v>{found.group(3)}" \
            + xml[found.end():]
        with zipfile.ZipFile(dst, "w") as zout:
            for info in zin.infolist():
                data = new_xml.encode("utf-8") if info.filename == part else zin.read(info)
                zout.writestr(info, data)
    return old


def grid(path: Path, *, data_only: bool) -> dict[str, dict[str, object]]:
    """Every non-empty cell of every sheet: {sheet: {"A1": value}} (formulas or cached values).

    openpyxl's read-only mode: a full load spends seconds formatting the master's merged cells.
    """
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    try:
        out: dict[str, dict[str, object]] = {}
        for ws in wb.worksheets:
            out[ws.title] = {
                c.coordinate: c.value
                for row in ws.iter_rows()
                for c in row
                if getattr(c, "value", None) is not None
            }
        return out
    finally:
        wb.close()
