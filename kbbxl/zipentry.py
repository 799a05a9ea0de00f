"""An entry of a returned workbook read as zipfile reads it, never inflated past its declared size.

kbbxl.safety reads every entry of a returned file before a parser sees it. ZipFile.read builds
a file object per entry (half the time of reading a form's hundred small parts) and inflates a
deflated entry whole, whatever size its directory record declares: 300 KB that declare 3 KB of
XML made it hold 600 MB. `read_entry` gives the same bytes and errors for the entries spreadsheet
programs write (stored or deflated, not encrypted, the local header naming the entry as the
directory does) straight from the file's bytes, keeps at most the declared size, and leaves
every other entry to zipfile, whose own checks and errors then apply.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from typing import Any

from zlib_ng import zlib_ng  # zlib's interface; inflate ~1,5x and CRC-32 ~2x as fast as zlib

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile.structFileHeader
_LOCAL_MAGIC = b"PK\x03\x04"
#: flag bits zipfile refuses or needs a password for: encrypted, patched data, strong encryption
_REFUSED_FLAGS = 0x1 | 0x20 | 0x40
_UTF8_NAME = 0x800


#: how far past its declared size an entry's stream is inflated (and thrown away) to find out
#: whether it is broken, as zipfile would find out by inflating it whole
_REST_LIMIT = 16 * 1024 * 1024


class LongerThanDeclared(zipfile.BadZipFile):
    """The entry inflates far past the size its directory record declares (a zip bomb's trick)."""


def _inflate_rest(inflater: Any, info: zipfile.ZipInfo) -> None:
    """Inflate what a stream holds past the declared size a piece at a time, keeping none of
    it: zlib.error where it is broken (as zipfile, which inflates it whole), LongerThanDeclared
    when it goes on past _REST_LIMIT."""
    seen = 1
    while seen <= _REST_LIMIT:
        piece = inflater.decompress(inflater.unconsumed_tail, 1 << 16)
        if not piece:
            return
        seen += len(piece)
    raise LongerThanDeclared(f"{info.filename!r} inflates far past {info.file_size} bytes")


def read_entry(raw: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """ZipFile.read(info)'s bytes for the zip whose whole file is `raw`; None when zipfile must
    read the entry (another compression, a flag it refuses, a local header that disagrees with
    the directory, data past the end of the file or into the next entry).

    Raises as ZipFile.read does: zlib.error for a broken stream, BadZipFile for a wrong CRC;
    and LongerThanDeclared for a stream that goes on far past the declared size, which
    zipfile would inflate whole (up to 2 GB) before keeping the declared bytes.
    """
    if info.flag_bits & _REFUSED_FLAGS or info.compress_type not in (
            zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    start = info.header_offset
    header = raw[start:start + _LOCAL_HEADER.size]
    if start < 0 or len(header) != _LOCAL_HEADER.size:
        return None
    magic, _, _, flags, _, _, _, _, _, _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if magic != _LOCAL_MAGIC:
        return None
    at = start + _LOCAL_HEADER.size
    try:
        name = raw[at:at + name_length].decode("utf-8" if flags & _UTF8_NAME else "cp437")
    except UnicodeDecodeError:
        return None
    if name != info.orig_filename:
        return None
    begin = at + name_length + extra_length
    end = begin + info.compress_size
    limit = getattr(info, "_end_offset", None)  # zipfile's check for overlapping entries
    if end > len(raw) or (limit is not None and end > limit):
        return None
    size = info.file_size
    if info.compress_type == zipfile.ZIP_STORED:
        data = raw[begin:end][:size]
    else:
        try:
            inflater = zlib_ng.decompressobj(-15)
            data = inflater.decompress(raw[begin:end], size + 1)
            if len(data) > size:
                data = data[:size]
                _inflate_rest(inflater, info)
        except zlib_ng.error as exc:  # as zipfile raises it (same codes and messages)
            raise zlib.error(*exc.args) from None
    if zlib_ng.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return data
