"""Safe opening of returned workbooks: every check that runs before a parser touches a file.

A returned form comes by e-mail from a department and may be empty, truncated, a renamed
PDF, a password-protected or legacy Excel file, a zip bomb or an XML bomb. `inspect_file`
looks at the bytes and the zip central directory (never extracting to disk), reads every
entry within fixed limits so that a corrupt entry is found here and not deep in a parser,
and answers with findings (stable codes from schemas/issues.toml, section [safety]) instead
of exceptions. What the value reader cannot see inside the sheets is kbbxl.cellscan's.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zipfile
import zlib
from _elementtree import XMLParser as _CParser  # CPython's own; defusedxml patches the public one
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeET

from kbbxl import fastxml, zipentry
from kbbxl.raw import Finding
from kbbxl.report import ERROR, display_value, issue_type
from kbbxl.resources import load_toml

#: the codes of the [safety] section of schemas/issues.toml
_SAFETY: frozenset[str] = frozenset(load_toml("schemas", "issues.toml")["safety"])

# ---------------------------------------------------------------------------- limits


@dataclass(frozen=True)
class Limits:
    """What a department form may be at most. A real form is well under 1 MB."""

    max_file_bytes: int = 25 * 1024 * 1024
    max_entries: int = 2_000
    max_uncompressed_bytes: int = 250 * 1024 * 1024
    # A large entry that inflates more than this is a bomb; sheets of a real form
    # inflate 5-30 times, runs of identical empty rows up to ~100.
    max_ratio: float = 250.0
    ratio_applies_above: int = 1024 * 1024
    # Cells from A1 to the farthest cell holding a value: readers allocate this box whole, so
    # one value typed at XFD1048576 asks for ~500 GB. A form sheet spans a few thousand.
    max_sheet_cells: int = 1_000_000


DEFAULT_LIMITS = Limits()

# ---------------------------------------------------------------------------- catalogue


def finding(
    code: str, sheet: str = "", cell: str = "", value: Any = None, **fields: Any
) -> Finding:
    """A Finding with the catalogue's Turkish message for `code`, filled with `fields`."""
    shown = {k: v if isinstance(v, str) else display_value(v) for k, v in fields.items()}
    message = issue_type(code).message.format(
        sheet=sheet, cell=cell, value=display_value(value), **shown
    )
    return Finding(code=code, sheet=sheet, cell=cell, message=message, value=value)


def blocking(findings: Iterable[Finding]) -> bool:
    """True when a finding means the file must not be parsed (an error of [safety])."""
    return any(f.code in _SAFETY and issue_type(f.code).severity == ERROR for f in findings)


def _size(n: int) -> str:
    """A byte count for a clerk: "3,2 MB"."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}".replace(".", ",")
    return f"{n} bayt"


# ---------------------------------------------------------------------------- defusedxml


def activate_defusedxml() -> None:
    """Route every stdlib XML parse (also openpyxl's) through defusedxml. Idempotent.

    openpyxl decides at import time (openpyxl.DEFUSEDXML) and uses defusedxml whenever it
    is installed; defuse_stdlib() covers any other stdlib parser in the process.
    """
    if getattr(activate_defusedxml, "done", False):
        return
    with warnings.catch_warnings():
        # defuse_stdlib imports the deprecated defusedxml.cElementTree shim.
        warnings.simplefilter("ignore", DeprecationWarning)
        defusedxml.defuse_stdlib()
    activate_defusedxml.done = True  # type: ignore[attr-defined]


def openpyxl_is_defused() -> bool:
    """True when openpyxl parses through defusedxml."""
    import openpyxl

    return bool(getattr(openpyxl, "DEFUSEDXML", False))


# ---------------------------------------------------------------------------- inspection

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

_SPREADSHEET_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": False,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": False,
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": True,
    "application/vnd.ms-excel.template.macroEnabled.main+xml": True,
}
_OTHER_TYPES = {
    "wordprocessingml": "Word belgesi (.docx)",
    "presentationml": "PowerPoint sunusu (.pptx)",
    "sheet.binary": "Excel ikili çalışma kitabı (.xlsb)",
}
_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
)


@dataclass
class Inspection:
    """What inspect_file found: findings, and whether the file may be handed to a parser."""

    path: Path
    findings: list[Finding] = field(default_factory=list)
    workbook_part: str = ""  # e.g. "xl/workbook.xml" when the file is a spreadsheet
    macros: bool = False
    #: sheet name -> zip part of its XML, when the file is a spreadsheet
    sheets: dict[str, str] = field(default_factory=dict)
    #: the sheet parts as read and checked here, so that kbbxl.cellscan does not decompress
    #: them again (up to _KEEP_BYTES in all; a part not kept is read from the file), and the
    #: fastxml.shape of those in the shape its byte searches read
    parts: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    shapes: dict[str, fastxml.Shape] = field(default_factory=dict, repr=False, compare=False)

    @property
    def readable(self) -> bool:
        return not blocking(self.findings)


def inspect_file(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Inspection:
    """Check a returned file before parsing it; every problem becomes a Finding, never a raise."""
    activate_defusedxml()
    path = Path(path)
    result = Inspection(path)
    add = result.findings.append
    try:
        size = path.stat().st_size
        if size == 0:
            add(finding("file-empty"))
            return result
        if size > limits.max_file_bytes:
            add(finding("file-too-large", size=_size(size), limit=_size(limits.max_file_bytes)))
            return result
        with path.open("rb") as fh:
            head = fh.read(8)
        if head.startswith(_CFB_MAGIC):
            add(_inspect_cfb(path))
            return result
        if not head.startswith(_ZIP_MAGICS):
            add(finding("not-zip", what=_describe(head, path)))
            return result
        _inspect_zip(path, limits, result)
    except OSError as exc:
        add(finding("file-unreadable", reason=exc.strerror or type(exc).__name__))
    except Exception as exc:  # a damage no check above foresaw is still damage, not a crash
        result.findings[:] = [finding("entry-corrupt", entry="?", reason=type(exc).__name__)]
    return result


def _describe(head: bytes, path: Path) -> str:
    """A clerk's name for what a non-zip file probably is."""
    if head.startswith(b"%PDF"):
        return "bir PDF belgesi"
    if head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"<"):
        return "bir HTML/XML metni (web sayfası ya da 'XML Elektronik Tablo' olarak kaydedilmiş)"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "bir resim"
    try:
        with path.open("rb") as fh:
            fh.read(4096).decode("utf-8")
        return "düz metin (CSV olabilir)"
    except UnicodeDecodeError:
        return "tanınmayan bir biçim"


def _inspect_zip(path: Path, limits: Limits, result: Inspection) -> None:
    add = result.findings.append
    try:
        raw = path.read_bytes()  # within max_file_bytes; entries are read from these bytes
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error,
            NotImplementedError, UnicodeDecodeError, OSError):
        add(finding("zip-truncated"))
        return
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            add(finding("too-many-entries", count=len(infos), limit=limits.max_entries))
            return
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            duplicate = next(n for n in names if names.count(n) > 1)
            add(finding("entry-corrupt", entry=duplicate, reason="aynı adla iki kez var"))
            return
        total = sum(i.file_size for i in infos)
        if total > limits.max_uncompressed_bytes:
            add(finding("zip-bomb", size=_size(total), limit=_size(limits.max_uncompressed_bytes)))
            return
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > limits.ratio_applies_above and ratio > limits.max_ratio:
                add(finding("zip-bomb", size=_size(info.file_size), limit=f"{ratio:.0f} kat"))
                return
            if info.flag_bits & 0x1:
                add(finding("encrypted"))
                return
        if "mimetype" in names and "content.xml" in names:
            add(finding("opendocument"))
            return
        if "[Content_Types].xml" not in names:
            add(finding("not-workbook", what="Office içerik tanımı ([Content_Types].xml) yok"))
            return
        # Read every entry once, within the declared sizes: CRC errors, broken deflate data
        # and XML that is malformed or declares a DTD (entity bombs) all surface here.
        stats = _Stats()
        kept: dict[str, bytes] = {}
        for info in infos:
            problem = _read_entry(zf, raw, info, stats, kept)
            if problem:
                add(finding(problem[0], entry=info.filename, reason=problem[1]))
                return
        if stats.max_string_index >= stats.strings:
            add(finding("entry-corrupt", entry=stats.string_part or "xl/sharedStrings.xml",
                        reason="hücrelerin andığı metinler eksik"))
            return
        _check_workbook_part(zf, set(names), result, limits, kept, stats.shapes)


@dataclass
class _Stats:
    """Shared-string references seen while reading: cells must not point past the table."""

    strings: int = 0
    string_part: str = ""
    max_string_index: int = -1
    kept_bytes: int = 0
    shapes: dict[str, fastxml.Shape] = field(default_factory=dict)  # of the parts read


#: how much of the parts read inspect_file keeps for the sheet scan (a real form: ~1-2 MB)
_KEEP_BYTES = 64 * 1024 * 1024


def _read_entry(
    zf: zipfile.ZipFile, raw: bytes, info: zipfile.ZipInfo, stats: _Stats,
    kept: dict[str, bytes],
) -> tuple[str, str] | None:
    """(code, reason) when the entry of zip `zf` (whose file is `raw`) cannot be read cleanly,
    else None. An XML part read cleanly goes to `kept` while they hold less than _KEEP_BYTES."""
    if not info.filename:
        return ("entry-corrupt", "adı olmayan bölüm")
    if info.filename.endswith("/"):  # a folder entry
        return None
    is_xml = info.filename.endswith((".xml", ".rels", ".vml"))
    try:
        if is_xml:
            # within the limits checked above; the CRC is checked here
            data = zipentry.read_entry(raw, info)
            if data is None:
                data = zf.read(info)
            problem = _read_xml_fast(data, info, stats)
            if problem == _SLOW:
                problem = _read_xml_slow(data, info, stats)
            if problem is None and stats.kept_bytes + len(data) <= _KEEP_BYTES:
                kept[info.filename] = data
                stats.kept_bytes += len(data)
            return problem
        with zf.open(info) as stream:
            while stream.read(1 << 16):
                pass
    except (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden,
            defusedxml.ExternalReferenceForbidden, defusedxml.NotSupportedError):
        return ("unsafe-xml", "DTD/varlık tanımı")
    except SafeET.ParseError as exc:
        return ("entry-corrupt", f"bozuk XML: {exc}")
    except zipentry.LongerThanDeclared:
        return ("entry-corrupt", "bildirilen boyutundan uzun")
    except (zipfile.BadZipFile, zlib.error, EOFError, struct.error, ValueError, OSError) as exc:
        reason = "sağlama (CRC) hatası" if "CRC" in str(exc) else "veri okunamadı"
        return ("entry-corrupt", reason)
    except NotImplementedError:
        return ("entry-corrupt", "desteklenmeyen sıkıştırma yöntemi")
    except RuntimeError:  # zipfile: "File ... is encrypted, password required"
        return ("encrypted", "")
    return None


def _read_xml_slow(data: bytes, info: zipfile.ZipInfo, stats: _Stats) -> tuple[str, str] | None:
    """_read_entry's answer for an XML part of any shape, element by element (may raise)."""
    for _event, elem in SafeET.iterparse(io.BytesIO(data), events=("end",), forbid_dtd=True):
        tag = elem.tag
        if tag == _SST_ITEM:
            stats.strings += 1
            stats.string_part = info.filename
        elif tag == _CELL and elem.get("t") == "s":
            v = elem.find(_VALUE)
            # as written: calamine reads " 3 " or a non-ASCII digit as string 0, silently
            text = (v.text or "") if v is not None else ""
            if _INDEX_DIGITS.fullmatch(text):
                stats.max_string_index = max(stats.max_string_index, int(text))
            elif text:
                return ("entry-corrupt", f"geçersiz metin hücresi {elem.get('r')}")
        if tag not in _KEEP:  # a cell's value is read when the cell ends
            elem.clear()
    return None


_INDEX_DIGITS = re.compile("[0-9]+")  # a shared-string index calamine reads as written

_SLOW = ("", "")  # the fast path cannot tell: read the part element by element


def _read_xml_fast(data: bytes, info: zipfile.ZipInfo, stats: _Stats) -> tuple[str, str] | None:
    """_read_entry's answer for an XML part from expat in C and byte searches (kbbxl.fastxml),
    or _SLOW for a part of another shape. The element path costs ~90 % of reading a form."""
    error = fastxml.parse_error(data)
    if error == "doctype":
        return ("unsafe-xml", "DTD/varlık tanımı")
    if error is not None:
        return ("entry-corrupt", f"bozuk XML: {error}")
    shaped = fastxml.shape(data)
    if shaped is None:
        return _SLOW
    stats.shapes[info.filename] = shaped
    found = fastxml.string_stats(data, shaped)
    if found is None:
        return _SLOW
    strings, max_index = found
    if strings:
        stats.strings += strings
        stats.string_part = info.filename
    stats.max_string_index = max(stats.max_string_index, max_index)
    return None


_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_SST_ITEM, _CELL, _VALUE = _MAIN_NS + "si", _MAIN_NS + "c", _MAIN_NS + "v"
_KEEP = frozenset(_MAIN_NS + t for t in ("v", "f", "t", "is", "r"))


def _xml(read: Callable[[str], bytes], name: str) -> Any:
    return SafeET.fromstring(read(name), forbid_dtd=True)


def _checked_xml(data: bytes) -> Any:
    """The root element of a part that fastxml.parse_error found well-formed and without a
    DTD, parsed by CPython's C parser (defusedxml's calls back into Python for every element;
    what it guards against is already refused)."""
    parser = _CParser()
    parser.feed(data)
    return parser.close()


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _check_workbook_part(
    zf: zipfile.ZipFile, names: set[str], result: Inspection, limits: Limits,
    kept: dict[str, bytes], shapes: dict[str, fastxml.Shape],
) -> None:
    """Find the main part through _rels/.rels and tell a spreadsheet from other documents."""
    add = result.findings.append

    def read(name: str) -> bytes:  # the parts _read_entry kept, or the zip's
        return kept[name] if name in kept else zf.read(name)

    roots: dict[str, Any] = {}

    def xml(name: str) -> Any:  # a part's root element, parsed once
        if name not in roots:
            roots[name] = _checked_xml(kept[name]) if name in kept else _xml(zf.read, name)
        return roots[name]

    target = ""
    if "_rels/.rels" in names:
        for rel in xml("_rels/.rels"):
            if rel.get("Type") in _OFFICE_DOCUMENT:
                target = str(PurePosixPath("/" + (rel.get("Target") or "").lstrip("/")))[1:]
                break
    if not target or target not in names:
        add(finding("not-workbook", what="çalışma kitabı bölümü (workbook) bulunamadı"))
        return
    types = {
        (el.get("PartName") or "").lstrip("/"): el.get("ContentType") or ""
        for el in xml("[Content_Types].xml") if local_name(el.tag) == "Override"
    }
    content_type = types.get(target, "")
    if content_type not in _SPREADSHEET_TYPES:
        what = next((v for k, v in _OTHER_TYPES.items() if k in content_type), None)
        add(finding("not-workbook", what=what or "bir Excel çalışma kitabı değil"))
        return
    try:
        parts = _sheet_parts(xml)
    except (KeyError, SafeET.ParseError):
        add(finding("not-workbook", what="çalışma kitabının sayfa listesi okunamadı"))
        return
    missing = sorted(p for p in parts.values() if p not in names)
    if missing:
        add(finding("entry-corrupt", entry=missing[0], reason="bölüm dosyada yok"))
        return
    small = _SMALL_BOX_CELLS <= limits.max_sheet_cells
    for sheet, part in parts.items():
        data, shaped = read(part), shapes.get(part)
        if small and in_small_box(data, shaped):
            continue  # within the limit without counting
        rows, cols, far = sheet_extent(data, shaped)
        if rows * cols > limits.max_sheet_cells:
            add(finding("sheet-too-large", sheet, far, far))
            return
    result.workbook_part = target
    result.sheets = parts
    result.parts = {part: kept[part] for part in parts.values() if part in kept}
    result.shapes = {part: shapes[part] for part in result.parts if part in shapes}
    result.macros = (
        _SPREADSHEET_TYPES[content_type]
        or any(n.lower().endswith("vbaproject.bin") for n in names)
        or result.path.suffix.lower() in (".xlsm", ".xltm")
    )
    if result.macros:
        add(finding("macro-workbook"))


#: a cell with content as spreadsheet programs write it: r first, the content right after
#: (possessive: giving back a character before the ">" can never make it match, and the
#: search would try that for every empty cell)
_PLAIN_VALUE_CELL = re.compile(rb"<c r=\"([A-Z]{1,3})(\d{1,7})\"[^>]*+(?<!/)>(?=<(?:v|is|f)[\s>/])")


#: a cell's start tag that does not begin with a reference inside A1:ZZ999 ("<c r=" then one
#: or two letters and one to three digits, as a form's cells are written)
_OUTSIDE_SMALL_BOX = re.compile(rb'<c(?=[\s>/])(?! r="[A-Z]{1,2}[1-9]\d{0,2}")')
_SMALL_BOX_CELLS = 999 * 702  # A1:ZZ999


def in_small_box(data: bytes, shaped: fastxml.Shape | None) -> bool:
    """True when every cell of a well-formed sheet part, with content or not, lies inside
    A1:ZZ999, seen by one search that finds nothing (no match object per cell).

    In a part of fastxml.shape (no comments, CDATA or prefixed elements, hence every "<c"
    followed by a space, ">" or "/" is a cell's start tag) whose every such tag starts with a
    small reference, no cell can lie outside; any other way of writing a cell (no reference,
    another spacing, a lower-case or far reference) leaves the answer to sheet_extent.
    shaped: the part's shape, None when it has none (then the answer is False).
    """
    return shaped is not None and _OUTSIDE_SMALL_BOX.search(data) is None


def _plain_value_cells(data: bytes, shaped: fastxml.Shape | None = None
                       ) -> list[tuple[bytes, bytes]] | None:
    """(column, row) of every cell of a well-formed sheet part that holds a value, formula or
    inline text, from one search; None unless the part is written as spreadsheet programs
    write it (kbbxl.fastxml.shape, on one line) and every cell that has content is found.

    In that shape "<c" starts a cell and "</c>" closes one; each cell found has content and so
    a closing tag of its own: as many cells found as closing tags means every cell with
    content (or even without) was found.
    """
    found = shaped or fastxml.shape(data)
    if found is None or found.breaks or b"</c " in data:
        return None
    cells = _PLAIN_VALUE_CELL.findall(data)
    return cells if len(cells) == data.count(b"</c>") else None


def sheet_extent(data: bytes, shaped: fastxml.Shape | None = None) -> tuple[int, int, str]:
    """(rows, columns, farthest cell) of the box from A1 to the cells of a sheet part that
    hold a value, formula or inline text (what a reader allocates); (0, 0, "") when none.
    shaped: the part's fastxml.shape(), when the caller has it."""
    max_row = max_col = 0
    plain = _plain_value_cells(data, shaped)
    if plain is not None:
        # one search instead of one match object per cell
        if plain:
            cols, rows = zip(*plain, strict=True)
            max_row = max(map(int, rows))
            width = max(map(len, cols))
            widest = max(cols) if width == 1 else max(c for c in cols if len(c) == width)
            max_col = col_number(widest.decode("ascii"))
    else:  # cells without addresses or prefixed elements: count positions like a reader
        row = col = 0
        for event, el in SafeET.iterparse(io.BytesIO(data), ("start", "end"), forbid_dtd=True):
            tag = local_name(el.tag)
            if event == "start" and tag == "row":
                r = el.get("r") or ""
                row, col = (int(r) if r.isdigit() else row + 1), 0
            elif event == "end" and tag == "c":
                m = CELL_REF.match((el.get("r") or "").upper())
                row, col = (int(m[2]), col_number(m[1])) if m else (max(row, 1), col + 1)
                if any(local_name(ch.tag) in ("v", "is", "f") for ch in el):
                    max_row, max_col = max(max_row, row), max(max_col, col)
                el.clear()
    far = f"{col_name(max_col - 1)}{max_row}" if max_row and max_col else ""
    return max_row, max_col, far


# ---------------------------------------------------------------------------- CFB (OLE2)

_CFB_END = 0xFFFFFFFA  # sector ids at or above this end a chain


def _inspect_cfb(path: Path) -> Finding:
    """An OLE2 compound file: a password-protected xlsx, a legacy .xls, or something else."""
    try:
        streams = cfb_stream_names(path.read_bytes())
    except (ValueError, struct.error, IndexError):
        return finding("legacy-office-corrupt")
    if {"EncryptionInfo", "EncryptedPackage"} & streams:
        return finding("encrypted")
    if {"Workbook", "Book"} & streams:
        return finding("legacy-xls")
    return finding("not-workbook", what="eski bir Office belgesi (Word ya da başka bir program)")


def cfb_stream_names(data: bytes) -> set[str]:
    """Names of the storages and streams in a compound file (only the directory is read)."""
    if not data.startswith(_CFB_MAGIC) or len(data) < 512:
        raise ValueError("not a compound file")
    sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    if sector_size not in (512, 4096):
        raise ValueError("bad sector size")
    n_fat, first_dir = struct.unpack_from("<II", data, 0x2C)
    first_difat, n_difat = struct.unpack_from("<II", data, 0x44)
    n_sectors = (len(data) - sector_size) // sector_size + 1

    def sector(i: int) -> bytes:
        if i >= n_sectors:
            raise ValueError("sector out of range")
        start = (i + 1) * sector_size
        return data[start:start + sector_size]

    fat_ids = [x for x in struct.unpack_from("<109I", data, 0x4C) if x < _CFB_END]
    per_sector = sector_size // 4
    nxt, seen = first_difat, 0
    while nxt < _CFB_END and seen <= n_difat:  # DIFAT chain, bounded by its declared length
        ids = struct.unpack(f"<{per_sector}I", sector(nxt))
        fat_ids += [x for x in ids[:-1] if x < _CFB_END]
        nxt, seen = ids[-1], seen + 1
    fat: list[int] = []
    for i in fat_ids[: max(n_fat, 1)]:
        fat += struct.unpack(f"<{per_sector}I", sector(i))
    names: set[str] = set()
    nxt, hops = first_dir, 0
    while nxt < _CFB_END:
        if hops > n_sectors:  # a loop in the chain
            raise ValueError("directory chain loops")
        block = sector(nxt)
        for off in range(0, len(block), 128):
            entry = block[off:off + 128]
            length, kind = struct.unpack_from("<HB", entry, 0x40)
            if kind in (1, 2, 5) and 2 <= length <= 64:
                names.add(entry[: length - 2].decode("utf-16-le", "replace"))
        nxt, hops = (fat[nxt] if nxt < len(fat) else _CFB_END + 4), hops + 1
    return names


# ---------------------------------------------------------------------------- cells and parts

CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")

def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def col_name(col: int) -> str:
    name, col = "", col + 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> zip part of its XML, from the workbook and its relationships."""
    return _sheet_parts(lambda name: _xml(zf.read, name))


def _sheet_parts(xml: Callable[[str], Any]) -> dict[str, str]:
    """Sheet name -> zip part, from `xml(name)`: the root element of a part."""
    root_rels = xml("_rels/.rels")
    target = next(
        (r.get("Target") or "" for r in root_rels if r.get("Type") in _OFFICE_DOCUMENT), ""
    ).lstrip("/")
    folder = PurePosixPath(target).parent
    rels_name = f"{folder}/_rels/{PurePosixPath(target).name}.rels"
    targets: dict[str, str] = {}
    for rel in xml(rels_name):
        tgt = rel.get("Target") or ""
        full = tgt.lstrip("/") if tgt.startswith("/") else str(folder / tgt)
        targets[rel.get("Id") or ""] = _normalise(full)
    parts: dict[str, str] = {}
    for el in xml(target).iter():
        if local_name(el.tag) == "sheet":
            rid = next((v for k, v in el.attrib.items() if local_name(k) == "id"), "")
            if rid in targets:
                parts[el.get("name") or ""] = targets[rid]
    return parts


def _normalise(part: str) -> str:
    out: list[str] = []
    for piece in part.split("/"):
        if piece == "..":
            if out:
                out.pop()
        elif piece not in ("", "."):
            out.append(piece)
    return "/".join(out)
