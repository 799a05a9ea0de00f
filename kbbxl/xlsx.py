"""Safe spreadsheet writing shared by every workbook kbbxl creates (xlsxwriter)."""

from __future__ import annotations

import datetime
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from kbbxl.errors import KbbxlError

_ILLEGAL_SHEET_CHARS = re.compile(r"[\\/?*\[\]:]")
SHEET_NAME_LIMIT = 31

#: Options every kbbxl workbook is created with: department text never turns into a
#: formula or a link, NaN/inf never reach a cell.
WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": False,
}


def safe_sheet_name(name: str, taken: set[str] | None = None) -> str:
    """A legal, unique sheet title: no \\ / ? * [ ] :, at most 31 characters."""
    base = _ILLEGAL_SHEET_CHARS.sub("-", name).strip("'") or "Sayfa"
    base = base[:SHEET_NAME_LIMIT]
    if taken is None:
        return base
    candidate, n = base, 2
    lowered = {t.lower() for t in taken}
    while candidate.lower() in lowered:
        suffix = f"~{n}"
        candidate = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        n += 1
    taken.add(candidate)
    return candidate


def new_workbook(path: str | Path, **options: Any) -> xlsxwriter.Workbook:
    """An xlsxwriter workbook with kbbxl's safe options and fixed document properties."""
    wb = xlsxwriter.Workbook(str(path), {**WORKBOOK_OPTIONS, **options})
    # A fixed creation time keeps the outputs of identical runs identical.
    wb.set_properties(
        {"author": "kbbxl", "company": "kbbxl", "created": datetime.datetime(2000, 1, 1)}
    )
    return wb


def checked(result: int | None, what: str) -> None:
    """xlsxwriter reports some failures as return codes; turn them into exceptions."""
    if result is not None and result < 0:
        raise KbbxlError(f"xlsxwriter refused {what} (code {result})")


def write_text(ws: Worksheet, row: int, col: int, text: object, fmt: Any = None) -> None:
    """Write department text always as a string cell (never a formula, link or number)."""
    value = "" if text is None else str(text)
    # xlsxwriter's undecorated writers: row and column are always numbers here, and the
    # A1-notation wrapper of the public ones cost a tenth of the master's write time.
    if not value:
        ws._write_blank(row, col, None, fmt)
    elif value.startswith("<r>") and value.endswith("</r>"):
        _write_markup_lookalike(ws, row, col, value, fmt)
    elif ws._write_string(row, col, value, fmt) < 0:
        checked(-1, f"text at {row},{col}")


def _write_markup_lookalike(ws: Worksheet, row: int, col: int, value: str, fmt: Any) -> None:
    """Text like "<r>...</r>", which xlsxwriter would take for ready rich-text XML.

    It writes such a string into the file unescaped: the cell shows nothing or a fragment, or
    Excel must repair the workbook. Written as rich text of plain fragments in the cell's own
    font, it is escaped like any other text and reads back as it was.
    """
    args: list[Any] = []
    for part in (value[:1], value[1:2], value[2:]):
        args += [fmt, part] if fmt is not None else [part]
    if fmt is not None:
        args.append(fmt)
    checked(ws.write_rich_string(row, col, *args), f"text at {row},{col}")


def wrapped_row_height(text: str, width: float, line_height: float = 15.0) -> float:
    """A row height that shows all of `text` wrapped in a column `width` characters wide.

    LibreOffice does not grow rows for wrapped text on load, so heights are set explicitly.
    """
    per_line = max(int(width * 1.15), 1)
    lines = sum(max(1, -(-len(part) // per_line)) for part in str(text).split("\n"))
    return line_height * lines


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` atomically.

    An interrupted or failed write leaves `target` as it was and no half-written file.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    # mkstemp creates 0600; the final file gets the permissions a plain open() would give.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_atomically(target: str | Path, build: Callable[[Path], None]) -> Path:
    """Run build(tmp_path) and move the result over `target` only if it succeeded."""
    with atomic_path(target) as tmp:
        build(tmp)
    return Path(target)
