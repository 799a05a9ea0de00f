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


def shape(data: bytes) -> tuple[bytes, bool] | None:
    """(namespace of the part's unprefixed elements, b"" for none; whether a tab or a line
    break occurs from the root element on) when byte searches read the well-formed part as a
    parser would; None for a part of any other shape."""
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
    # spreadsheet programs write a part on one line, with a break after the declaration at most
    breaks = any(data.find(b, root.start(1)) >= 0 for b in _BREAKS)
    if _unusual(data, breaks):
        return None
    declared = _DEFAULT_NS.findall(data)
    if not declared:
        return b"", breaks
    in_root = _DEFAULT_NS.findall(root.group(0))
    if len(declared) > 1 or not in_root:
        return None  # a default namespace that changes inside the part
    return in_root[0], breaks


def _unusual(data: bytes, breaks: bool) -> bool:
    """Whether _UNUSUAL finds something; searched for only when a cheaper search finds what
    each of its matches holds: "<!", a "<?" besides the declaration, a prefix, a break."""
    pi = data.find(b"<?")
    if (breaks or b"<!" in data or _PREFIXED.search(data) is not None
            or (pi >= 0 and (data[pi:pi + 6] != b"<?xml " or data.find(b"<?", pi + 2) >= 0))):
        return _UNUSUAL.search(data) is not None
    return False


#: a cell type written otherwise than ` t="value"`, the spelling the counts below look for:
#: spaces around "=", single quotes, a character reference first, a tab or break before t
_ODD_TYPE = re.compile(rb"\st(?:\s+=|=\s|='|=\"&)|[\t\r\n]t=")
_ODD_TYPE_ON_ONE_LINE = re.compile(rb" t(?: |= |='|=\"&)")
_SINGLE_QUOTED = re.compile(rb"=\s*'")


def _odd_types(data: bytes, breaks: bool) -> bool:
    """True when a cell's type may be written in a way the byte counts would miss."""
    return (_ODD_TYPE if breaks else _ODD_TYPE_ON_ONE_LINE).search(data) is not None


def _single_quoted(data: bytes) -> bool:
    """True when an attribute may be single-quoted (a ' t="s"' could sit inside its value)."""
    return b"'" in data and _SINGLE_QUOTED.search(data) is not None


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
_STRING_INDEX = re.compile(rb"<c [^>]* t=\"s\"[^>]*(?<!/)><v>(\d+)</v>")


def string_stats(data: bytes) -> tuple[int, int] | None:
    """(shared strings defined, largest shared-string index used by a cell) of a well-formed
    part; -1 when no cell uses one. None: a part of another shape, or a string cell that is
    not plain (e.g. an empty or non-numeric index): the element path decides."""
    found = shape(data)
    if found is None:
        return None
    namespace, breaks = found
    if namespace != MAIN_NS:
        return 0, -1  # its unprefixed elements are no spreadsheet cells or strings
    strings = len(_SI.findall(data))
    if b"<c " not in data and b"<c>" not in data and b"<c/" not in data:
        return strings, -1  # no cell at all (in this shape no tab or break follows "<c")
    if _odd_types(data, breaks):
        return None
    n = data.count(b' t="s"')
    if not n:
        return strings, -1
    indexes = _STRING_INDEX.findall(data)
    if len(indexes) != n or _single_quoted(data):
        return None  # a string cell the search missed, or ' t="s"' inside another value
    return strings, max(int(i) for i in indexes)


# --- formulas, error values, merged ranges, hidden rows (scan_sheets) -----------------------------

#: (ref, formula text without "=" or None, cached value text or None, cell type "n"/"s"/...)
FoundCell = tuple[str, str | None, str | None, str]

#: a formula cell as Excel, LibreOffice and xlsxwriter write it (r first, no error value)
_FORMULA_CELL = re.compile(
    rb"<c r=\"([^\"]*)\"([^>]*)><f(?: [^>]*?)?(/>|>([^<]*)</f>)(?:<v>([^<]*)</v>|<v/>)?</c>"
)
_FORMULA = re.compile(rb"<f[\s>/]")
_ERROR_CELL = re.compile(rb"<c [^>]* t=\"e\"")
_KIND = re.compile(rb"\st=\"([^\"]*)\"")
#: a start tag read attribute by attribute, so that a ">" inside a value does not end it
_ATTRIBUTES_TO_END = rb"((?:\s+[\w.:-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*/?>"
_ROW = re.compile(rb"<row" + _ATTRIBUTES_TO_END)
_MERGE = re.compile(rb"<mergeCell" + _ATTRIBUTES_TO_END)
_PLAIN_MERGE = re.compile(rb"<mergeCell ref=\"([^\"&]*)\"/>")


def _start_tags(data: bytes, name: bytes) -> int:
    """How many elements `name` a part on one line holds."""
    return sum(data.count(b"<" + name + end) for end in (b" ", b">", b"/"))


def sheet_cells(data: bytes) -> tuple[list[FoundCell], list[str], set[int]] | None:
    """Cells holding a formula or an error value, merged ranges and hidden rows of a
    well-formed sheet part, in document order; None when the part is not plain."""
    # like the element path, cells are known by their local name, whatever the namespace
    found = shape(data)
    if found is None or found[1] or _odd_types(data, False):
        return None  # a tab or break inside the part, or an odd cell type: not plain
    cells = _plain_formula_cells(data)
    if cells is None:
        cells = _formula_and_error_cells(data)
        if cells is None:
            return None
    hidden = set()
    if b"hidden" in data:
        rows = _ROW.findall(data)
        if len(rows) != _start_tags(data, b"row"):
            return None
        for attrs in rows:
            if b"hidden" in attrs:
                values = _attributes(attrs)
                r = values.get("r", "")
                if values.get("hidden") in ("1", "true") and r.isdigit():
                    hidden.add(int(r))
    merged: list[str] = []
    if b"<mergeCell" in data:
        count = _start_tags(data, b"mergeCell")
        merged = [r.decode("utf-8") for r in _PLAIN_MERGE.findall(data)]
        if len(merged) != count:
            tags = _MERGE.findall(data)
            if len(tags) != count:
                return None
            merged = [_attributes(attrs).get("ref", "") for attrs in tags]
    return cells, merged, hidden


def _plain_formula_cells(data: bytes) -> list[FoundCell] | None:
    """The common case, found from each formula back to its cell: no error values, every
    formula in a plain cell."""
    if b't="e"' in data:
        return None
    cells = []
    for f in _FORMULA.finditer(data):
        start = data.rfind(b"<c ", 0, f.start())
        m = _FORMULA_CELL.match(data, start) if start >= 0 else None
        if m is None or m.end(2) + 1 != f.start():
            return None  # a formula outside a plain cell
        ref, attrs, closing, f_raw, v_raw = m.groups()
        kind = "n"
        if b"t" in attrs:  # s="12" has none; t="str" (a text result) does
            if b"'" in attrs:
                return None
            t = _KIND.search(attrs)
            kind = (_text(t.group(1)) if t else "") or "n"
        if b"&" in ref:
            return None
        formula = "" if closing == b"/>" else _text(f_raw)
        cells.append((ref.decode("utf-8"), formula, _text(v_raw) if v_raw else None, kind))
    return cells


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
