"""An xlsxwriter worksheet that writes cells faster, to the same bytes as xlsxwriter does.

xlsxwriter writes every cell through a chain of general helpers (an attribute list, an escaping
call per attribute, a file write per cell): for the master's millions of cells that was about
half of its write time. `FastWorksheet` writes a whole row's cells as one string, skips the
escaping a cell reference and a style number never need, and looks for characters that need
escaping with one search per string. Cell kinds it does not know (rich strings, dates, array
formulas, booleans, errors) and strings with characters to escape go through xlsxwriter's own
code. Its put_* writers store what write_formula, write_blank and merge_range store, without
the work kbbxl's cells do not need. Tests compare its output with xlsxwriter's, byte for byte,
on every kind of cell in both memory modes. It overrides private methods of xlsxwriter 3.x
(pinned <4 in pyproject.toml).
"""

from __future__ import annotations

import re
from typing import Any

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import (
    CellBlankTuple,
    CellFormulaTuple,
    CellNumberTuple,
    CellStringTuple,
    Worksheet,
)

from kbbxl.errors import KbbxlError

# Anything an in-line string needs done besides the whitespace check: escaping, control
# characters, xlsxwriter's own _xHHHH_ escapes and non-characters. Without a match the text
# goes out as it is.
_INLINE_WORK = re.compile('_x[0-9a-fA-F]{4}_|["&<>\n\x00-\x08\x0b-\x1f\ufffe\uffff]')
_ERROR_VALUES = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"))

_column_names: list[str] = []


def _column_names_to(col: int) -> list[str]:
    """Column letters, at least up to column `col` (A, B, ..., XFD)."""
    while len(_column_names) <= col:
        _column_names.append(xl_col_to_name(len(_column_names)))
    return _column_names


def _escape_data(data: str) -> str:
    """XMLwriter._escape_data: & < > escaped in element text (quotes and newlines are not)."""
    if "&" in data or "<" in data or ">" in data:
        return data.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return data


class FastWorksheet(Worksheet):
    """A Worksheet whose rows are serialised in one piece (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self._styles: dict[Any, str] = {}  # format -> its s attribute

    def put_formula(self, row: int, col: int, formula: str, fmt: Any, value: Any) -> None:
        """A formula kbbxl composed of cell references, SUM, IF and ROUND, with its value.

        Stored as write_formula stores it, without the searches for array, dynamic-array and
        newer Excel functions that such a formula cannot contain (two regular expressions of
        hundreds of names: half the cost of a formula cell).
        """
        if self._check_dimensions(row, col):
            raise KbbxlError(f"xlsxwriter refused the formula at {row},{col}")
        if self.constant_memory and row > self.previous_row:
            self._write_single_row(row)
        self.table[row][col] = CellFormulaTuple(
            formula[1:] if formula.startswith("=") else formula, fmt, value)

    def put_blanks(self, row: int, first_col: int, last_col: int, fmt: Any) -> None:
        """Formatted blank cells first_col..last_col of `row`, as write_blank writes each."""
        if fmt is None or last_col < first_col:
            return
        if self._check_dimensions(row, first_col) or self._check_dimensions(row, last_col):
            raise KbbxlError(f"xlsxwriter refused blank cells at {row},{first_col}")
        if self.constant_memory and row > self.previous_row:
            self._write_single_row(row)
        blank = CellBlankTuple(fmt)  # one immutable cell for all of them
        cells = self.table[row]
        for col in range(first_col, last_col + 1):
            cells[col] = blank

    def put_merged(self, row: int, first_col: int, last_col: int, fmt: Any) -> None:
        """Merge columns first_col..last_col (first_col < last_col) of `row` as merge_range
        does; the caller then writes the first cell.

        Without merge_range's overlap bookkeeping, a dictionary entry per merged cell (tens
        of megabytes for the cards of a large master): kbbxl's layouts place merges apart.
        """
        self.merge.append([row, first_col, row, last_col])
        self.put_blanks(row, first_col, last_col, fmt)

    def _style(self, fmt: Any) -> str:
        """The s attribute of a cell in format `fmt` (its index is fixed once it is asked)."""
        style = self._styles.get(fmt)
        if style is None:
            style = self._styles[fmt] = f' s="{fmt._get_xf_index()}"'
        return style

    def _cells_xml(self, row: int, cells: dict[int, Any], row_format: Any) -> str | None:
        """The <c> elements of one row as xlsxwriter writes them; None for a kind it lacks."""
        number = str(row + 1)
        names = _column_names_to(self.dim_colmax)
        col_info = self.col_info
        styles = self._styles
        inline = self.constant_memory
        # xlsxwriter indexes the row's format before its cells' (indices go by first use)
        row_style = self._style(row_format) if row_format else ""
        parts: list[str] = []
        append = parts.append
        for col in sorted(cells):
            cell = cells[col]
            kind = cell.__class__
            ref = names[col] + number
            # The style: the cell's own format, else the row's, else the column's.
            fmt = cell.format
            if fmt:
                style = styles.get(fmt) or self._style(fmt)
            elif row_style:
                style = row_style
            elif col in col_info and col_info[col].column_format is not None:
                style = self._style(col_info[col].column_format)
            else:
                style = ""
            if kind is CellStringTuple:
                string = cell.string
                if not inline:
                    append(f'<c r="{ref}"{style} t="s"><v>{string}</v></c>')
                elif _INLINE_WORK.search(string) is None:
                    space = (' xml:space="preserve"'
                             if string[:1].isspace() or string[-1:].isspace() else "")
                    append(f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{string}'
                           f"</t></is></c>")
                else:
                    return None
            elif kind is CellFormulaTuple:
                value = cell.value
                kind_attr = ""
                if isinstance(value, bool):
                    kind_attr, value = ' t="b"', 1 if value else 0
                elif isinstance(value, str):
                    if value in _ERROR_VALUES:
                        kind_attr = ' t="e"'
                    elif value:
                        kind_attr = ' t="str"'
                    value = _escape_data(value)
                append(f'<c r="{ref}"{style}{kind_attr}><f>{_escape_data(cell.formula)}</f>'
                       f"<v>{value}</v></c>")
            elif kind is CellNumberTuple:
                append(f'<c r="{ref}"{style}><v>{cell.number:.16G}</v></c>')
            elif kind is CellBlankTuple:
                append(f'<c r="{ref}"{style}/>')
            else:
                return None
        return "".join(parts)

    def _write_row_cells(self, row: int, cells: dict[int, Any], span: str | None) -> None:
        row_info = self.row_info.get(row)
        xml = self._cells_xml(row, cells, row_info.row_format if row_info else None)
        if xml is None:  # a cell only xlsxwriter knows how to write
            self._write_row(row, span, row_info)
            for col in range(self.dim_colmin, self.dim_colmax + 1):
                if col in cells:
                    self._write_cell(row, col, cells[col])
            self.fh.write("</row>")
        elif (row_info is None and self.excel_version != 2010
                and self.default_row_height == self.original_row_height):
            # a row with no attributes of its own: the tag _write_row would write
            tag = f'<row r="{row + 1}" spans="{span}">' if span else f'<row r="{row + 1}">'
            self.fh.write(tag + xml + "</row>")
        else:
            self._write_row(row, span, row_info)
            self.fh.write(xml + "</row>")

    def _write_rows(self) -> None:
        # Rows with cells, formats or comments, in order (as Worksheet._write_rows).
        self._calculate_spans()
        table, row_info, comments = self.table, self.row_info, self.comments
        spans = self.row_spans
        for row in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row)
            if not (cells or row in row_info or row in comments):
                continue
            span = spans.get(row // 16)
            if cells:
                self._write_row_cells(row, cells, span)
            else:
                self._write_empty_row(row, span, row_info.get(row))

    def _write_single_row(self, current_row_num: int = 0) -> None:
        # constant_memory: the previous row goes to the temp file, then is forgotten.
        row = self.previous_row
        self.previous_row = current_row_num
        cells = self.table.get(row)
        if cells:
            self._write_row_cells(row, cells, None)
        elif row in self.row_info or row in self.comments:
            self._write_empty_row(row, None, self.row_info[row])
        self.table.clear()

    def _calculate_spans(self) -> None:
        # The first and last used column of every block of 16 rows (the <row> spans).
        blocks: dict[int, tuple[int, int]] = {}
        first, last = self.dim_rowmin, self.dim_rowmax
        for source in (self.table, self.comments):
            for row, cells in source.items():
                if not cells or not first <= row <= last:
                    continue
                index = row // 16
                low, high = min(cells), max(cells)
                if index in blocks:
                    low, high = min(low, blocks[index][0]), max(high, blocks[index][1])
                blocks[index] = (low, high)
        self.row_spans = {index: f"{low + 1}:{high + 1}" for index, (low, high) in blocks.items()}
