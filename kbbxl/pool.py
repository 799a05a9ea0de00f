"""Reading and checking an inbox's files in chunks, in worker processes when it pays.

Reading and checking one form does not depend on the others (the cross-file checks run
afterwards, on the results), so a big inbox is cut into chunks of a few files that worker
processes read and check with the same functions as the single-process path. Workers are
started only for an inbox big enough to repay their start (see _start_method).

Only what the rest of a merge uses comes back from a chunk (see `slim`): at national scale
(~1.400 files) the raw cells of every form would take several GB.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

from kbbxl.bulk import collector_paused
from kbbxl.checks import FormCheck, check_forms
from kbbxl.model import Program
from kbbxl.raw import RawForm

#: Files read and checked together: one pandera run per table per chunk, and a bounded
#: number of raw forms in memory at a time.
CHUNK_FILES = 16
#: Inboxes smaller than this are read in one process when workers would be spawned (each
#: imports kbbxl, pandas and pandera again, ~2 s): ~50 national-size or ~500 small forms.
PARALLEL_BYTES = 16 * 2**20
#: The same for forked workers, which start in milliseconds: from half a megabyte (a little
#: more than the 2021 example's 21 forms) two processes read an inbox in ~0,6 of the time of
#: one (measured on 21 synthetic municipal forms, 0,56 MB, and 140, 3,5 MB).
PARALLEL_BYTES_FORK = 512 * 2**10
#: Set to a number of processes to override the choice (1: never start workers).
WORKERS_ENV = "KBBXL_WORKERS"

Progress = Callable[[int, int, str], None]  # (done, total, file name)


def worker_count(files: Sequence[Path]) -> int:
    """Processes to read `files` with: the CPUs this process may use, for a big inbox."""
    wanted = os.environ.get(WORKERS_ENV, "").strip()
    if wanted.isdigit():
        return max(1, min(int(wanted), len(files)))
    least = PARALLEL_BYTES_FORK if _start_method() == "fork" else PARALLEL_BYTES
    if len(files) < 2 or sum(p.stat().st_size for p in files) < least:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, len(files)))


def chunks(files: Sequence[Path], workers: int = 1) -> list[list[Path]]:
    """Files in order, cut so that every worker gets several chunks (load balance)."""
    size = max(1, min(CHUNK_FILES, -(-len(files) // (4 * workers))))
    return [list(files[i:i + size]) for i in range(0, len(files), size)]


def slim(check: FormCheck) -> FormCheck:
    """A checked form with what the rest of a merge uses: metadata, findings, issues, the
    clean data and what was sent (a form with issues only, see FormCheck.sent) stay; the raw
    cells go."""
    form = check.form
    light = RawForm(form.path, form.meta, [], list(form.findings), form.fingerprint)
    return replace(check, form=light)


def _read_and_check(program: Program, paths: Sequence[Path],
                    progress: Callable[[Path], None] | None = None
                    ) -> tuple[list[FormCheck], float, float]:
    """(slim checks, seconds reading, seconds checking) of some files.

    The cyclic garbage collector is paused for the chunk (see collector_paused); the chunk
    is small (CHUNK_FILES), so the cycles it makes wait only until its end.
    """
    from kbbxl.merge import read_submission

    with collector_paused():
        t0 = time.perf_counter()
        forms = []
        for path in paths:
            forms.append(read_submission(path))
            if progress is not None:
                progress(path)
        t1 = time.perf_counter()
        checks = [slim(c) for c in check_forms(program, forms)]
        del forms
        return checks, t1 - t0, time.perf_counter() - t1


def _start_method() -> str:
    """"fork" on Linux when this process runs no other thread: fast, and the caller's script
    is not imported again (a script without an `if __name__ == "__main__"` guard works).
    Otherwise "spawn", the method that is safe with threads (a progress bar's) and on every OS.
    """
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _largest_first(parts: Sequence[Sequence[Path]]) -> list[int]:
    """Indexes of the chunks, the most bytes first: workers take chunks in this order, so
    the last ones to start are small and the workers finish close together (a national
    inbox's departments differ several times in size)."""
    size = [sum(p.stat().st_size for p in part) for part in parts]
    return sorted(range(len(parts)), key=lambda i: -size[i])


_PROGRAM: list[Program] = []  # the plan, once per worker process


def _init_worker(program: Program) -> None:
    _PROGRAM[:] = [program]
    gc.freeze()  # the plan lives as long as the worker: collections need not walk it


def _worker_chunk(paths: list[Path]) -> tuple[bytes, float, float]:
    """A chunk's checks pickled (see check_files for why), seconds reading and checking."""
    checks, read, validate = _read_and_check(_PROGRAM[0], paths)
    return pickle.dumps(checks, pickle.HIGHEST_PROTOCOL), read, validate


def check_files(program: Program, files: Sequence[Path], progress: Progress | None = None,
                timings: dict[str, float] | None = None, workers: int | None = None
                ) -> list[FormCheck]:
    """Read and check every file (in file order), in `workers` processes (default: chosen
    by worker_count). timings receives "read" and "validate" seconds; with workers, the wall
    time is split between the two as the workers' own times were."""
    workers = worker_count(files) if workers is None else workers
    t0 = time.perf_counter()
    read = validate = 0.0
    done = 0
    results: list[list[FormCheck]] = []
    if workers <= 1:
        def tick(path: Path) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, len(files), path.name)

        for chunk in chunks(files):
            checks, r, v = _read_and_check(program, chunk, tick)
            results.append(checks)
            read, validate = read + r, validate + v
    else:
        parts = chunks(files, workers)
        # A chunk's checks stay pickled (~3x smaller) until the workers are gone: the peak of
        # a national merge is the end of reading, when this process holds every result and
        # the workers are at their largest. Forked workers start with the parent's objects
        # (the plan: ~135.000 targets at national scale) frozen and its lookups built, so
        # they neither walk, copy nor rebuild those pages; this process's collector waits too.
        blobs: list[bytes] = [b""] * len(parts)
        program.build_lookups()
        context = multiprocessing.get_context(_start_method())
        with collector_paused():
            gc.freeze()
            try:
                with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                                         initargs=(program,)) as executor:
                    futures = {executor.submit(_worker_chunk, parts[i]): i
                               for i in _largest_first(parts)}
                    for future in as_completed(futures):
                        blob, r, v = future.result()
                        i = futures[future]
                        blobs[i] = blob
                        read, validate = read + r, validate + v
                        for path in parts[i]:
                            done += 1
                            if progress is not None:
                                progress(done, len(files), path.name)
            finally:
                gc.unfreeze()
            for i, blob in enumerate(blobs):
                results.append(pickle.loads(blob))
                blobs[i] = b""
        wall = time.perf_counter() - t0
        share = read / (read + validate) if read + validate else 1.0
        read, validate = wall * share, wall * (1 - share)
    if timings is not None:
        timings["read"] = timings.get("read", 0.0) + read
        timings["validate"] = timings.get("validate", 0.0) + validate
    return [c for part in results for c in part]
