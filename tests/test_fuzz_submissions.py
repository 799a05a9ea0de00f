"""Fuzzing: mutated copies of a valid submission get records from kbbxl, never a crash or a hang.

A seeded generator makes 60 mutants of a real generated form: half at the byte level (bits
flipped, bytes inserted or cut anywhere in the file), half inside the zip with every XML part
still well-formed (cell values, types, references and styles, sheet names, shared strings,
metadata, deleted cells and rows), so that they get past the safe opener into the reader and
the checks. Every mutant goes through validate_file and, when the department is known, the
returned-copy writer, under a generous per-file alarm; all of them then go through one real
`python -m kbbxl merge` whose console must show no traceback.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "hostile"))

import build_corpus  # noqa: E402
import ziptools as zt  # noqa: E402

from kbbxl.merge import validate_file  # noqa: E402
from kbbxl.report import catalogue  # noqa: E402
from kbbxl.returns import returned_copy  # noqa: E402

SEED = 20211015
MUTANTS = 60
#: seconds one file may take; real forms take well under one (generous, not a speed claim)
ALARM = 60


@contextmanager
def time_limit(seconds: int, what: str) -> Iterator[None]:
    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"{what}: no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --- byte level -------------------------------------------------------------------------------


def _flip(rnd: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 16)):
        buf[rnd.randrange(len(buf))] ^= 1 << rnd.randrange(8)
    return bytes(buf)


def _insert(rnd: random.Random, data: bytes) -> bytes:
    at = rnd.randrange(len(data))
    return data[:at] + rnd.randbytes(rnd.randint(1, 64)) + data[at:]


def _cut(rnd: random.Random, data: bytes) -> bytes:
    at = rnd.randrange(len(data))
    return data[:at] + data[at + rnd.randint(1, 256):]


def _overwrite(rnd: random.Random, data: bytes) -> bytes:
    at = rnd.randrange(len(data))
    chunk = rnd.choice([b"\0", b"\xff", b"PK\x03\x04", b"PK\x01\x02"]) * rnd.randint(1, 32)
    return data[:at] + chunk + data[at + len(chunk):]


BYTE_MUTATORS = [_flip, _insert, _cut, _overwrite]

# --- XML level (each part stays well-formed) ---------------------------------------------------

_VALUES = ["", "-1", "0", "1e308", "-1e308", "NaN", "INF", "abc", "99999999999", "1.5E+400",
           "#REF!", "#DIV/0!", "true", "2021-01-01", "1,5", "  ", "\u0130", "&amp;&lt;"]
_TYPES = ["s", "n", "b", "e", "str", "inlineStr", "d", "foo", ""]


def _sub_one(rnd: random.Random, pattern: str, text: str, make: Callable[[re.Match], str]) -> str:
    hits = list(re.finditer(pattern, text))
    if not hits:
        return text
    m = rnd.choice(hits)
    return text[: m.start()] + make(m) + text[m.end():]


def _random_ref(rnd: random.Random) -> str:
    return rnd.choice(["A1", "XFD1048576", "ZZZ0", "", "A0", "B$2", "1A",
                       f"{rnd.choice('ABCDEFGH')}{rnd.randint(1, 80)}"])


def _sheet_edit(rnd: random.Random, xml: str) -> str:
    kind = rnd.randrange(7)
    if kind == 0:
        return _sub_one(rnd, r"<v>[^<]*</v>", xml, lambda m: f"<v>{rnd.choice(_VALUES)}</v>")
    if kind == 1:
        return _sub_one(rnd, r' t="[^"]*"', xml, lambda m: f' t="{rnd.choice(_TYPES)}"')
    if kind == 2:
        return _sub_one(rnd, r'<c r="[^"]*"', xml, lambda m: f'<c r="{_random_ref(rnd)}"')
    if kind == 3:
        return _sub_one(rnd, r' s="\d+"', xml, lambda m: f' s="{rnd.choice([0, 999, 65535])}"')
    if kind == 4:
        return _sub_one(rnd, r'<row r="\d+"', xml,
                        lambda m: f'<row r="{rnd.choice([0, 1, 2, 1048577, 40])}"')
    if kind == 5:
        return _sub_one(rnd, r"<c [^>]*?(?:/>|>.*?</c>)", xml, lambda m: "")
    return _sub_one(rnd, r"<row [^>]*?(?:/>|>.*?</row>)", xml, lambda m: "")


def _strings_edit(rnd: random.Random, xml: str) -> str:
    text = rnd.choice(["", "=1+1", "_x0001_", "A" * 40000, "\u0307" * 10, "ğ" * 3, "-",
                       "KE/PH.9.9.9 başka hedef", "1.500.000"])
    return _sub_one(rnd, r"<t[^>]*>[^<]*</t>", xml, lambda m: f"<t>{zt._esc(text)}</t>")


def _workbook_edit(rnd: random.Random, xml: str) -> str:
    name = rnd.choice(["", "kbbxl", "Açıklamalar", "X" * 40, "a/b", "KE-PH.1.1.1"])
    return _sub_one(rnd, r'<sheet name="[^"]*"', xml, lambda m: f'<sheet name="{zt._esc(name)}"')


def _xml_mutant(rnd: random.Random, base: build_corpus.Base) -> bytes:
    items = zt.entries(base.path)
    sheets = [n for n in items if n.startswith("xl/worksheets/")]
    target = rnd.choice(sheets + sheets + ["xl/sharedStrings.xml", "xl/workbook.xml"])
    xml = items[target].decode("utf-8")
    for _ in range(rnd.randint(1, 3)):
        if target == "xl/sharedStrings.xml":
            xml = _strings_edit(rnd, xml)
        elif target == "xl/workbook.xml":
            xml = _workbook_edit(rnd, xml)
        else:
            xml = _sheet_edit(rnd, xml)
    items[target] = xml.encode("utf-8")
    out = base.path.with_name("_mutant.xlsx")
    zt.write_zip(out, items)
    data = out.read_bytes()
    out.unlink()
    return data


def mutants(base: build_corpus.Base, n: int = MUTANTS, seed: int = SEED) -> list[tuple[str, bytes]]:
    rnd = random.Random(seed)
    original = base.path.read_bytes()
    out = []
    for i in range(n):
        if i % 2:
            out.append((f"xml-{i:02d}", _xml_mutant(rnd, base)))
        else:
            mutate = rnd.choice(BYTE_MUTATORS)
            out.append((f"{mutate.__name__.strip('_')}-{i:02d}", mutate(rnd, original)))
    return out


@pytest.fixture(scope="module")
def fuzz_inbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[build_corpus.Base, Path]:
    root = tmp_path_factory.mktemp("fuzz")
    base = build_corpus.make_base(root / "base")
    inbox = root / "inbox"
    inbox.mkdir()
    for name, data in mutants(base):
        (inbox / f"{name}_{base.department}.xlsx").write_bytes(data)
    (root / "plan.xlsx").write_bytes(base.plan.read_bytes())
    return base, inbox


def test_mutants_are_varied(fuzz_inbox: tuple[build_corpus.Base, Path]) -> None:
    base, inbox = fuzz_inbox
    files = sorted(inbox.iterdir())
    assert len(files) == MUTANTS
    original = base.path.read_bytes()
    assert all(f.read_bytes() != original for f in files)
    assert len({hashlib.sha256(f.read_bytes()).digest() for f in files}) == MUTANTS


def test_every_mutant_gets_records_not_a_crash(
    fuzz_inbox: tuple[build_corpus.Base, Path], tmp_path: Path
) -> None:
    base, inbox = fuzz_inbox
    known = catalogue()
    reached_reader = 0
    for path in sorted(inbox.iterdir()):
        before = path.read_bytes()
        with time_limit(ALARM, path.name):
            result = validate_file(path, base.plan)
            assert result.exit_code in (0, 1)
            for issue in result.report.issues:
                assert issue.code in known, issue
                assert issue.message and "{" not in issue.message
            check = result.checks[0]
            if check.form.meta is not None:
                reached_reader += 1
                if check.issues and base.program.has_department(check.department):
                    returned_copy(base.program, check, tmp_path / f"iade-{path.name}")
        assert path.read_bytes() == before
    # the structure-aware half must get past the safe opener, or the reader is never fuzzed
    assert reached_reader >= MUTANTS // 4


def test_merge_of_all_mutants_in_a_real_process(
    fuzz_inbox: tuple[build_corpus.Base, Path], tmp_path: Path
) -> None:
    _, inbox = fuzz_inbox
    proc = subprocess.run(
        [sys.executable, "-m", "kbbxl", "merge", str(inbox), "-o", str(tmp_path / "m.xlsx")],
        capture_output=True, text=True, timeout=ALARM * 5,
        env={**os.environ, "PYTHONWARNINGS": "default"},
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output[-3000:]
    assert "Traceback" not in output and "Beklenmeyen hata" not in output
    assert (tmp_path / "m.xlsx").is_file()
