"""Test helper: edit a workbook the way a clerk would, in headless LibreOffice (a Basic macro).

openpyxl's insert_rows moves values but not formulas, merged ranges or cached results, so a
file "with inserted rows" made by it is not what a department sends back. This runs
LibreOffice's own row insertion (sheet.Rows.insertByIndex) and saves as xlsx, like a clerk
who inserts rows in LibreOffice Calc and saves.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from kbbxl.libreoffice import _REGISTRY, soffice

_MODULE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="KbbxlEdit"
 script:language="StarBasic">
Sub EditRows(src As String, dst As String, sheetName As String, rows As String, cells As String)
  Dim args(0) As New com.sun.star.beans.PropertyValue
  args(0).Name = "Hidden"
  args(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(src), "_blank", 0, args())
  sh = doc.Sheets.getByName(sheetName)
  sh.unprotect("")
  If rows &lt;&gt; "" Then
    parts = Split(rows, ";")
    For i = 0 To UBound(parts)
      p = Split(parts(i), ":")
      sh.Rows.insertByIndex(CLng(p(0)), CLng(p(1)))
    Next i
  End If
  If cells &lt;&gt; "" Then
    parts = Split(cells, ";")
    For i = 0 To UBound(parts)
      p = Split(parts(i), "=")
      c = sh.getCellRangeByName(p(0))
      If Left(p(1), 1) = "#" Then
        c.setValue(CDbl(Mid(p(1), 2)))
      Else
        c.setString(p(1))
      End If
    Next i
  End If
  sh.protect("")
  Dim sargs(0) As New com.sun.star.beans.PropertyValue
  sargs(0).Name = "FilterName"
  sargs(0).Value = "Calc MS Excel 2007 XML"
  doc.storeToURL(ConvertToURL(dst), sargs())
  doc.close(True)
End Sub
</script:module>
"""

_LIBRARY = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "library.dtd">
<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard"
 library:readonly="false" library:passwordprotected="false">
 <library:element library:name="KbbxlEdit"/>
</library:library>
"""


def insert_rows(
    src: Path, dst: Path, sheet: str, inserts: Sequence[tuple[int, int]],
    cells: Mapping[str, str | float] | None = None,
) -> Path:
    """Copy `src` to `dst` with rows inserted in `sheet` and cells typed, by LibreOffice.

    inserts: (0-based row index, how many) applied in order (give the lower rows first);
    cells: address → text or number typed after the insertion.
    """
    binary = soffice()
    assert binary is not None, "LibreOffice is required (use the libreoffice fixture)"
    rows = ";".join(f"{r}:{n}" for r, n in inserts)
    typed = ";".join(
        f"{ref}=#{v}" if isinstance(v, int | float) else f"{ref}={v}"
        for ref, v in (cells or {}).items()
    )
    # the macro call is one string: its arguments cannot hold quotes
    assert not any('"' in t for t in (str(src), str(dst), sheet, typed))
    with tempfile.TemporaryDirectory(prefix="kbbxl-lo-edit-") as profile:
        base = [binary, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                "--nolockcheck"]
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
        # A first start creates the profile; the macro library is added to it afterwards
        # (a library written before the first start is replaced by the default one, and a
        # registry written after it loses what the first start put there).
        subprocess.run([*base, "--terminate_after_init"], capture_output=True, timeout=120,
                       check=False)
        std = user / "basic" / "Standard"
        std.mkdir(parents=True, exist_ok=True)
        (std / "KbbxlEdit.xba").write_text(_MODULE, encoding="utf-8")
        (std / "script.xlb").write_text(_LIBRARY, encoding="utf-8")
        macro = (f'macro:///Standard.KbbxlEdit.EditRows("{Path(src).resolve()}",'
                 f'"{Path(dst).resolve()}","{sheet}","{rows}","{typed}")')
        proc = subprocess.run([*base, macro], capture_output=True, text=True, timeout=180,
                              check=False)
    assert Path(dst).is_file(), f"LibreOffice macro failed: {proc.returncode} {proc.stderr}"
    return Path(dst)
