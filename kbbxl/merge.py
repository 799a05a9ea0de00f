"""The merge: inbox folder → checked data, a Report, the master workbook and returned copies.

`merge_inbox` finds the files, reads each (never modifying it), runs every check and keeps
only clean rows; `write_outputs` writes the master (atomically, keeping a backup of the old
one) with the Kontrol and Hatalar sheets, and one returned copy per department with problems
in iade/ beside the inbox. The CLI is a thin layer over these two functions.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kbbxl import form as F
from kbbxl.checks import FormCheck, check_inbox
from kbbxl.errors import KbbxlError
from kbbxl.model import CardData, Program
from kbbxl.raw import RawForm
from kbbxl.report import (
    STATUS_MISSING,
    DepartmentLine,
    Issue,
    Report,
    department_status,
    make_issue,
    texts,
)
from kbbxl.xlsx import write_atomically

#: Files handed to the reader; the safe opener explains what is wrong with the non-xlsx ones.
FORM_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
#: Folder beside the inbox where the returned copies go.
RETURNED_DIR = "iade"
MASTER_NAME = "master.xlsx"
PLAN_NAME = "plan.xlsx"

Progress = Callable[[int, int, str], None]  # (done, total, file name)


# --- finding things ------------------------------------------------------------------------


def _is_hidden(path: Path) -> bool:
    if path.name.startswith("."):
        return True
    attributes = getattr(path.stat(), "st_file_attributes", 0)  # Windows only
    return bool(attributes & 2)


def discover(inbox: str | Path) -> tuple[list[Path], list[Issue]]:
    """The files to read in `inbox`, and notes about the files skipped (lock, hidden, other)."""
    inbox = Path(inbox)
    files: list[Path] = []
    notes: list[Issue] = []
    for path in sorted(inbox.iterdir(), key=lambda p: p.name):
        if path.is_dir():
            continue
        name = path.name
        if name.startswith("~$"):
            notes.append(make_issue("lock-file", file=name))
        elif _is_hidden(path):
            notes.append(make_issue("hidden-file", file=name))
        elif path.suffix.lower() in FORM_SUFFIXES:
            files.append(path)
        else:
            notes.append(make_issue("not-xlsx", file=name))
    return files, notes


def find_plan(near: str | Path, plan: str | Path | None = None) -> Path:
    """The plan: `plan` when given, else plan.xlsx beside `near` (an inbox) or one level up."""
    if plan is not None:
        path = Path(plan)
        if not path.exists():
            raise KbbxlError(f"Plan bulunamadı: {path}")
        return path
    near = Path(near).resolve()
    start = near if near.is_dir() else near.parent
    for folder in (start.parent, start):
        if (folder / PLAN_NAME).is_file():
            return folder / PLAN_NAME
    raise KbbxlError(f"Plan bulunamadı ({start.parent / PLAN_NAME} yok); "
                     "--plan ile plan.xlsx dosyasını verin.")


def load_program(path: str | Path) -> Program:
    """A plan workbook, or a folder holding the plan as text (the example's CSV files)."""
    from kbbxl import prefill

    return prefill.load_program(path)


def read_submission(path: str | Path) -> RawForm:
    """A returned file as read: checked by the safe opener first, parsed only when safe."""
    from kbbxl import ingest, safety

    path = Path(path)
    inspection = safety.inspect_file(path)
    if not inspection.readable:
        return RawForm(path=path, meta=None, findings=list(inspection.findings))
    form = ingest.read_form(path, inspected=inspection)
    seen = {(f.code, f.sheet, f.cell) for f in form.findings}
    early = [f for f in inspection.findings if (f.code, f.sheet, f.cell) not in seen]
    form.findings[:0] = early
    return form


# --- the result ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FileCount:
    """Rows read from one file against rows that reached the master."""

    file: str
    department: str
    status: str
    indicators_read: int
    indicators_written: int
    activities_read: int
    activities_written: int
    total: float
    errors: int
    warnings: int

    @property
    def left_out(self) -> int:
        return (self.indicators_read - self.indicators_written
                + self.activities_read - self.activities_written)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "left_out": self.left_out}


@dataclass(frozen=True)
class MergeResult:
    """Everything a merge found: the plan, the clean data, the report, per-file counts."""

    program: Program
    inbox: Path
    plan_path: Path
    data: CardData
    report: Report
    checks: tuple[FormCheck, ...]
    counts: tuple[FileCount, ...]
    #: departments expected to send a form (False for a single-file validation)
    expect_all: bool = True

    @property
    def valid(self) -> bool:
        return self.report.valid

    @property
    def exit_code(self) -> int:
        return 0 if self.report.valid else 1

    def departments(self) -> list[DepartmentLine]:
        """One line per department of the plan (only those with files when validating one)."""
        received = {c.department for c in self.checks if c.department}
        files: dict[str, list[str]] = {}
        for c in self.checks:
            files.setdefault(c.department, []).append(c.file)
        tally = _department_tally(self.program, self.data)
        lines = []
        for dept in self.program.departments:
            if not self.program.targets_of(dept.code):
                continue
            if not self.expect_all and dept.code not in received:
                continue
            report = self.report.for_department(dept.code)
            targets, indicators, activities, total = tally.get(dept.code, (set(), 0, 0, 0))
            lines.append(DepartmentLine(
                code=dept.code, name=dept.name,
                status=department_status(report, dept.code in received),
                files=tuple(files.get(dept.code, ())), targets=len(targets),
                indicators=indicators, activities=activities, total=total,
                errors=len(report.errors), warnings=len(report.warnings),
            ))
        return lines

    def statuses(self) -> dict[str, str]:
        """Department code → Turkish status (for the master's summary)."""
        return {d.code: d.status for d in self.departments()}

    def figures(self) -> dict[str, Any]:
        data = self.data
        return {
            "targets": len({i.target for i in data.indicators} | {a.target for a in
                                                                  data.activities}),
            "indicators": len(data.indicators),
            "activities": len(data.activities),
            "total": sum(a.total for a in data.activities),
        }

    def as_dict(self, outputs: Outputs | None = None) -> dict[str, Any]:
        """The whole result as JSON-ready data (what --json prints)."""
        return {
            "program": {"institution": self.program.institution, "year": self.program.year},
            "inbox": str(self.inbox),
            "plan": str(self.plan_path),
            "valid": self.valid,
            "errors": len(self.report.errors),
            "warnings": len(self.report.warnings),
            "figures": self.figures(),
            "departments": [d.as_dict() for d in self.departments()],
            "files": [c.as_dict() for c in self.counts],
            "issues": self.report.as_list(),
            "outputs": None if outputs is None else outputs.as_dict(),
        }


def _department_tally(program: Program, data: CardData
                      ) -> dict[str, tuple[set[str], int, int, float]]:
    """Per department (the plan's owner of each target): targets with data, indicators,
    activities, total. One pass over the data, not one per department."""
    owner = {t.code: t.department for t in program.targets}
    tally: dict[str, tuple[set[str], int, int, float]] = {}
    for i in data.indicators:
        if i.target in owner:
            targets, n_ind, n_act, total = tally.get(owner[i.target], (set(), 0, 0, 0))
            targets.add(i.target)
            tally[owner[i.target]] = (targets, n_ind + 1, n_act, total)
    for a in data.activities:
        if a.target in owner:
            targets, n_ind, n_act, total = tally.get(owner[a.target], (set(), 0, 0, 0))
            targets.add(a.target)
            tally[owner[a.target]] = (targets, n_ind, n_act + 1, total + a.total)
    return tally


def _count(check: FormCheck, report: Report) -> FileCount:
    mine = report.for_file(check.file)
    return FileCount(
        file=check.file, department=check.department,
        status=department_status(mine, True),
        indicators_read=check.indicators_read, indicators_written=len(check.data.indicators),
        activities_read=check.activities_read, activities_written=len(check.data.activities),
        total=sum(a.total for a in check.data.activities),
        errors=len(mine.errors), warnings=len(mine.warnings),
    )


def _check_files(program: Program, files: Sequence[Path], progress: Progress | None,
                 timings: dict[str, float] | None = None) -> list[FormCheck]:
    from kbbxl import pool

    # chunk by chunk, in worker processes for a big inbox; raw cells are not kept
    return pool.check_files(program, files, progress, timings)


def _result(program: Program, inbox: Path, plan_path: Path, checks: list[FormCheck],
            extra: Sequence[Issue], expect_all: bool) -> MergeResult:
    report = Report(tuple(extra)).merge(i for c in checks for i in c.issues)
    data = CardData.concat(c.data for c in checks if c.accepted)
    counts = tuple(_count(c, report) for c in checks)
    return MergeResult(program, inbox, plan_path, data, report, tuple(checks), counts,
                       expect_all)


def merge_inbox(inbox: str | Path, plan_path: str | Path | None = None, *,
                progress: Progress | None = None,
                timings: dict[str, float] | None = None) -> MergeResult:
    """Read and check every returned form in `inbox`; the files are never modified.

    timings: when given, receives the seconds spent reading ("read", the plan included) and
    checking ("validate") — for benchmarks/bench_merge.py.
    """
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise KbbxlError(f"'{inbox}' bir klasör değil")
    t0 = time.perf_counter()
    plan_file = find_plan(inbox, plan_path)
    program = load_program(plan_file)
    files, notes = discover(inbox)
    # a plan kept inside the inbox is the plan, not a department's form
    files = [f for f in files if f.resolve() != plan_file.resolve()]
    if timings is not None:
        timings["read"] = timings.get("read", 0.0) + time.perf_counter() - t0
    if not files:
        notes.append(make_issue("no-forms", file=str(inbox)))
    checks = _check_files(program, files, progress, timings)
    t0 = time.perf_counter()
    checks, missing = check_inbox(program, checks)
    result = _result(program, inbox, plan_file, checks, [*notes, *missing], True)
    if timings is not None:
        timings["validate"] = timings.get("validate", 0.0) + time.perf_counter() - t0
    return result


def validate_file(path: str | Path, plan_path: str | Path | None = None) -> MergeResult:
    """The same checks for one returned file (a department's self-check before sending)."""
    path = Path(path)
    if not path.is_file():
        raise KbbxlError(f"'{path}' bulunamadı")
    plan_file = find_plan(path, plan_path)
    program = load_program(plan_file)
    checks = _check_files(program, [path], None)
    return _result(program, path.parent, plan_file, checks, [], False)


# --- writing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outputs:
    """What write_outputs wrote."""

    master: Path | None  # None when --strict refused to write
    backup: Path | None = None
    returned: tuple[Path, ...] = ()
    removed: tuple[Path, ...] = field(default=())  # stale returned copies of clean departments

    def as_dict(self) -> dict[str, Any]:
        return {
            "master": None if self.master is None else str(self.master),
            "backup": None if self.backup is None else str(self.backup),
            "returned": [str(p) for p in self.returned],
        }


def default_master(result: MergeResult) -> Path:
    return result.inbox.parent / MASTER_NAME


def control_rows(result: MergeResult) -> list[list[Any]]:
    """The Kontrol sheet: per file rows read and written; a line for each missing department."""
    words = texts()["control"]
    names = {d.code: d.name for d in result.program.departments}
    rows: list[list[Any]] = []
    for c in sorted(result.counts, key=lambda c: (c.department, c.file)):
        rows.append([
            c.department, names.get(c.department, ""), c.file, c.status,
            c.indicators_read, c.indicators_written, c.activities_read, c.activities_written,
            c.left_out, c.errors, c.warnings, c.total,
        ])
    for d in result.departments():
        if d.status == STATUS_MISSING:
            rows.append([d.code, d.name, words["no_file"], d.status, 0, 0, 0, 0, 0,
                         d.errors, d.warnings, 0])
    counts = result.counts
    rows.append([
        words["total"], "", "", "",
        sum(c.indicators_read for c in counts), sum(c.indicators_written for c in counts),
        sum(c.activities_read for c in counts), sum(c.activities_written for c in counts),
        sum(c.left_out for c in counts), len(result.report.errors),
        len(result.report.warnings), sum(c.total for c in counts),
    ])
    return rows


def extra_sheets(result: MergeResult) -> list[Any]:
    """The Kontrol and Hatalar sheets for the master workbook."""
    from kbbxl.master import ExtraSheet

    words = texts()
    return [
        ExtraSheet(words["sheets"]["control"], words["control"]["headers"], control_rows(result),
                   words["control"]["widths"]),
        ExtraSheet(words["sheets"]["issues"], words["issues"]["headers"], result.report.rows(),
                   words["issues"]["widths"]),
    ]


def _backup_name(master: Path, now: datetime) -> Path:
    return master.with_name(f"{master.stem}.yedek-{now:%Y%m%d-%H%M%S}{master.suffix}")


def write_outputs(result: MergeResult, output: str | Path | None = None, *, force: bool = False,
                  strict: bool = False, returned: bool = True,
                  now: datetime | None = None) -> Outputs:
    """Write the master (unless strict and errors) and the returned copies.

    An existing master is first copied to master.yedek-<time>.xlsx unless `force`; the new
    one replaces it atomically, so an interrupted run leaves the old master in place.
    """
    from kbbxl.bulk import collector_paused
    from kbbxl.master import write_master

    copies = write_returned_copies(result) if returned else ((), ())
    if strict and not result.valid:
        return Outputs(None, None, *copies)
    master = Path(output) if output is not None else default_master(result)
    backup = None
    if master.exists() and not force:
        backup = _backup_name(master, now or datetime.now())
        # atomically too: a run killed while copying leaves no half backup to be trusted
        write_atomically(backup, lambda tmp: shutil.copy2(master, tmp))
    statuses = {code: s[:1].upper() + s[1:] for code, s in result.statuses().items()}
    with collector_paused():  # ~1,5 million cells at national scale
        write_master(master, result.program, result.data, submission_status=statuses,
                     extra_sheets=extra_sheets(result))
    return Outputs(master, backup, *copies)


def returned_dir(result: MergeResult) -> Path:
    return result.inbox.parent / RETURNED_DIR


def write_returned_copies(result: MergeResult, out_dir: str | Path | None = None
                          ) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """One copy per department with problems: its form rewritten with what it sent, every
    faulty cell marked. Returns (written, removed): a stale copy of a department that is now
    clean is removed so that nobody mails it by mistake."""
    from kbbxl.returns import returned_copy

    out = Path(out_dir) if out_dir is not None else returned_dir(result)
    by_dept: dict[str, list[FormCheck]] = {}
    for c in result.checks:
        # a department the plan does not know has no form to rewrite (its record says why)
        if c.department and c.form.meta is not None and result.program.has_department(
                c.department):
            by_dept.setdefault(c.department, []).append(c)
    written, removed = [], []
    for dept, checks in sorted(by_dept.items()):
        path = out / F.form_file_name(result.program, dept)
        if len(checks) != 1:
            continue  # two files: the office decides which is valid; no copy to mail
        if checks[0].issues:
            written.append(returned_copy(result.program, checks[0], path))
        elif path.is_file():
            os.remove(path)
            removed.append(path)
    return tuple(written), tuple(removed)
