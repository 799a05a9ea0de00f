"""The example's text data is reproducible: re-running the extraction gives the same bytes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def test_extraction_reproduces_the_committed_csvs(example_dir: Path, tmp_path: Path):
    work = tmp_path / "kocaeli-2021"
    (work / "source").mkdir(parents=True)
    shutil.copy(example_dir / "extract.py", work)
    shutil.copytree(example_dir / "source", work / "source", dirs_exist_ok=True)
    proc = subprocess.run([sys.executable, str(work / "extract.py")], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    committed = sorted(p.relative_to(example_dir) for p in example_dir.glob("*/*.csv"))
    produced = sorted(p.relative_to(work) for p in work.glob("*/*.csv"))
    assert committed == produced and len(committed) == 10
    for rel in committed:
        assert (work / rel).read_bytes() == (example_dir / rel).read_bytes(), rel
