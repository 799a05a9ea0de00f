"""kbbxl.zipentry reads every entry as zipfile does (same bytes, same errors), and never inflates
an entry past its declared size.

Compared entry by entry on the hostile corpus and on seeded byte-level mutants of a real form
(flipped, cut and inserted bytes break headers, deflate streams and CRCs); the plain path must
really be taken on the clean form, and the mutants must reach its errors.
"""

from __future__ import annotations

import io
import random
import tracemalloc
import zipfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import build_corpus
import ziptools as zt

from kbbxl import safety, zipentry

SEED = 20211015
MUTANTS = 120


def _mutant(rnd: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    kind = rnd.randrange(3)
    at = rnd.randrange(len(buf))
    if kind == 0:
        for _ in range(rnd.randint(1, 8)):
            buf[rnd.randrange(len(buf))] ^= 1 << rnd.randrange(8)
        return bytes(buf)
    if kind == 1:
        return bytes(buf[:at] + buf[at + rnd.randint(1, 64):])
    return bytes(buf[:at] + rnd.randbytes(rnd.randint(1, 16)) + buf[at:])


def _outcome(read: Any) -> tuple[str, Any]:
    try:
        return "bytes", read()
    except Exception as exc:  # the comparison is of what each reader raises
        return "raised", type(exc)


def _compare(data: bytes, tally: Counter[str]) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # not a zip any more: nothing to read
        tally["no zip"] += 1
        return
    with zf:
        for info in zf.infolist():
            lean = _outcome(lambda info=info: zipentry.read_entry(data, info))
            plain = _outcome(lambda info=info: zf.read(info))
            if lean == ("bytes", None):
                tally["left to zipfile"] += 1
            elif lean == ("raised", zipentry.LongerThanDeclared):
                tally["longer"] += 1  # zipfile inflates it whole and cuts it
            else:
                assert lean == plain, info.filename
                tally[lean[0] if lean[0] == "bytes" else lean[1].__name__] += 1


def test_entries_read_as_zipfile_reads_them(
    corpus: dict[str, build_corpus.Built], corpus_base: build_corpus.Base, tmp_path: Path
) -> None:
    tally: Counter[str] = Counter()
    _compare(corpus_base.path.read_bytes(), tally)
    assert tally == Counter(bytes=tally["bytes"]) and tally["bytes"] > 10  # all read plainly
    for built in corpus.values():
        _compare(built.path.read_bytes(), tally)
    rnd = random.Random(SEED)
    original = corpus_base.path.read_bytes()
    for _ in range(MUTANTS):
        _compare(_mutant(rnd, original), tally)
    # a stream a little longer than declared: zipfile keeps the declared bytes, and so does it
    before = tally["bytes"]
    lying = tmp_path / "lying.xlsx"
    _lying(corpus_base.path, lying, 4096)
    _compare(lying.read_bytes(), tally)
    assert tally["bytes"] - before == len(zt.entries(lying)) and tally["longer"] == 0
    # the mutants reached the plain path's own errors, not only zipfile's fallback
    assert tally["BadZipFile"] > 0 and tally["error"] > 0, tally


def _lying(base: Path, dst: Path, extra: int) -> str:
    """The form with one sheet whose stream goes on `extra` bytes past its declared size."""
    items = zt.entries(base)
    name = next(n for n in items if n.startswith("xl/worksheets/"))
    real = items[name]
    items[name] = real + b" " * extra  # still well-formed XML, were it read whole
    zt.write_zip(dst, items)
    dst.write_bytes(zt.patch_entry(dst.read_bytes(), name, crc=zlib.crc32(real),
                                   size=len(real)))
    return name


def test_an_entry_longer_than_declared_is_refused_without_inflating_it(
    corpus_base: build_corpus.Base, tmp_path: Path
) -> None:
    path = tmp_path / "lying.xlsx"
    name = _lying(corpus_base.path, path, 64 << 20)
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        result = safety.inspect_file(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(f.code, name in f.message, "bildirilen boyutundan uzun" in f.message)
            for f in result.findings] == [("entry-corrupt", True, True)]
    assert peak < 16 << 20  # the 64 MB the stream holds were never inflated
