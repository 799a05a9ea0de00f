"""Builds the hostile corpus: broken and hostile workbooks made from a generated form.

Every case starts from a real form written by kbbxl.templates (the smallest department of the
Kocaeli 2021 example, prefilled from the example data) and breaks a copy of it at the zip or
XML level, the way a mail client, an old Excel, a careless clerk or an attacker would. No
binary is committed: the corpus is rebuilt from the generated form on every run.

    python tests/hostile/build_corpus.py OUTDIR      # writes the files, plan.xlsx, expected.json

The tests import `build_corpus(out_dir)`; each Built names its file and the record kbbxl must
answer with (code, and sheet and cell where the problem sits in a cell).
"""

from __future__ import annotations

import json
import random
import sys
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run as a script: make ziptools importable
    sys.path.insert(0, str(HERE))

import ziptools as zt  # noqa: E402
from xlsxwriter.utility import xl_rowcol_to_cell  # noqa: E402

from kbbxl import form, plan, templates, textdata  # noqa: E402
from kbbxl.model import Program  # noqa: E402

EXAMPLE = HERE.parent.parent / "examples" / "kocaeli-2021"


@dataclass(frozen=True)
class Expect:
    """The record kbbxl must give: code, and sheet/cell when it sits in a cell (None: any)."""

    code: str
    sheet: str | None = ""
    cell: str | None = ""


@dataclass(frozen=True)
class Built:
    name: str
    path: Path
    expect: Expect


@dataclass(frozen=True)
class Base:
    """The clean generated form every case is made from, and where things are in it."""

    program: Program
    department: str
    path: Path  # the clean form
    plan: Path  # the plan workbook it was generated from
    sheet: str  # its first card sheet
    layout: form.CardLayout

    def ind(self, index: int, key: str) -> str:
        lay = self.layout
        return xl_rowcol_to_cell(lay.indicator_first + index, lay.indicator_col(key))

    def act(self, index: int, key: str) -> str:
        lay = self.layout
        return xl_rowcol_to_cell(lay.activity_first + index, lay.activity_col(key))

    def input_areas(self) -> list[str]:
        """The input ranges of the first card as the writer placed them."""
        lay = self.layout
        ind_last = lay.indicator_first + lay.indicator_rows - 1
        act_last = lay.activity_first + lay.activity_rows - 1
        amounts = form.amount_columns(self.program)
        return [
            xl_rowcol_to_cell(lay.indicator_first, lay.indicator_col("name")) + ":"
            + xl_rowcol_to_cell(ind_last, lay.indicator_col("goal")),
            xl_rowcol_to_cell(lay.activity_first, lay.activity_col("name")) + ":"
            + xl_rowcol_to_cell(act_last, lay.activity_col(amounts[-1])),
        ]

    def part(self, sheet: str | None = None) -> str:
        return zt.sheet_part(self.path, sheet or self.sheet)

    def data(self) -> bytes:
        return self.path.read_bytes()


def make_base(work: Path, example: Path = EXAMPLE) -> Base:
    """Write the plan and the clean form of the example's smallest department into `work`."""
    program = textdata.read_text_plan(example)
    cards = textdata.read_text_cards(example)
    dept = min(program.departments, key=lambda d: (len(program.targets_of(d.code)), d.code)).code
    fills = templates.fills_from_carddata(cards)
    targets = program.targets_of(dept)
    own = {t.code: fills[t.code] for t in targets if t.code in fills}
    work.mkdir(parents=True, exist_ok=True)
    plan_path = plan.write_plan(program, work / "plan.xlsx")
    path = templates.write_form(
        program, dept, work / "base" / form.form_file_name(program, dept), own
    )
    first = own.get(targets[0].code, templates.CardFill())
    layout = form.card_layout(program, len(first.indicators), len(first.activities))
    return Base(program, dept, path, plan_path, form.sheet_name_for(targets[0].code), layout)


# --- the cases ---------------------------------------------------------------------------------

Builder = Callable[[Base, Path], Expect]
CASES: dict[str, tuple[str, Builder]] = {}


def case(name: str, suffix: str = ".xlsx") -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        CASES[name] = (suffix, fn)
        return fn

    return register


def _cell_case(b: Base, dst: Path, ref: str, cell: tuple[str, str | None],
               sheet: str | None = None) -> None:
    part = b.part(sheet)
    zt.rewrite(b.path, dst, {part: lambda x: zt.put(x, ref, cell)})


# file level: bytes that are not a workbook ---------------------------------------------------


@case("empty")
def _empty(b: Base, dst: Path) -> Expect:
    dst.write_bytes(b"")
    return Expect("file-empty")


@case("truncated-half")
def _truncated_half(b: Base, dst: Path) -> Expect:
    data = b.data()
    dst.write_bytes(data[: len(data) // 2])
    return Expect("zip-truncated")


@case("truncated-tail")
def _truncated_tail(b: Base, dst: Path) -> Expect:
    dst.write_bytes(b.data()[:-30])  # the end-of-directory record is cut
    return Expect("zip-truncated")


@case("truncated-head")
def _truncated_head(b: Base, dst: Path) -> Expect:
    dst.write_bytes(b.data()[:200])
    return Expect("zip-truncated")


@case("random-bytes")
def _random(b: Base, dst: Path) -> Expect:
    dst.write_bytes(random.Random(6).randbytes(5000))
    return Expect("not-zip")


@case("pdf-renamed")
def _pdf(b: Base, dst: Path) -> Expect:
    dst.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n")
    return Expect("not-zip")


@case("html-renamed")
def _html(b: Base, dst: Path) -> Expect:
    dst.write_text("<html><body><table><tr><td>=1+1</td></tr></table></body></html>", "utf-8")
    return Expect("not-zip")


@case("csv-renamed")
def _csv(b: Base, dst: Path) -> Expect:
    dst.write_text("Sıra;Faaliyet;Tutar\n1;Yol yapımı;1.500.000\n", "utf-8")
    return Expect("not-zip")


# file level: a zip, damaged ---------------------------------------------------------------------


@case("crc-mismatch")
def _crc(b: Base, dst: Path) -> Expect:
    dst.write_bytes(zt.patch_entry(b.data(), b.part(), crc=0x12345678))
    return Expect("entry-corrupt")


@case("flipped-bytes")
def _flipped(b: Base, dst: Path) -> Expect:
    data = bytearray(b.data())
    start, end = zt.data_span(bytes(data), b.part())
    for i in range(start + (end - start) // 2, start + (end - start) // 2 + 8):
        data[i] ^= 0xFF
    dst.write_bytes(bytes(data))
    return Expect("entry-corrupt")


@case("deflate64-method")
def _method(b: Base, dst: Path) -> Expect:
    dst.write_bytes(zt.patch_entry(b.data(), b.part(), method=9))
    return Expect("entry-corrupt")


@case("duplicate-entry")
def _duplicate(b: Base, dst: Path) -> Expect:
    items = list(zt.entries(b.path).items())
    part = b.part()
    items.append((part, dict(items)[part].replace(b"<sheetData>", b"<sheetData><!-- x -->")))
    zt.write_zip(dst, items)
    return Expect("entry-corrupt")


@case("malformed-sheet-xml")
def _malformed(b: Base, dst: Path) -> Expect:
    zt.rewrite(b.path, dst, {b.part(): lambda x: x[: len(x) // 2]})
    return Expect("entry-corrupt")


@case("missing-sheet-part")
def _missing_part(b: Base, dst: Path) -> Expect:
    zt.rewrite(b.path, dst, {b.part(): None})
    return Expect("entry-corrupt")


@case("zip-encrypted-flag")
def _zip_encrypted(b: Base, dst: Path) -> Expect:
    dst.write_bytes(zt.patch_entry(b.data(), b.part(), flags_or=0x1))
    return Expect("encrypted")


# file level: bombs ----------------------------------------------------------------------------


@case("bomb-declared-size")
def _bomb_declared(b: Base, dst: Path) -> Expect:
    # The directory claims 4 GB: refused from the directory alone, nothing inflated.
    dst.write_bytes(zt.patch_entry(b.data(), b.part(), size=0xFFFFFFF0))
    return Expect("zip-bomb")


@case("bomb-ratio")
def _bomb_ratio(b: Base, dst: Path) -> Expect:
    zt.rewrite(b.path, dst, add={"xl/media/image1.png": bytes(24 * 1024 * 1024)})
    return Expect("zip-bomb")


@case("too-many-entries")
def _many(b: Base, dst: Path) -> Expect:
    zt.rewrite(b.path, dst, add={f"xl/media/x{i}.bin": b"" for i in range(2100)})
    return Expect("too-many-entries")


@case("billion-laughs")
def _laughs(b: Base, dst: Path) -> Expect:
    ents = "".join(
        f'<!ENTITY l{i} "{"".join(f"&l{i - 1};" for _ in range(10))}">' for i in range(1, 10)
    )
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY l0 "ha">' + ents + ']>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1"><si><t>&l9;</t></si></sst>'
    ).encode()
    zt.rewrite(b.path, dst, {"xl/sharedStrings.xml": bomb})
    return Expect("unsafe-xml")


@case("external-entity")
def _xxe(b: Base, dst: Path) -> Expect:
    def edit(x: bytes) -> bytes:
        head = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        return x.replace(
            head, head + b'<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        ).replace(b"<sheets>", b"<sheets>&x;")

    zt.rewrite(b.path, dst, {"xl/workbook.xml": edit})
    return Expect("unsafe-xml")


@case("cell-bomb")
def _cell_bomb(b: Base, dst: Path) -> Expect:
    # One value at the last cell: a reader would allocate 16.384 x 1.048.576 cells (~500 GB).
    zt.rewrite(b.path, dst, {b.part(): lambda x: zt.put(x, "XFD1048576", zt.number(1))})
    return Expect("sheet-too-large", b.sheet, "XFD1048576")


@case("cell-bomb-without-addresses")
def _cell_bomb_plain(b: Base, dst: Path) -> Expect:
    # Cells may leave out their address; the reader counts them along the row.
    row = '<row r="1048576">' + "<c><v>1</v></c>" * 20 + "</row>"
    zt.rewrite(b.path, dst, {b.part(): lambda x: x.replace(b"</sheetData>",
                                                           row.encode() + b"</sheetData>")})
    return Expect("sheet-too-large", b.sheet, "T1048576")


# file level: not a workbook, or another kind of workbook ---------------------------------------


@case("no-content-types")
def _no_types(b: Base, dst: Path) -> Expect:
    zt.rewrite(b.path, dst, {"[Content_Types].xml": None})
    return Expect("not-workbook")


@case("no-workbook-part")
def _no_workbook(b: Base, dst: Path) -> Expect:
    zt.rewrite(b.path, dst, {"xl/workbook.xml": None})
    return Expect("not-workbook")


@case("docx-renamed")
def _docx(b: Base, dst: Path) -> Expect:
    wml = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    zt.write_zip(dst, {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'content-types"><Override PartName="/word/document.xml" ContentType="{wml}"/>'
            "</Types>"
        ).encode(),
        "_rels/.rels": (
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            b'Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": b'<?xml version="1.0"?><document/>',
    })
    return Expect("not-workbook")


@case("ods-renamed")
def _ods(b: Base, dst: Path) -> Expect:
    zt.write_zip(dst, {
        "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
        "content.xml": b'<?xml version="1.0"?><office:document-content '
        b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
    }, method=zipfile.ZIP_STORED)
    return Expect("opendocument")


@case("cfb-encrypted")
def _cfb_encrypted(b: Base, dst: Path) -> Expect:
    # What Excel writes for "Encrypt with password": an OLE2 file, not a zip.
    dst.write_bytes(zt.cfb({
        "EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00" + bytes(200),
        "EncryptedPackage": random.Random(1).randbytes(8000),
    }))
    return Expect("encrypted")


@case("cfb-xls-as-xlsx")
def _cfb_xls_renamed(b: Base, dst: Path) -> Expect:
    dst.write_bytes(zt.cfb({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + bytes(600)}))
    return Expect("legacy-xls")


@case("cfb-xls", suffix=".xls")
def _cfb_xls(b: Base, dst: Path) -> Expect:
    dst.write_bytes(zt.cfb({"Workbook": b"\x09\x08\x10\x00\x00\x06\x05\x00" + bytes(600)}))
    return Expect("legacy-xls")


@case("cfb-word")
def _cfb_word(b: Base, dst: Path) -> Expect:
    dst.write_bytes(zt.cfb({"WordDocument": bytes(600)}))
    return Expect("not-workbook")


@case("cfb-garbage")
def _cfb_garbage(b: Base, dst: Path) -> Expect:
    dst.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(2).randbytes(3000))
    return Expect("legacy-office-corrupt")


@case("macro-enabled", suffix=".xlsm")
def _xlsm(b: Base, dst: Path) -> Expect:
    plain = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    macro = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    zt.rewrite(
        b.path, dst, {"[Content_Types].xml": lambda x: x.replace(plain, macro)},
        add={"xl/vbaProject.bin": zt.cfb({"VBA": bytes(100)})},
    )
    return Expect("macro-workbook")


# form level: metadata and structure ------------------------------------------------------------


def _meta_value(b: Base, key: str, value: str) -> Callable[[Path], None]:
    row = form.META_KEYS.index(key) + 1
    part = b.part(form.META_SHEET)

    def build(dst: Path) -> None:
        zt.rewrite(b.path, dst, {part: lambda x: zt.put(x, f"B{row}", zt.inline(value))})

    return build


@case("meta-sheet-deleted")
def _meta_deleted(b: Base, dst: Path) -> Expect:
    import re

    def edit(x: bytes) -> bytes:
        name = form.META_SHEET.encode()
        return re.sub(rb'<sheet name="' + re.escape(name) + rb'"[^>]*/>', b"", x)

    zt.rewrite(b.path, dst, {"xl/workbook.xml": edit})
    # the reader reports it (meta-missing); the checks do not repeat it as missing-metadata
    return Expect("meta-missing", None, None)


@case("meta-wrong-year")
def _meta_year(b: Base, dst: Path) -> Expect:
    _meta_value(b, "year", str(b.program.year - 2))(dst)
    return Expect("wrong-year", None, None)


@case("meta-wrong-version")
def _meta_version(b: Base, dst: Path) -> Expect:
    _meta_value(b, "format_version", "0")(dst)
    return Expect("wrong-version", None, None)


@case("meta-unknown-department")
def _meta_department(b: Base, dst: Path) -> Expect:
    _meta_value(b, "department", "YOKBOYLEBIRIM")(dst)
    return Expect("unknown-department", None, None)


@case("header-altered")
def _header(b: Base, dst: Path) -> Expect:
    ref = xl_rowcol_to_cell(b.layout.header_row("target"), form.HEADER_COL_VALUE)
    _cell_case(b, dst, ref, zt.inline("Başka bir hedef metni"))
    return Expect("structure-altered", None, None)


@case("meta-fingerprint-edited")
def _meta_fingerprint(b: Base, dst: Path) -> Expect:
    _meta_value(b, "fingerprint", "0" * 20)(dst)
    return Expect("structure-altered", None, None)


@case("form-of-next-year")
def _next_year(b: Base, dst: Path) -> Expect:
    # a real form, written by kbbxl for next year's plan, sent into this year's merge
    later = plan.carry_forward(b.program, b.program.year + 1)
    templates.write_form(later, b.department, dst)
    return Expect("wrong-year", form.META_SHEET, "B2")


@case("not-a-form")
def _not_a_form(b: Base, dst: Path) -> Expect:
    from kbbxl.xlsx import new_workbook

    wb = new_workbook(dst)
    ws = wb.add_worksheet("Bütçe")
    for r, (name, amount) in enumerate([("Yol yapımı", 1500000), ("Park", 250000)]):
        ws.write_string(r, 0, name)
        ws.write_number(r, 1, amount)
    wb.close()
    return Expect("not-a-form")


# cell level ------------------------------------------------------------------------------------

#: Cases that put one thing into one input cell of the first card:
#: name -> (table, row index, column key, the new cell, the expected code).
ONE_CELL: dict[str, tuple[str, int, str, tuple[str, str | None], str]] = {
    "formula-with-value": ("act", 0, "ec03", zt.formula("=1000+2000", "3000"), "formula-cached"),
    "formula-without-value": ("act", 0, "ec05", zt.formula("=SUM(Z1:Z9)"), "formula-no-value"),
    "error-ref": ("act", 0, "ec06", zt.error("#REF!"), "cell-error"),
    "error-div0-formula": ("ind", 0, "goal", zt.formula("=1/0", "#DIV/0!", "e"), "cell-error"),
    "text-too-long": ("act", 0, "name", zt.inline("Uzun faaliyet adı " * 2200), "text-too-long"),
    "control-characters": ("ind", 0, "name", zt.inline("Gösterge\x7f adı _x0007_ zil"),
                           "control-characters"),
    "text-in-amount": ("act", 0, "ec03", zt.inline("bir buçuk milyon"), "not-a-number"),
    "ambiguous-number": ("act", 0, "ec03", zt.inline("1,500"), "not-a-number"),
    "number-as-text": ("act", 0, "ec03", zt.inline("1.500.000 TL"), "number-as-text"),
    "negative-amount": ("act", 0, "ec03", zt.number(-5000), "negative-amount"),
    "boolean-in-amount": ("act", 0, "ec03", ("<v>1</v>", "b"), "not-a-number"),
}


def _one_cell(table: str, index: int, key: str, cell: tuple[str, str | None],
              code: str) -> Builder:
    def build(b: Base, dst: Path) -> Expect:
        ref = b.act(index, key) if table == "act" else b.ind(index, key)
        _cell_case(b, dst, ref, cell)
        return Expect(code, b.sheet, ref)

    return build


for _name, _spec in ONE_CELL.items():
    case(_name)(_one_cell(*_spec))



@case("text-too-long-twice")
def _too_long_twice(b: Base, dst: Path) -> Expect:
    # the same over-long name in two rows: every message about it must still fit a cell
    first, second = b.act(0, "name"), b.act(1, "name")
    text = zt.inline("Aynı uzun ad " * 3500)
    zt.rewrite(b.path, dst, {b.part(): lambda x: zt.put(zt.put(x, first, text), second, text)})
    return Expect("text-too-long", b.sheet, first)


@case("header-too-long")
def _header_too_long(b: Base, dst: Path) -> Expect:
    ref = xl_rowcol_to_cell(b.layout.header_row("target"), form.HEADER_COL_VALUE)
    _cell_case(b, dst, ref, zt.inline("Hedef metni " * 4000))
    return Expect("target-code-invalid", b.sheet, ref)


@case("merged-input")
def _merged(b: Base, dst: Path) -> Expect:
    first, last = b.act(0, "ec03"), b.act(1, "ec05")
    zt.rewrite(b.path, dst, {b.part(): lambda x: zt.add_merge(x, f"{first}:{last}")})
    return Expect("merged-input", b.sheet, first)


@case("hidden-row")
def _hidden(b: Base, dst: Path) -> Expect:
    row = b.layout.activity_first + 1 + 1  # second activity row, 1-based
    zt.rewrite(b.path, dst, {b.part(): lambda x: zt.hide_row(x, row)})
    return Expect("hidden-rows", b.sheet, f"A{row}")


@case("shared-string-out-of-range")
def _sst_range(b: Base, dst: Path) -> Expect:
    ref = b.act(0, "ec03")
    _cell_case(b, dst, ref, ("<v>999999</v>", "s"))
    return Expect("entry-corrupt")


# --- driver ------------------------------------------------------------------------------------


def build_corpus(out_dir: Path, base: Base | None = None) -> list[Built]:
    """Write every case into out_dir/<name><suffix>; return them with their expected records."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = base or make_base(out_dir / "_base")
    built = []
    for name, (suffix, fn) in CASES.items():
        dst = out_dir / f"{name}{suffix}"
        built.append(Built(name, dst, fn(base, dst)))
    return built


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/hostile/build_corpus.py OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    built = build_corpus(out)
    expected = {b.name: {"file": b.path.name, **asdict(b.expect)} for b in built}
    (out / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1), "utf-8")
    print(f"{len(built)} files written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
