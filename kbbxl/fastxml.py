"""Fast paths for the safe opener: XML parts checked by expat in C, the cells that matter found
by byte search.

kbbxl.safety reads every XML part of a returned workbook before a parser sees it, and scans
the card sheets for formulas and error values. Done element by element in Python, that was
about 90 % of the time of reading a form. Here the same answers come from expat running
without per-element callbacks (well-formedness, no DTD) and from byte searches over parts in
the shape spreadsheet programs write: UTF-8, no comments, CDATA, processing instructions or
prefixed spreadsheet elements, one default namespace, cell types written t="...". For any
other part these functions return None and the caller takes its exact element-by-element
path; tests compare both paths on the hostile corpus, on shapes made to mislead the searches
and on generated and LibreOffice-saved forms.
"""

from __future__ import annotations

import html
import re
import xml.parsers.expat
from typing import NamedTuple

from kbbxl.memo import Memo

MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


class _Doctype(Exception):
    """The part declares a DTD (entity bombs live there)."""


def _refuse_doctype(*_args: object) -> None:
    raise _Doctype


def parse_error(data: bytes) -> str | None:
    """None when `data` is well-formed XML without a DTD; "doctype" when it declares one;
    otherwise expat's message (the text of ElementTree's ParseError)."""
    # namespace processing as ElementTree does it: an unbound prefix is an error too
    parser = xml.parsers.expat.ParserCreate(None, "}")
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    try:
        parser.Parse(data, True)
    except _Doctype:
        return "doctype"
    except xml.parsers.expat.ExpatError as exc:
        return str(exc)
    return None


# --- the shape ----------------------------------------------------------------------------------

_DECLARATION = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
#: comments and CDATA (where markup is text), processing instructions, elements the searches
#: would not see: prefixed spreadsheet elements, tag names followed by a line break or tab
_UNUSUAL = re.compile(
    rb"<(?:!--|!\[CDATA\[|\?(?!xml\s)|[cfv][\t\r\n]|[\w.-]+:(?:c|f|v|si|row|mergeCell)[\s>/])"
)
#: what every prefixed element _UNUSUAL finds holds; ":" is rare in sheet markup, "<" is not
_PREFIXED = re.compile(rb":(?:c|f|v|si|row|mergeCell)[\s>/]")
_DEFAULT_NS = re.compile(rb"xmlns\s*=\s*[\"']([^\"']*)[\"']")
_ROOT = re.compile(rb"\s*(?:<\?xml[^>]*\?>\s*)?(<)[A-Za-z_][^>]*>")
_BREAKS = (b"\t", b"\n", b"\r")


class Shape(NamedTuple):
    """What shape() finds in a part in the shape the byte searches read."""

    namespace: bytes  # of its unprefixed elements; b"" for none
    breaks: bool  # a tab or a line break occurs from the root element on
    odd_types: bool  # a cell type may be written otherwise than ' t="..."'
    error_types: bool  # a cell may be typed as an error value (' t="e"' on one line)


def shape(data: bytes) -> Shape | None:
    """The Shape of a well-formed part when byte searches read it as a parser would; None for
    a part of any other shape."""
    if data.startswith((b"\xfe\xff", b"\xff\xfe")) or b"\x00" in data[:4]:
        return None  # UTF-16/32
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    m = _DECLARATION.match(data)
    if m and m.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        return None
    root = _ROOT.match(data)
    if root is None:
        return None
    body = root.start(1)
    # spreadsheet programs write a part on one line, with a break after the declaration at most
    breaks = any(data.find(b, body) >= 0 for b in _BREAKS)
    if _unusual(data, breaks, body):
        return None
    in_root = _DEFAULT_NS.findall(root.group(0))
    # declarations beyond the root's start tag are rare: only then is the whole part searched
    declared = _DEFAULT_NS.findall(data) if data.find(b"xmlns", root.end()) >= 0 else in_root
    namespace = b""
    if declared:
        if len(declared) > 1 or not in_root:
            return None  # a default namespace that changes inside the part
        namespace = in_root[0]
    if breaks:
        return Shape(namespace, True, _ODD_TYPE.search(data) is not None, True)
    marks = _TYPE_MARKS.findall(data)  # few: one per odd type or error type
    return Shape(namespace, False, any(marks), not all(marks))


_PLAIN_HEAD = re.compile(rb"\s*(?:<\?xml\s[^>]*\?>\s*)?")


def _unusual(data: bytes, breaks: bool, body: int) -> bool:
    """Whether _UNUSUAL finds something in a part whose root element starts at `body`;
    searched for only when a cheaper search finds what each of its matches holds: "<!" or
    "<?" in the body, a declaration that is not one, a prefix, a tab or a line break."""
    if (breaks or _follows(data, b"!", b"<", body) or _follows(data, b"?", b"<", body)
            or _PLAIN_HEAD.fullmatch(data, 0, body) is None
            or _PREFIXED.search(data) is not None):
        return _UNUSUAL.search(data) is not None
    return False


def _follows(data: bytes, mark: bytes, before: bytes, start: int = 0) -> bool:
    """Whether `before` + `mark` occurs from `start`, found through the rare byte `mark`
    (a search for one byte is several times faster than for two)."""
    i = data.find(mark, start)
    for _ in range(16):
        if i < 0:
            return False
        if data.endswith(before, 0, i):
            return True
        i = data.find(mark, i + 1)
    return data.find(before + mark, start) >= 0  # not so rare here


#: a cell type written otherwise than ` t="value"`, the spelling the counts below look for:
#: spaces around "=", single quotes, a character reference first, a tab or break before t
_ODD_TYPE = re.compile(rb"\st(?:\s+=|=\s|='|=\"&)|[\t\r\n]t=")
#: on one line: an odd type (the group) or an error type (no group)
_TYPE_MARKS = re.compile(rb" t(?:( |= |='|=\"&)|=\"e\")")
_SINGLE_QUOTED = re.compile(rb"=\s*'")


def _single_quoted(data: bytes) -> bool:
    """True when an attribute may be single-quoted (a ' t="s"' could sit inside its value):
    "=", white space and "'", looked for from the few "'" of a part."""
    i = data.find(b"'")
    for _ in range(16):
        if i < 0:
            return False
        j = i
        while j and data[j - 1] in b" \t\n\r\f\v":
            j -= 1
        if j and data[j - 1] == ord("="):
            return True
        i = data.find(b"'", i + 1)
    return _SINGLE_QUOTED.search(data) is not None


def _text(raw: bytes) -> str:
    """Element text as a parser gives it: line ends normalized, references resolved."""
    s = raw.decode("utf-8")
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    return html.unescape(s) if "&" in s else s


_WS_TO_SPACE = str.maketrans("\t\n\r", "   ")
_ATTR = re.compile(rb"([A-Za-z_][\w.:-]*)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def _attributes(tag: bytes) -> dict[str, str]:
    """Attributes of a start tag as a parser gives them (whitespace characters as spaces)."""
    out = {}
    for m in _ATTR.finditer(tag):
        raw = m.group(2) if m.group(2) is not None else m.group(3)
        s = raw.decode("utf-8").replace("\r\n", " ").translate(_WS_TO_SPACE)
        out[m.group(1).decode("ascii", "replace")] = html.unescape(s) if "&" in s else s
    return out


# --- shared-string references (inspect_file) ----------------------------------------------------

_SI = re.compile(rb"<si[\s>/]")
#: (a possessive repeat where giving back a character can never make the rest match: the
#: searches below would try that at every cell)
_STRING_INDEX = re.compile(rb"<c [^>]* t=\"s\"[^>]*+(?<!/)><v>(\d++)</v>")
#: the same where t is the cell's last attribute, as spreadsheet programs write it (no search
#: back through the attributes for it)
_STRING_INDEX_LAST = re.compile(rb"<c [^>]*+(?<= t=\"s\")><v>(\d++)</v>")


def string_stats(data: bytes, shaped: Shape | None = None) -> tuple[int, int] | None:
    """(shared strings defined, largest shared-string index used by a cell) of a well-formed
    part; -1 when no cell uses one. None: a part of another shape, or a string cell that is
    not plain (e.g. an empty or non-numeric index): the element path decides. shaped: the
    part's shape(), when the caller has it."""
    found = shaped or shape(data)
    if found is None:
        return None
    if found.namespace != MAIN_NS:
        return 0, -1  # its unprefixed elements are no spreadsheet cells or strings
    strings = len(_SI.findall(data)) if b"<si" in data else 0
    if b"<c " not in data and b"<c>" not in data and b"<c/" not in data:
        return strings, -1  # no cell at all (in this shape no tab or break follows "<c")
    if found.odd_types:
        return None
    n = data.count(b' t="s"')
    if not n:
        return strings, -1
    indexes = _STRING_INDEX_LAST.findall(data)
    if len(indexes) != n:
        indexes = _STRING_INDEX.findall(data)
    if len(indexes) != n or _single_quoted(data):
        return None  # a string cell the search missed, or ' t="s"' inside another value
    return strings, max(map(int, indexes))


# --- formulas, error values, merged ranges, hidden rows (scan_sheets) -----------------------------

#: (ref, formula text without "=" or None, cached value text or None, cell type "n"/"s"/...)
FoundCell = tuple[str, str | None, str | None, str]

#: a formula cell as Excel, LibreOffice and xlsxwriter write it (r first, no error value)
_FORMULA_CELL = re.compile(
    rb"<c r=\"([^\"]*+)\"([^>]*+)><f(?: [^>]*?)?(/>|>([^<]*+)</f>)(?:<v>([^<]*+)</v>|<v/>)?</c>"
)
_FORMULA = re.compile(rb"<f[\s>/]")
_ERROR_CELL = re.compile(rb"<c [^>]* t=\"e\"")
_KIND = re.compile(rb"\st=\"([^\"]*)\"")
#: a start tag read attribute by attribute, so that a ">" inside a value does not end it
_ATTRIBUTES_TO_END = rb"((?:\s+[\w.:-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*/?>"
_ROW = re.compile(rb"<row" + _ATTRIBUTES_TO_END)
_MERGE = re.compile(rb"<mergeCell" + _ATTRIBUTES_TO_END)
_PLAIN_MERGE = re.compile(rb"<mergeCell ref=\"([^\"&]*)\"/>")
#: every start tag, however written, of a part on one line
_ROW_START = re.compile(rb"<row[ >/]")
_MERGE_START = re.compile(rb"<mergeCell[ >/]")


def sheet_cells(data: bytes, shaped: Shape | None = None
                ) -> tuple[list[FoundCell], list[str], set[int]] | None:
    """Cells holding a formula or an error value, merged ranges and hidden rows of a
    well-formed sheet part, in document order; None when the part is not plain. shaped: the
    part's shape(), when the caller has it."""
    # like the element path, cells are known by their local name, whatever the namespace
    found = shaped or shape(data)
    if found is None or found.breaks or found.odd_types:
        return None  # a tab or break inside the part, or an odd cell type: not plain
    cells = None if found.error_types else _plain_formula_cells(data)
    if cells is None:
        cells = _formula_and_error_cells(data)
        if cells is None:
            return None
    hidden = set()
    if b"hidden" in data:
        rows = _ROW.findall(data)
        if len(rows) != len(_ROW_START.findall(data)):
            return None
        for attrs in rows:
            if b"hidden" in attrs:
                values = _attributes(attrs)
                r = values.get("r", "")
                if values.get("hidden") in ("1", "true") and r.isdigit():
                    hidden.add(int(r))
    merged: list[str] = []
    at = data.find(b"<mergeCell")  # the searches below start there
    count = len(_MERGE_START.findall(data, at)) if at >= 0 else 0
    if count:
        merged = [r.decode("utf-8") for r in _PLAIN_MERGE.findall(data, at)]
        if len(merged) != count:
            tags = _MERGE.findall(data, at)
            if len(tags) != count:
                return None
            merged = [_attributes(attrs).get("ref", "") for attrs in tags]
    return cells, merged, hidden


#: FoundCell of a formula cell's bytes as _FORMULA_CELL finds them: the cards of a form repeat
#: their total formulas, and most cached totals are alike (bounded: short ones only, cleared
#: when full)
_FOUND = Memo(4096)


def _plain_formula_cells(data: bytes) -> list[FoundCell] | None:
    """The common case: every formula in a plain cell, found by one search from the first
    formula's cell on (error values are the caller's)."""
    at = data.find(b"<f")  # "<f" followed by a letter is another element (<formula1>)
    while at >= 0 and _FORMULA.match(data, at) is None:
        at = data.find(b"<f", at + 2)
    if at < 0:
        return []
    first = data.rfind(b"<c ", 0, at)
    if first < 0:
        return None
    found = _FORMULA_CELL.findall(data, first)
    # each cell found holds one formula: as many as there are formulas means all of them
    if len(found) != len(_FORMULA.findall(data, first)):
        return None
    cells = []
    for raw in found:
        cell = _FOUND.get(raw)
        if cell is None:
            cell = _formula_cell(*raw)
            if cell is None:
                return None
            if sum(map(len, raw)) <= 256:  # long texts are not kept
                _FOUND.keep(raw, cell)
        cells.append(cell)
    return cells


def _formula_cell(ref: bytes, attrs: bytes, closing: bytes, f_raw: bytes, v_raw: bytes
                  ) -> FoundCell | None:
    """A formula cell from the groups of _FORMULA_CELL; None for one of another shape."""
    kind = "n"
    if b"t" in attrs:  # s="12" has none; t="str" (a text result) does
        if b"'" in attrs:
            return None
        t = _KIND.search(attrs)
        kind = (_text(t.group(1)) if t else "") or "n"
    if b"&" in ref:
        return None
    formula = "" if closing == b"/>" else _text(f_raw)
    return ref.decode("utf-8"), formula, _text(v_raw) if v_raw else None, kind


def _cell_start(data: bytes, pos: int) -> int:
    """Start of the <c ...> element that contains position `pos`, or -1."""
    i = data.rfind(b"<c", 0, pos)
    while i >= 0 and data[i + 2:i + 3] not in (b" ", b">", b"/"):
        i = data.rfind(b"<c", 0, i)
    return i


_F_START = re.compile(rb"<f(?:\s[^>]*)?>")
_V_START = re.compile(rb"<v(?:\s[^>]*)?>")


def _element_text(body: bytes, start: re.Pattern[bytes], end: bytes) -> tuple[str | None, int]:
    """(text or None when empty, position) of a cell's one child element; position -1: none,
    -2: more than one or unclosed."""
    m = start.search(body)
    if m is None:
        return None, -1
    if m.group(0).endswith(b"/>"):
        after, text = m.end(), None
    else:
        close = body.find(end, m.end())
        if close < 0:
            return None, -2
        after, raw = close + len(end), body[m.end():close]
        text = _text(raw) if raw else None
    if start.search(body, after):
        return None, -2
    return text, m.start()


def _formula_and_error_cells(data: bytes) -> list[FoundCell] | None:
    """Cell by cell: every cell holding a formula or typed as an error value."""
    starts = {_cell_start(data, m.start()) for m in _FORMULA.finditer(data)}
    n = data.count(b't="e"')  # sheet_cells has made sure that no type is written otherwise
    if n:
        errors = [m.start() for m in _ERROR_CELL.finditer(data)]
        if data.count(b' t="e"') != n or len(errors) != n:
            return None
        starts.update(errors)
    if -1 in starts:
        return None  # a formula outside any cell: not a shape these searches know
    cells: list[FoundCell] = []
    for start in sorted(starts):
        open_end = data.find(b">", start)
        tag = data[start:open_end + 1]
        if tag.count(b'"') % 2 or b"'" in tag:
            return None  # a ">" inside an attribute value, or quotes this path does not read
        attrs = _attributes(tag)
        if tag.endswith(b"/>"):
            body = b""
        else:
            close = data.find(b"</c>", open_end)
            if close < 0:
                return None
            body = data[open_end + 1:close]
        formula, at_f = _element_text(body, _F_START, b"</f>")
        value, at_v = _element_text(body, _V_START, b"</v>")
        if at_f == -2 or at_v == -2:
            return None  # two formulas or values in one cell: leave it to the element path
        if at_f >= 0 and formula is None:
            formula = ""  # <f/>: a follower of a shared formula
        cells.append((attrs.get("r", ""), None if at_f < 0 else formula, value,
                      attrs.get("t") or "n"))
    return cells
