"""Headless LibreOffice as the stand-in real client: recalculate, re-save and print workbooks."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kbbxl.errors import KbbxlError

# LibreOffice recalculates xlsx formulas on load only when told so by its profile.
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

_FILTERS = {
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "pdf": "pdf:calc_pdf_Export",
    "ods": "ods",
    "csv": "csv",
}


class LibreOfficeError(KbbxlError):
    """LibreOffice is missing or failed to convert a file."""


def soffice() -> str | None:
    """Path of the LibreOffice binary, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(path: str | Path, fmt: str, out_dir: str | Path, *, recalc: bool = True,
            timeout: float = 180) -> Path:
    """Open `path` in headless LibreOffice (recalculating every formula) and save as `fmt`.

    Returns the written file. A fresh throwaway profile is used for every call, so runs do
    not disturb each other or the user's LibreOffice.
    """
    return convert_many([path], fmt, out_dir, recalc=recalc, timeout=timeout)[0]


def convert_many(paths: Sequence[str | Path], fmt: str, out_dir: str | Path, *,
                 recalc: bool = True, timeout: float = 600) -> list[Path]:
    """convert() for many files in ONE LibreOffice start (each start costs seconds).

    The files must have distinct names (the results share out_dir); returns them in order.
    """
    binary = soffice()
    if binary is None:
        raise LibreOfficeError("LibreOffice (soffice) bulunamadı")
    sources = [Path(p).resolve() for p in paths]
    if len({p.stem for p in sources}) != len(sources):
        raise LibreOfficeError("Aynı adlı dosyalar tek seferde dönüştürülemez")
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kbbxl-lo-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        if recalc:
            (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
        cmd = [
            binary, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
            "--nolockcheck", "--convert-to", _FILTERS.get(fmt, fmt), "--outdir", str(out_dir),
            *(str(p) for p in sources),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise LibreOfficeError(
                f"LibreOffice {timeout:.0f} s içinde bitmedi: {sources[0]}"
            ) from exc
    results = [out_dir / f"{p.stem}.{fmt}" for p in sources]
    missing = [str(p) for p, r in zip(sources, results, strict=True) if not r.is_file()]
    if proc.returncode != 0 or missing:
        raise LibreOfficeError(
            f"LibreOffice dönüştüremedi: {', '.join(missing) or sources[0]} ({proc.returncode}) "
            f"{proc.stderr.strip()}"
        )
    return results


def recalculate(path: str | Path, out_dir: str | Path) -> Path:
    """An xlsx re-saved by LibreOffice after a full recalculation (cached values = its own)."""
    return convert(path, "xlsx", out_dir, recalc=True)
