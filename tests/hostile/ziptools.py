"""Editing generated workbooks at the zip and XML level, for the hostile corpus and fuzzing.

Everything here starts from a real generated form and changes as little as possible, the way
a broken mail client, an old Excel, a curious clerk or an attacker would.
"""

from __future__ import annotations

import re
import struct
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

Edit = bytes | Callable[[bytes], bytes] | None


def entries(path: Path) -> dict[str, bytes]:
    """Every entry of a zip, in order."""
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def write_zip(path: Path, items: Mapping[str, bytes] | list[tuple[str, bytes]],
              method: int = zipfile.ZIP_DEFLATED) -> None:
    pairs = list(items.items()) if isinstance(items, Mapping) else items
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are sometimes the point
        with zipfile.ZipFile(path, "w", method) as zf:
            for name, data in pairs:
                zf.writestr(zipfile.ZipInfo(name, (2000, 1, 1, 0, 0, 0)), data, method)


def rewrite(src: Path, dst: Path, edits: Mapping[str, Edit] | None = None,
            add: Mapping[str, bytes] | None = None) -> None:
    """Copy a zip, replacing (bytes), transforming (callable) or dropping (None) entries."""
    edits = edits or {}
    out: dict[str, bytes] = {}
    for name, data in entries(src).items():
        if name in edits:
            edit = edits[name]
            if edit is None:
                continue
            data = edit(data) if callable(edit) else edit
        out[name] = data
    out.update(add or {})
    write_zip(dst, out)


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part holding a sheet's XML."""
    from kbbxl.safety import sheet_parts

    with zipfile.ZipFile(path) as zf:
        return sheet_parts(zf)[sheet]


# --- raw zip records ---------------------------------------------------------------------------


def _eocd(data: bytes) -> int:
    pos = data.rfind(b"PK\x05\x06")
    if pos < 0:
        raise ValueError("no end of central directory")
    return pos


def central_records(data: bytes) -> list[tuple[int, int, str]]:
    """(central header offset, local header offset, name) of each entry."""
    eocd = _eocd(data)
    count, _size, offset = struct.unpack_from("<HII", data, eocd + 10)
    out = []
    pos = offset
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        local = struct.unpack_from("<I", data, pos + 42)[0]
        name = data[pos + 46: pos + 46 + name_len].decode("utf-8")
        out.append((pos, local, name))
        pos += 46 + name_len + extra_len + comment_len
    return out


def patch_entry(data: bytes, name: str, *, crc: int | None = None, size: int | None = None,
                flags_or: int = 0, method: int | None = None) -> bytes:
    """Change header fields of one entry in both its local and central headers."""
    buf = bytearray(data)
    for central, local, entry in central_records(data):
        if entry != name:
            continue
        for base, flag_at, method_at, crc_at, size_at in (
            (central, 8, 10, 16, 24), (local, 6, 8, 14, 22),
        ):
            flags = struct.unpack_from("<H", buf, base + flag_at)[0]
            struct.pack_into("<H", buf, base + flag_at, flags | flags_or)
            if method is not None:
                struct.pack_into("<H", buf, base + method_at, method)
            if crc is not None:
                struct.pack_into("<I", buf, base + crc_at, crc)
            if size is not None:
                struct.pack_into("<I", buf, base + size_at, size)
        return bytes(buf)
    raise KeyError(name)


def data_span(data: bytes, name: str) -> tuple[int, int]:
    """(start, end) of an entry's compressed bytes."""
    for central, local, entry in central_records(data):
        if entry == name:
            comp = struct.unpack_from("<I", data, central + 20)[0]
            name_len, extra_len = struct.unpack_from("<HH", data, local + 26)
            start = local + 30 + name_len + extra_len
            return start, start + comp
    raise KeyError(name)


# --- sheet XML ---------------------------------------------------------------------------------

_CELL = r'<c r="{ref}"(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</c>)'


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _split(ref: str) -> tuple[str, int]:
    m = re.match(r"([A-Z]+)(\d+)$", ref)
    assert m, ref
    return m[1], int(m[2])


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def set_cell(xml: bytes, ref: str, body: str, t: str | None = None) -> bytes:
    """Replace (or insert) cell `ref`: its children become `body`, its type `t`; style kept."""
    text = xml.decode("utf-8")
    pattern = re.compile(_CELL.format(ref=ref), re.S)
    m = pattern.search(text)
    type_attr = f' t="{t}"' if t else ""
    if m:
        attrs = re.sub(r'\s+t="[^"]*"', "", m["attrs"])
        new = f'<c r="{ref}"{attrs}{type_attr}>{body}</c>'
        return (text[: m.start()] + new + text[m.end():]).encode("utf-8")
    letters, row = _split(ref)
    new = f'<c r="{ref}"{type_attr}>{body}</c>'
    rm = re.search(rf'<row r="{row}"[^>]*?(/>|>)', text)
    if rm is None:  # insert a new row in order
        later = [int(r) for r in re.findall(r'<row r="(\d+)"', text) if int(r) > row]
        row_xml = f'<row r="{row}">{new}</row>'
        if later:
            at = text.index(f'<row r="{min(later)}"')
        else:
            at = text.index("</sheetData>")
        return (text[:at] + row_xml + text[at:]).encode("utf-8")
    if rm[1] == "/>":
        head = rm[0][:-2] + ">"
        return (text[: rm.start()] + head + new + "</row>" + text[rm.end():]).encode("utf-8")
    end = text.index("</row>", rm.end())
    inside = text[rm.end(): end]
    at = rm.end() + len(inside)
    for cm in re.finditer(r'<c r="([A-Z]+)\d+"', inside):
        if _col(cm[1]) > _col(letters):
            at = rm.end() + cm.start()
            break
    return (text[:at] + new + text[at:]).encode("utf-8")


def inline(text: str) -> tuple[str, str]:
    """(body, type) of an inline string cell."""
    return f'<is><t xml:space="preserve">{_esc(text)}</t></is>', "inlineStr"


def number(value: float | int) -> tuple[str, None]:
    return f"<v>{value}</v>", None


def formula(text: str, cached: str | None = None, t: str | None = None) -> tuple[str, str | None]:
    body = f"<f>{_esc(text.lstrip('='))}</f>"
    if cached is not None:
        body += f"<v>{_esc(cached)}</v>"
    return body, t


def error(code: str) -> tuple[str, str]:
    return f"<v>{code}</v>", "e"


def put(xml: bytes, ref: str, cell: tuple[str, str | None]) -> bytes:
    return set_cell(xml, ref, cell[0], cell[1])


def hide_row(xml: bytes, row: int) -> bytes:
    text = xml.decode("utf-8")
    return text.replace(f'<row r="{row}"', f'<row r="{row}" hidden="1"', 1).encode("utf-8")


def add_merge(xml: bytes, area: str) -> bytes:
    text = xml.decode("utf-8")
    m = re.search(r'<mergeCells count="(\d+)">', text)
    if m:
        head = f'<mergeCells count="{int(m[1]) + 1}">'
        text = text[: m.start()] + head + f'<mergeCell ref="{area}"/>' + text[m.end():]
    else:
        at = min(
            (text.index(tag) for tag in ("<phoneticPr", "<conditionalFormatting",
                                         "<dataValidations", "<hyperlinks", "<printOptions",
                                         "<pageMargins") if tag in text),
            default=text.index("</worksheet>"),
        )
        merge = f'<mergeCells count="1"><mergeCell ref="{area}"/></mergeCells>'
        text = text[:at] + merge + text[at:]
    return text.encode("utf-8")


# --- compound files (OLE2) ---------------------------------------------------------------------

_FREE, _END, _FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def cfb(streams: Mapping[str, bytes]) -> bytes:
    """A minimal compound file (version 3, 512-byte sectors) holding the given streams.

    Streams are padded to 4096 bytes so that none lives in the mini stream; enough for any
    reader that looks at the directory (what kbbxl does) and for most that read streams.
    """
    sector = 512
    names = list(streams)
    datas = [streams[n].ljust(4096, b"\0") for n in names]
    n_dir = (len(names) + 1 + 3) // 4
    fat: list[int] = [_FATSECT]
    dir_start = len(fat)
    fat += [dir_start + i + 1 for i in range(n_dir - 1)] + [_END]
    starts = []
    for d in datas:
        n = len(d) // sector
        start = len(fat)
        starts.append(start)
        fat += [start + i + 1 for i in range(n - 1)] + [_END]
    if len(fat) > sector // 4:
        raise ValueError("too much data for the one-FAT-sector writer")
    fat += [_FREE] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = (name.encode("utf-16-le") + b"\0\0").ljust(64, b"\0")
        return raw + struct.pack(
            "<HBBIII16sIQQIQ", len(name) * 2 + 2, kind, 1, _FREE, right, child, b"\0" * 16,
            0, 0, 0, start, size,
        )

    dirs = [entry("Root Entry", 5, 1 if names else _FREE, _FREE, _END, 0)]
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else _FREE
        dirs.append(entry(name, 2, _FREE, right, starts[i], len(streams[name])))
    dir_bytes = b"".join(dirs).ljust(n_dir * sector, b"\0")
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16, 0x3E, 3,
        0xFFFE, 9, 6, b"\0" * 6, 0, 1, dir_start, 0, 4096, _END, 0, _END, 0,
    )
    header += struct.pack("<109I", 0, *([_FREE] * 108))
    return header + struct.pack(f"<{sector // 4}I", *fat) + dir_bytes + b"".join(datas)
