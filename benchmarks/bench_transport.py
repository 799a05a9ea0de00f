"""Times how the workers' rows cross to the merge: a form's CardData pickled as columns (what
kbbxl does, model.CardData.__reduce__) against one reduce per record (how it went before), on
the rows of synthetic national forms; prints ms per form and the ratios.

The workers pickle (in parallel) and the merge unpickles every form after the workers are gone
(serially: ~1.400 forms at national scale), so both directions count.

    python benchmarks/bench_transport.py              # 140 national forms, chunks of 16
    python benchmarks/bench_transport.py --forms 21 --repeats 5
"""

from __future__ import annotations

import argparse
import gc
import pickle
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth  # noqa: E402  (puts the checkout on sys.path)

from kbbxl.form import sheet_name_for  # noqa: E402
from kbbxl.model import CardData, Source  # noqa: E402


def forms(n: int) -> list[CardData]:
    """One CardData per department of a synthetic national plan, each row with its Source,
    its texts as the reader gives them: a name is a string of its own in every row (synth's
    rows share the example's string objects, which pickle would send once), a unit one of the
    vocabulary's, the target code and the sheet name one per card, the file name one per
    form."""
    program = synth.synth_program(n, "national")
    data = synth.synth_cards(program)
    out = []
    for dept in program.departments:
        file = f"{program.year}_{dept.code}.xlsx"
        codes = {t.code for t in program.targets_of(dept.code)}
        sheets = {code: sheet_name_for(code) for code in codes}
        rows: dict[str, list] = {"indicators": [], "activities": []}
        for table in rows:
            for i, r in enumerate(r for r in getattr(data, table) if r.target in codes):
                source = Source(file, sheets[r.target], 10 + i % 40)
                rows[table].append(replace(r, source=source, name=_copy(r.name)))
        out.append(CardData(tuple(rows["indicators"]), tuple(rows["activities"])))
    return out


def _copy(text: str) -> str:
    """An equal string that is a new object."""
    return (text + " ")[:-1]


def _best(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def measure(chunks: list[list[CardData]], repeats: int) -> dict[str, tuple[float, float]]:
    """(seconds to pickle, seconds to unpickle) of all the chunks, best of `repeats`, for the
    columns (CardData as it is) and for one reduce per record (its rows as tuples)."""
    ways: dict[str, Callable[[list[CardData]], object]] = {
        "columns": lambda chunk: chunk,
        "records": lambda chunk: [(d.indicators, d.activities) for d in chunk],
    }
    out = {}
    for name, payload in ways.items():
        items = [payload(c) for c in chunks]
        blobs = [pickle.dumps(x, pickle.HIGHEST_PROTOCOL) for x in items]
        dump = _best(lambda items=items: [pickle.dumps(x, pickle.HIGHEST_PROTOCOL)
                                          for x in items], repeats)
        load = _best(lambda blobs=blobs: [pickle.loads(b) for b in blobs], repeats)
        out[name] = (dump, load)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--forms", type=int, default=140, help="national forms (default 140)")
    ap.add_argument("--chunk", type=int, default=16, help="forms per chunk (kbbxl.pool: 16)")
    ap.add_argument("--repeats", type=int, default=15, help="best of this many (default 15)")
    args = ap.parse_args(argv)
    data = forms(args.forms)
    back = pickle.loads(pickle.dumps(data, pickle.HIGHEST_PROTOCOL))
    if back != data:
        raise SystemExit("the columns did not come back equal")
    chunks = [data[i:i + args.chunk] for i in range(0, len(data), args.chunk)]
    rows = sum(len(d.indicators) + len(d.activities) for d in data)
    gc.disable()  # as in the workers and the merge (kbbxl.bulk.collector_paused)
    found = measure(chunks, args.repeats)
    n = len(data)
    print(f"{n} national forms, {rows / n:.0f} rows per form, chunks of {args.chunk}, "
          f"best of {args.repeats}")
    for name, (dump, load) in found.items():
        print(f"  {name:8s} pickle {1000 * dump / n:.2f} ms/form, "
              f"unpickle {1000 * load / n:.2f} ms/form")
    (cd, cl), (rd, rl) = found["columns"], found["records"]
    print(f"columns/records: pickle {cd / rd:.2f}x, unpickle {cl / rl:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
