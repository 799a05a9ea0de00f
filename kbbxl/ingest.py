"""Reads a returned department form into raw cells with addresses (kbbxl.raw), never modifying it.

Tables are found by their anchor texts (kbbxl.form), not by fixed rows, so a department that
inserts or deletes rows inside a table is still read correctly. Values are the cached values
read with python-calamine; structural problems become Findings (codes in schemas/issues.toml,
section [reader]), never exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import python_calamine

from kbbxl import cellscan, form
from kbbxl.cellscan import SheetXml, XmlCell, scan_sheets, text_to_check
from kbbxl.memo import Memo
from kbbxl.model import CodeError, canonical_target_code
from kbbxl.raw import Cell, Finding, RawCard, RawForm, RawRow, new_cell
from kbbxl.safety import Inspection, finding


class Grid(list):  # type: ignore[type-arg]
    """A sheet's cached values (rows of cells) plus its formulas and error values by address."""

    xml: dict[str, XmlCell]
    scan: SheetXml | None = None  # merged cells and hidden rows too (kbbxl.cellscan)

    def __init__(self, rows: list[list[Any]], xml: dict[str, XmlCell] | None = None):
        super().__init__(rows)
        self.xml = xml or {}
        self._anchors: dict[str, list[tuple[int, int]]] | None = None
        self._marks: tuple[dict[str, XmlCell], set[str], set[int]] | None = None

    def anchors(self) -> dict[str, list[tuple[int, int]]]:
        """Anchor key → (row, col) of every text in the leftmost columns that is one of the
        form's labels (_anchor_labels), in reading order.

        Built once per sheet: a card is searched for a dozen anchors, and normalizing every
        cell for each search was most of the time of reading a form."""
        if self._anchors is None:
            index: dict[str, list[tuple[int, int]]] = {}
            keys = _ANCHOR_KEYS
            labels = _anchor_labels()
            for r, row in enumerate(self):
                left = row[:_ANCHOR_SCAN_COLS]
                if left.count("") == len(left):
                    continue  # a spare row
                for c, v in enumerate(left):
                    if isinstance(v, str) and v:
                        key = keys.get(v)
                        if key is None:
                            key = form.anchor_key(v)
                            if key not in labels:
                                key = ""  # a name, a unit ...: no anchor
                            if len(v) <= _MEMO_TEXT:
                                keys.keep(v, key)
                        if key:
                            index.setdefault(key, []).append((r, c))
            self._anchors = index
        return self._anchors

    def marks(self) -> tuple[set[str], set[int]]:
        """(columns holding a formula or an error value, error_rows()) of the current xml:
        asked for by each table of the card."""
        if self._marks is None or self._marks[0] is not self.xml:
            columns = {ref.rstrip("0123456789") for ref in self.xml}
            self._marks = (self.xml, columns, self.error_rows() if self.xml else set())
        return self._marks[1], self._marks[2]

    def error_rows(self) -> set[int]:
        """0-based rows holding an error value (calamine shows those cells as empty)."""
        rows = set()
        for ref, x in self.xml.items():
            m = _A1.fullmatch(ref) if x.error else None
            if m:
                rows.add(int(m.group(1)) - 1)
        return rows


_A1 = re.compile(r"[A-Z]{1,3}(\d+)")

@lru_cache(maxsize=1)
def _anchor_labels() -> frozenset[str]:
    """form.anchor_key of every label a card is searched for (Grid.anchors indexes only
    these: the names and units of a form are most of the texts in its leftmost columns)."""
    lab = form.L()
    texts = [*lab["header"].values(), *lab["indicators"].values(), *lab["activities"].values()]
    return frozenset(form.label_key(t) for t in texts)


#: form.anchor_key of texts seen ("" for one that is no label), and the form's column
#: classifiers' answers: every card of every form repeats its labels and titles (bounded:
#: short texts only, cleared when full)
_ANCHOR_KEYS = Memo(20_000)
_CLASSES = Memo(20_000)
_MEMO_TEXT = 200


def _classified(classify: Any, text: Any) -> str | None:
    # the type is part of the key: 1, 1.0 and True are equal keys but different texts
    key = (classify, type(text), text)
    found = _CLASSES.get(key, _CLASSES)
    if found is _CLASSES:
        found = classify(text)
        if not isinstance(text, str) or len(text) <= _MEMO_TEXT:
            _CLASSES.keep(key, found)
    return found  # type: ignore[return-value]


# How far from the top and the left the reader looks for header labels and table anchors.
_HEADER_SCAN_ROWS = 30
_ANCHOR_SCAN_COLS = 4

_TARGET_PREFIX = re.compile(
    r"^\s*([A-Za-z]{2}\s*/\s*P\s*H\s*\.?\s*\d+\s*\.\s*\d+\s*\.\s*\d+)", re.IGNORECASE
)


@lru_cache(maxsize=1024)
def _col_name(col: int) -> str:
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


def _ref(row: int, col: int) -> str:
    """0-based row/col → "D12"."""
    return f"{_col_name(col)}{row + 1}"


def _value(v: Any) -> Any:
    """calamine's value as the reader reports it: '' → None, whole floats stay floats."""
    if isinstance(v, str) and v == "":
        return None
    return v


def _at(grid: Grid, r: int, c: int) -> Any:
    if 0 <= r < len(grid) and 0 <= c < len(grid[r]):
        return _value(grid[r][c])
    return None


def _cell(grid: Grid, r: int, c: int) -> Cell:
    return _make_cell(grid.xml, _ref(r, c), _at(grid, r, c))


def _make_cell(xml: dict[str, XmlCell], ref: str, value: Any) -> Cell:
    x = xml.get(ref)
    if x is None:
        return new_cell(value, ref)
    # calamine shows an error value as an empty cell; the sheet XML says which error it was.
    return new_cell(None if x.error else value, ref, x.formula, x.error)


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _find_row(
    grid: Grid, label: str, start: int = 0, stop: int | None = None
) -> tuple[int, int] | None:
    """(row, col) of the first cell in the leftmost columns whose text is the anchor."""
    stop = len(grid) if stop is None else min(stop, len(grid))
    key = form.label_key(label)
    if key not in _anchor_labels():
        raise ValueError(f"not one of the form's labels: {label!r}")
    for r, c in grid.anchors().get(key, ()):
        if r >= stop:
            break
        if r >= start:
            return r, c
    return None


# --- one card sheet ---------------------------------------------------------------------------


def _read_header(grid: Grid, sheet: str, stop: int, card: RawCard,
                 findings: list[Finding]) -> list[str]:
    """The header block: label in the leftmost columns, value = next non-empty cell right of it."""
    labels = form.L()["header"]
    texts: list[str] = []
    for key in form.HEADER_KEYS:
        hit = _find_row(grid, labels[key], 0, min(stop, _HEADER_SCAN_ROWS))
        if hit is None:
            findings.append(finding("anchor-missing", sheet, "", anchor=labels[key]))
            texts.append("")
            continue
        r, c = hit
        col = next((j for j in range(c + 1, len(grid[r])) if not _is_blank(grid[r][j])),
                   form.HEADER_COL_VALUE)
        cell = _cell(grid, r, col)
        card.header[key] = cell
        texts.append("" if cell.value is None else str(cell.value))
    return texts


def _columns(grid: Grid, rows: Sequence[int], classify: Any) -> tuple[dict[str, int], list[str]]:
    """Column keys of a table's title rows (later rows win, e.g. the economic codes row)."""
    title_rows = [grid[r] if 0 <= r < len(grid) else [] for r in reversed(rows)]
    # every card of every form has the same title rows: the answer is kept for rows of short
    # texts (only texts: 1, 1.0 and True would be equal keys)
    key = (classify, *map(tuple, title_rows))
    found = _TITLE_ROWS.get(key)
    if found is None:
        found = _classify_columns(title_rows, classify)
        texts = [v for row in title_rows for v in row]
        if all(type(v) is str for v in texts) and sum(map(len, texts)) <= 4 * _MEMO_TEXT:
            _TITLE_ROWS.keep(key, found)
    return dict(found[0]), list(found[1])


#: _classify_columns' answers by title rows (bounded)
_TITLE_ROWS = Memo(256)


def _classify_columns(title_rows: list[list[Any]], classify: Any
                      ) -> tuple[dict[str, int], list[str]]:
    cols: dict[str, int] = {}
    titles: dict[int, str] = {}
    width = max((len(row) for row in title_rows), default=0)
    for c in range(width):
        for row in title_rows:
            text = row[c] if c < len(row) else None
            if text == "":  # as _at
                text = None
            key = _classified(classify, text)
            if key is not None and key not in cols:
                cols[key] = c
                titles[c] = str(text)
                break
    return cols, [titles[c] for c in sorted(titles)]


def _rows(grid: Grid, first: int, stop: int, cols: dict[str, int], skip: set[str],
          suspect: list[RawRow] | None = None) -> list[RawRow]:
    """The rows first..stop-1 that hold something outside the `skip` columns.

    suspect: receives the rows holding a text that cellscan.checked_text must see
    (cellscan.text_to_check), so that it does not walk every cell of the card again.
    """
    out = []
    xml = grid.xml
    # the columns holding a formula or an error value somewhere (a card's total column)
    marked, errors = grid.marks()
    columns = [(key, c, _col_name(c), key in skip, _col_name(c) in marked)
               for key, c in cols.items()]
    content = [c for _key, c, _letters, skipped, _marked in columns if not skipped]
    # content columns side by side (as in every form): a row whose slice of them holds empty
    # texts only is blank, told in C
    lo, hi = (min(content), max(content) + 1) if content else (0, 0)
    side_by_side = hi - lo == len(content)
    height = len(grid)
    width = max(cols.values(), default=-1) + 1
    for r in range(first, stop):
        row = grid[r] if r < height else []
        if r not in errors:
            # blank without building its cells (most rows of a form are spare rows)
            if side_by_side:
                part = row[lo:hi]
                if part.count("") == len(part):
                    continue
            for c in content:
                v = row[c] if c < len(row) else None
                if v is not None and v != "" and not (isinstance(v, str) and not v.strip()):
                    break
            else:
                continue
        if len(row) < width:
            row = row + [None] * (width - len(row))
        number = str(r + 1)
        cells = {}
        empty = True  # numbering and a formula total do not make a row
        odd_text = False
        for key, c, letters, skipped, in_xml in columns:
            v = row[c]
            if v == "":  # as _value: calamine's empty text is no value
                v = None
            ref = letters + number
            if in_xml:
                cell = _make_cell(xml, ref, v)
                v = cell.value
                if cell.error and not skipped:
                    empty = False
            else:
                cell = new_cell(v, ref)
            cells[key] = cell
            if v is None:
                continue
            if isinstance(v, str):
                if text_to_check(v):
                    odd_text = True
                if empty and not skipped and v.strip():
                    empty = False
            elif empty and not skipped:
                empty = False
        if not empty:
            raw = RawRow(r + 1, cells)
            out.append(raw)
            if odd_text and suspect is not None:
                suspect.append(raw)
    return out


def _title(labels: dict[str, str], key: str, year: int | None) -> str:
    """A column's title for a message (the form's year when known)."""
    y = year or 0
    words = {"year": y or "YYYY", "past1": y - 1 if y else "YYYY", "past2": y - 2 if y else "YYYY"}
    return labels[key].format(**words)


def read_card(
    grid: Grid, sheet: str, findings: list[Finding], year: int | None = None
) -> tuple[RawCard, tuple[str, ...]]:
    """One card sheet → RawCard and its locked structure (for the fingerprint)."""
    ind_lab, act_lab = form.L()["indicators"], form.L()["activities"]
    card = RawCard(sheet=sheet, target="")
    inputs: list[str | None] = []  # input areas as found, for kbbxl.cellscan's checks
    suspect: list[RawRow] = []  # rows with a text for cellscan.checked_text (see _rows)
    ind = _find_row(grid, ind_lab["name"])
    act = _find_row(grid, act_lab["name"], 0 if ind is None else ind[0] + 1)
    top = min(x[0] for x in (ind, act, (len(grid), 0)) if x is not None)
    header = _read_header(grid, sheet, top, card, findings)

    target_cell = card.header.get("target")
    text = "" if target_cell is None or target_cell.value is None else str(target_cell.value)
    m = _TARGET_PREFIX.match(text)
    try:
        card.target = canonical_target_code(m.group(1)) if m else ""
    except CodeError:
        card.target = ""
    if not card.target and target_cell is not None:
        findings.append(finding("target-code-invalid", sheet, target_cell.ref, text))

    ind_titles: list[str] = []
    if ind is None:
        findings.append(finding("anchor-missing", sheet, "", anchor=ind_lab["name"]))
    else:
        cols, ind_titles = _columns(grid, [ind[0]], form.classify_indicator_header)
        missing = [k for k in form.INDICATOR_COLUMNS if k not in cols]
        for k in missing:
            findings.append(finding("column-missing", sheet, _ref(ind[0], 0),
                                    column=_title(ind_lab, k, year)))
        stop = act[0] if act is not None else len(grid)
        card.indicators = _rows(grid, ind[0] + 1, stop, cols, {"seq"}, suspect)
        inputs.append(cellscan.area(ind[0] + 1, stop - 1,
                                  [c for k, c in cols.items() if k in form.INDICATOR_INPUTS]))

    act_titles: list[str] = []
    if act is None:
        findings.append(finding("anchor-missing", sheet, "", anchor=act_lab["name"]))
    else:
        h1 = act[0]
        below = grid[h1 + 1] if h1 + 1 < len(grid) else []
        two = any(str(_classified(form.classify_activity_header, v)).startswith("ec")
                  for v in below)
        title_rows = [h1, h1 + 1] if two else [h1]
        cols, act_titles = _columns(grid, title_rows, form.classify_activity_header)
        for k in ("seq", "name", "total"):
            if k not in cols:
                findings.append(finding("column-missing", sheet, _ref(h1, 0),
                                        column=_title(act_lab, k, year)))
        card.economic_codes = tuple(k[2:] for k in sorted(cols, key=cols.get) if k.startswith("ec"))
        first = title_rows[-1] + 1
        total = _find_row(grid, act_lab["grand_total"], first)
        if total is None:
            findings.append(finding("anchor-missing", sheet, "", anchor=act_lab["grand_total"]))
            stop = len(grid)
        else:
            stop = total[0]
            card.totals = RawRow(total[0] + 1, {
                k: _cell(grid, total[0], c) for k, c in cols.items() if k not in ("seq", "name")
            })
        card.activities = _rows(grid, first, stop, cols, {"seq", "total"}, suspect)
        inputs.append(cellscan.area(first, stop - 1,
                                  [c for k, c in cols.items() if k not in ("seq", "total")]))

    if grid.scan is not None:
        findings.extend(cellscan.cell_findings(grid.scan, filter(None, inputs), errors=False))
    findings.extend(cellscan.checked_text(suspect, sheet))
    structure = form.card_structure(sheet, header, ind_titles, act_titles)
    return card, structure


def _looks_like_card(grid: Grid) -> bool:
    lab = form.L()
    anchors = [lab["indicators"]["name"], lab["activities"]["name"], lab["header"]["target"]]
    return any(_find_row(grid, a) is not None for a in anchors)


def _read_meta(grid: Grid) -> dict[str, str]:
    meta: dict[str, str] = {}
    for row in grid:
        if len(row) < 2 or _is_blank(row[0]):
            continue
        key, value = str(row[0]).strip(), row[1]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        meta[key] = "" if _is_blank(value) else str(value).strip()
    return meta


# --- a whole workbook -------------------------------------------------------------------------


def read_form(path: str | Path, *, inspected: bool | Inspection = False) -> RawForm:
    """Read a returned form. Never modifies the file; structural problems go to .findings.

    inspected: safety.inspect_file found the file readable just before (its XML is not
    checked for well-formedness a second time); given its Inspection, the sheet parts it
    read are scanned without decompressing them again.
    """
    path = Path(path)
    result = RawForm(path=path, meta=None)
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several unrelated types for unreadable files
        result.findings.append(finding("workbook-unreadable", detail=_detail(exc)))
        return result
    try:
        _read_workbook(wb, result, inspected)
    finally:
        wb.close()
    return result


def _grid(wb: python_calamine.CalamineWorkbook, name: str) -> Grid:
    sheet = wb.get_sheet_by_name(name)
    return Grid(sheet.to_python(skip_empty_area=False))  # a new list of row lists


def _read_workbook(wb: python_calamine.CalamineWorkbook, result: RawForm,
                   inspected: bool | Inspection = False) -> None:
    names = list(wb.sheet_names)
    if form.META_SHEET in names:
        try:
            result.meta = _read_meta(_grid(wb, form.META_SHEET))
        except Exception as exc:
            result.findings.append(
                finding("sheet-unreadable", form.META_SHEET, "", detail=_detail(exc))
            )
        if result.meta is not None:
            for key in form.META_KEYS:
                if key not in result.meta:
                    result.findings.append(finding("meta-incomplete", form.META_SHEET, "", key=key))
    year_text = (result.meta or {}).get("year", "")
    year = int(year_text) if year_text.isdigit() else None

    grids: dict[str, Grid] = {}
    unknown: list[str] = []
    for name in names:
        if name in (form.META_SHEET, form.INSTRUCTIONS_SHEET):
            continue
        try:
            grid = _grid(wb, name)
        except Exception as exc:
            result.findings.append(finding("sheet-unreadable", name, "", detail=_detail(exc)))
            continue
        if _looks_like_card(grid):
            grids[name] = grid
        elif any(not _is_blank(v) for row in grid for v in row):
            unknown.append(name)  # an empty extra sheet is harmless

    if result.meta is None and not grids:
        result.findings[:] = [finding("not-a-form")]
        return
    if result.meta is None:
        # no sheet to point at: the finding is about the file
        result.findings.insert(0, finding("meta-missing", name=form.META_SHEET))
    _attach_xml(result, grids, inspected)
    structures = []
    for name, grid in grids.items():
        card, structure = read_card(grid, name, result.findings, year)
        result.cards.append(card)
        structures.append(structure)
    for name in unknown:
        result.findings.append(finding("sheet-unknown", name))
    result.fingerprint = form.fingerprint_of(structures)


def _attach_xml(result: RawForm, grids: dict[str, Grid],
                inspected: bool | Inspection = False) -> None:
    """Formulas and error values of the card sheets (calamine gives cached values only)."""
    try:
        scanned = scan_sheets(result.path, list(grids), inspected=inspected)
    except Exception as exc:  # the values were readable; say why the rest was not
        result.findings.append(finding("workbook-unreadable", detail=_detail(exc)))
        return
    for name, sheet in scanned.items():
        grids[name].xml = sheet.cells
        grids[name].scan = sheet


def _detail(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]
