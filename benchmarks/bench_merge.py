"""Times kbbxl merge against a bare calamine read and a naive pandas pipeline, on the same files.

For each N the inbox is generated once (benchmarks/synth.py, cached), then every measurement
runs in a fresh Python process so that its peak memory is its own:

  (a) calamine  every cell of every sheet of every file read with python-calamine (the floor);
  (b) naive     pandas.read_excel(engine="openpyxl") of every sheet, concat, to_excel;
  (c) kbbxl     the merge, timed in its phases: read, validate, write (the master workbook).

Peak memory is the largest memory of the measured process and its workers together (their
proportional set sizes, so pages forked workers share are counted once), sampled from /proc
every 250 ms, and never less than the measured process's own ru_maxrss.

    python benchmarks/bench_merge.py --quick           # N=21 and 140, small cards, < 1 minute
    python benchmarks/bench_merge.py                   # N=21, 140, 1.400 (national scale)
    python benchmarks/bench_merge.py --sizes 21,140 --repeats 5 --markdown
    python benchmarks/bench_merge.py --runs runs.json   # keep every run; a rerun reuses them

With --runs, every measurement is appended to a JSON file as soon as it ends, and a later run
counts the stored measurements of the same inbox towards its repeats: a national-scale run
(the naive pipeline alone takes most of an hour at N=1.400) survives an interruption, and
kbbxl can be re-measured after a change without re-timing the pipelines it is compared with.
A stored kbbxl measurement is reused only if it was taken at the same kbbxl commit with a
clean tree; the table names every reused measurement and when it was taken. --remeasure
calamine measures the floor again beside a new kbbxl instead of reusing it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402

METHODS = ("calamine", "naive", "kbbxl")
#: a measurement that took longer than this is not repeated: the naive pipeline at national
#: scale takes most of an hour. kbbxl's and calamine's runs are (on a shared 2-core machine
#: a run of several minutes still varies by ~10 %).
REPEAT_BELOW_S = 600.0
#: Excel's row limit: the naive pipeline spreads its concatenated frame over sheets this long
EXCEL_ROWS = 1_048_575


# --- the three measured things (each runs in its own process) ----------------------------------


def measure_calamine(box: synth.Inbox, out: Path) -> dict[str, float]:
    """Every cell of every sheet of every file, as python values (the floor)."""
    from python_calamine import CalamineWorkbook

    t0 = time.perf_counter()
    cells = 0
    for path in box.files:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False):
                cells += len(row)
        wb.close()
    return {"read": time.perf_counter() - t0, "cells": cells}


def measure_naive(box: synth.Inbox, out: Path) -> dict[str, float]:
    """What one would write first with pandas: read every sheet, concat, to_excel."""
    import pandas as pd

    t0 = time.perf_counter()
    frames = []
    for path in box.files:
        for sheet, df in pd.read_excel(path, sheet_name=None, header=None,
                                       engine="openpyxl").items():
            df.insert(0, "sheet", sheet)
            df.insert(0, "file", path.name)
            frames.append(df)
    t1 = time.perf_counter()
    data = pd.concat(frames, ignore_index=True)
    del frames
    t2 = time.perf_counter()
    with pd.ExcelWriter(out / "naive.xlsx") as writer:
        for i, start in enumerate(range(0, len(data), EXCEL_ROWS)):
            data.iloc[start:start + EXCEL_ROWS].to_excel(writer, sheet_name=f"data{i + 1}",
                                                         index=False)
    t3 = time.perf_counter()
    return {"read": t1 - t0, "concat": t2 - t1, "write": t3 - t2, "rows": len(data)}


def measure_kbbxl(box: synth.Inbox, out: Path) -> dict[str, float]:
    """kbbxl's merge of the inbox into a master workbook, timed by phase."""
    from kbbxl.merge import merge_inbox, write_outputs

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    result = merge_inbox(box.inbox, box.plan, timings=timings)
    t1 = time.perf_counter()
    write_outputs(result, out / "master.xlsx", force=True)
    t2 = time.perf_counter()
    found = len(result.data.activities)
    if found != box.activities or not result.valid:  # a merge that lost rows measures nothing
        raise SystemExit(f"kbbxl merged {found} of {box.activities} activities, "
                         f"{len(result.report.errors)} errors")
    # the phases inside merge_inbox add up to its wall time minus a few bookkeeping ms
    return {"read": timings["read"], "validate": t1 - t0 - timings["read"], "write": t2 - t1,
            "total": t2 - t0, "activities": found}


MEASURES: dict[str, Callable[[synth.Inbox, Path], dict[str, float]]] = {
    "calamine": measure_calamine, "naive": measure_naive, "kbbxl": measure_kbbxl,
}


def _child(method: str, root: Path) -> None:
    """Entry point of a measuring process: one measurement, one JSON line on stdout."""
    box = synth.Inbox(root=root, **json.loads((root / "manifest.json").read_text()))
    # imports are not what is measured: warm them before the clock starts
    import pandas  # noqa: F401
    import python_calamine  # noqa: F401

    if method == "kbbxl":
        import pandera.pandas  # noqa: F401  (the checks import it on first use)

        import kbbxl.merge  # noqa: F401
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        result = MEASURES[method](box, Path(tmp))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["maxrss_mb"] = max(own, kids) / 1024  # Linux reports KiB
    print(json.dumps(result))


# --- peak memory of a process tree -------------------------------------------------------------


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.extend(int(c) for c in f.read().split())
    except OSError:
        pass
    return out


def _memory(pid: int) -> int:
    """Bytes a process holds: its proportional set size (shared pages split between the
    processes sharing them, so forked workers are not counted twice), else its RSS."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _tree_memory(root_pid: int) -> int:
    """Bytes held by a process and all its descendants (Linux /proc; 0 elsewhere)."""
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += _memory(pid)
        todo.extend(_children(pid))
    return total


def _lowest_priority() -> None:
    """The calling thread at nice 19 (Linux: the nice value is a thread's own)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):  # not Linux: the sampler keeps its priority
        pass


def run_measurement(method: str, box: synth.Inbox) -> dict[str, float]:
    """One measurement in a fresh process; adds its peak memory in MB (`peak_mb`)."""
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--measure", method, str(box.root)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        # Reading smaps_rollup of an 850 MB process takes ~12 ms of kernel time, charged to
        # this thread: at full priority, four samples a second took 11-16 s of CPU over a
        # national kbbxl run (~5 % of a core), taken from its two busy workers, and nothing
        # from the floor, which leaves a core idle for the sampler. At nice 19 the sampler
        # gets a core when one is free and ~1.5 % of a busy one.
        nonlocal peak
        _lowest_priority()
        while not done.is_set():
            peak = max(peak, _tree_memory(proc.pid))
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{method} at N={box.n} failed:\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_mb"] = max(peak / 2**20, result.pop("maxrss_mb"))
    return result


# --- stored runs (--runs) --------------------------------------------------------------------


def code_version() -> str:
    """The kbbxl commit measured, "+dirty" when the tree has uncommitted changes."""
    root = HERE.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "kbbxl", "schemas",
                                "workbook_templates"], cwd=root, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown+dirty"
    return head + ("+dirty" if dirty else "")


@dataclass
class RunStore:
    """Measurements kept in a JSON file: one object per run, with what it measured and when."""

    path: Path
    runs: list[dict] = field(default_factory=list)
    version: str = field(default_factory=code_version)

    @classmethod
    def open(cls, path: Path) -> RunStore:
        runs = json.loads(path.read_text()) if path.exists() else []
        return cls(path, runs)

    def reusable(self, box: synth.Inbox, method: str) -> list[dict]:
        """Stored runs of `method` on this very inbox (for kbbxl: of this clean commit)."""
        return [r for r in self.runs
                if r.get("inbox") == box.root.name and r.get("method") == method
                and (method != "kbbxl" or (r.get("kbbxl") == self.version
                                           and not self.version.endswith("dirty")))]

    def add(self, box: synth.Inbox, method: str, result: dict) -> None:
        self.runs.append({"inbox": box.root.name, "method": method,
                          "kbbxl": self.version if method == "kbbxl" else None,
                          "when": time.strftime("%Y-%m-%d %H:%M"), **result})
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.runs, indent=1))
        tmp.replace(self.path)


# --- the run ---------------------------------------------------------------------------------


@dataclass
class Row:
    """Medians of the repeats of every method for one N (peak memory: the largest seen)."""

    box: synth.Inbox
    runs: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    #: method -> when its reused measurements were taken (--runs)
    reused: dict[str, list[str]] = field(default_factory=dict)

    def median(self, method: str, key: str) -> float:
        values = [r[key] for r in self.runs.get(method, ()) if key in r]
        return statistics.median(values) if values else float("nan")

    def peak(self, method: str) -> float:
        return max((r["peak_mb"] for r in self.runs.get(method, ())), default=float("nan"))

    def time(self, method: str) -> float:
        """Median wall time of a method's whole job."""
        return statistics.median(_took(method, r) for r in self.runs[method])

    @property
    def read_validate(self) -> float:
        return statistics.median(r["read"] + r["validate"] for r in self.runs["kbbxl"])

    def turns(self) -> list[float]:
        """kbbxl's read+validate over the floor, turn by turn (the n-th kbbxl run against the
        n-th calamine run, taken just before it): the ratio a drift of the machine's speed moves
        least. Empty when either method's runs were reused (taken at other times)."""
        if "kbbxl" in self.reused or "calamine" in self.reused:
            return []
        floor, kbbxl = self.runs.get("calamine", []), self.runs.get("kbbxl", [])
        # a job over REPEAT_BELOW_S runs once: the turns are as many as the fewer runs
        return [(k["read"] + k["validate"]) / c["read"]
                for c, k in zip(floor, kbbxl, strict=False)]


def bench(sizes: Sequence[int], repeats: dict[str, int], profile: str, workers: int,
          log: Callable[[str], None], methods: Sequence[str] = METHODS,
          cache: Path = synth.CACHE, store: RunStore | None = None,
          remeasure: Sequence[str] = ()) -> list[Row]:
    """Every method `repeats[method]` times for every N (once for a job over REPEAT_BELOW_S);
    measurements found in `store` count towards that (except for the methods in
    `remeasure`), new ones are added to it.

    The methods take turns (calamine, naive, kbbxl, calamine, ...) rather than each running
    all its repeats in a row: on a shared machine the speed drifts over minutes, and taking
    turns lets the drift fall on the floor and on kbbxl alike, not on their ratio."""
    rows = []
    for n in sizes:
        box = synth.build_inbox(n, profile, workers=workers, cache=cache)
        row = Row(box)
        for method in methods:
            k = repeats[method]
            old = (store.reusable(box, method)[-k:]
                   if store is not None and method not in remeasure else [])
            for r in old:
                numbers = {key: v for key, v in r.items() if isinstance(v, float | int)}
                row.runs.setdefault(method, []).append(numbers)
                row.reused.setdefault(method, []).append(r["when"])
                log(f"  N={n} {method}: reusing the run of {r['when']} from {store.path}")
        wanted = dict(repeats)
        for _turn in range(max((repeats[m] for m in methods), default=0)):
            for method in methods:
                done = row.runs.setdefault(method, [])
                if len(done) >= wanted[method]:
                    continue
                if done and _took(method, done[0]) > REPEAT_BELOW_S:
                    wanted[method] = len(done)
                    log(f"  N={n} {method}: not repeated (a run takes over "
                        f"{REPEAT_BELOW_S:.0f} s)")
                    continue
                r = run_measurement(method, box)
                if store is not None:
                    store.add(box, method, r)
                done.append(r)
                log(f"  N={n} {method} run {len(done)}/{repeats[method]}: " + ", ".join(
                    f"{key}={v:.2f}" for key, v in r.items() if isinstance(v, float)))
        rows.append(row)
    return rows


def _took(method: str, run: dict[str, float]) -> float:
    """Seconds a run of `method` took (its whole job)."""
    if method == "calamine":
        return run["read"]
    if method == "naive":
        return run["read"] + run["concat"] + run["write"]
    return run["total"]


def _mb(x: float) -> str:
    return f"{x:,.0f} MB"


def table(rows: Sequence[Row], markdown: bool = False) -> str:
    head = ["N", "files", "activity rows", "calamine floor", "naive pandas", "kbbxl read",
            "kbbxl validate", "kbbxl write", "kbbxl total", "kbbxl/calamine (read+validate)",
            "naive/kbbxl", "peak memory kbbxl", "peak memory naive"]
    body = []
    for r in rows:
        cal, naive, total = r.time("calamine"), r.time("naive"), r.time("kbbxl")
        body.append([
            f"{r.box.n:,}".replace(",", "."), str(len(r.box.files)),
            f"{r.box.activities:,}".replace(",", "."),
            f"{cal:.2f} s", f"{naive:.1f} s", f"{r.median('kbbxl', 'read'):.2f} s",
            f"{r.median('kbbxl', 'validate'):.2f} s", f"{r.median('kbbxl', 'write'):.2f} s",
            f"{total:.2f} s", f"{r.read_validate / cal:.2f}x", f"{naive / total:.1f}x",
            _mb(r.peak("kbbxl")), _mb(r.peak("naive")),
        ])
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(b) + " |" for b in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    return "\n".join(lines)


def ratio_lines(rows: Sequence[Row]) -> list[str]:
    """The lines the issue asks for: ratios against (a) and (b), and growth with N."""
    out = []
    for r in rows:
        rv, cal = r.read_validate, r.time("calamine")
        naive, total = r.time("naive"), r.time("kbbxl")
        turns = r.turns()
        by_turn = (f" (turn by turn: {', '.join(f'{t:.2f}x' for t in turns)})"
                   if len(turns) > 1 else "")
        out.append(
            f"N={r.box.n}: kbbxl read+validate / calamine read = {rv / cal:.2f}x{by_turn} "
            "(target <= 3x); "
            f"kbbxl total / naive pandas = {total / naive:.3f} "
            f"(kbbxl {naive / total:.1f}x faster, target >= 4x); "
            f"peak memory {_mb(r.peak('kbbxl'))} (target < 1 GB at N=1.400)"
        )
    growth = ", ".join(
        f"N={r.box.n}: {1000 * r.time('kbbxl') / r.box.n:.1f} ms/file "
        f"(calamine {1000 * r.time('calamine') / r.box.n:.1f}, "
        f"naive {1000 * r.time('naive') / r.box.n:.0f})"
        for r in rows
    )
    out.append(f"growth, time per file: {growth}")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        scale = (last.time("kbbxl") / first.time("kbbxl")) / (last.box.n / first.box.n)
        out.append(f"growth: N x{last.box.n / first.box.n:.0f} -> kbbxl time "
                   f"x{last.time('kbbxl') / first.time('kbbxl'):.1f} "
                   f"({scale:.2f} of linear)")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="N=21 and 140 with municipal-size files, one run each (< 1 minute)")
    ap.add_argument("--sizes", default="21,140,1400",
                    help="comma-separated N (default %(default)s)")
    ap.add_argument("--profile", choices=sorted(synth.PROFILES), default=None,
                    help="file size profile (default national; municipal with --quick)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per method and N (median)")
    ap.add_argument("--workers", type=int, default=2, help="processes generating inboxes")
    ap.add_argument("--methods", default=",".join(METHODS),
                    help="which of calamine,naive,kbbxl to run (default all; the ratio lines "
                         "need all three)")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--json", type=Path, help="write every run's numbers to this file")
    ap.add_argument("--runs", type=Path,
                    help="keep measurements in this JSON file and reuse those of the same "
                         "inboxes (kbbxl's only at the same clean commit)")
    ap.add_argument("--remeasure", default="",
                    help="comma-separated methods measured again even when --runs holds runs "
                         "of them (e.g. calamine, to take turns with a new kbbxl commit)")
    ap.add_argument("--measure", nargs=2, metavar=("METHOD", "ROOT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        _child(args.measure[0], Path(args.measure[1]))
        return 0

    if args.quick:
        sizes, profile = [21, 140], args.profile or "municipal"
        repeats = {"calamine": 1, "naive": 1, "kbbxl": 1}
    else:
        sizes = [int(s) for s in args.sizes.split(",")]
        profile = args.profile or "national"
        repeats = {m: args.repeats for m in METHODS}

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = time.perf_counter()
    methods = [m for m in args.methods.split(",") if m]
    store = RunStore.open(args.runs) if args.runs else None
    rows = bench(sizes, repeats, profile, args.workers, log, methods, store=store,
                 remeasure=[m for m in args.remeasure.split(",") if m])
    if set(methods) != set(METHODS):
        return 0  # a partial run: the per-run lines above are its result
    took = time.perf_counter() - started
    print(f"profile {profile}; medians of {args.repeats if not args.quick else 1} runs "
          f"(one of a job over {REPEAT_BELOW_S:.0f} s); "
          f"{os.cpu_count()} CPUs; took {took:.0f} s")
    print(table(rows, args.markdown))
    for line in ratio_lines(rows):
        print(line)
    for r in rows:
        for method, when in r.reused.items():
            print(f"N={r.box.n} {method}: {len(when)} measurement(s) reused from {args.runs}, "
                  f"taken {', '.join(when)}")
    if args.json:
        args.json.write_text(json.dumps(
            [{"n": r.box.n, "profile": r.box.profile, "files": len(r.box.files),
              "activities": r.box.activities, "indicators": r.box.indicators, "runs": r.runs}
             for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
