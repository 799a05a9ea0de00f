"""Synthetic plans and filled inboxes of N departments for the benchmarks (seeded, cached).

Card contents are resampled from the Kocaeli 2021 example (Turkish activity and indicator
names, units, amounts, card sizes), so the files look like what departments send. Every file
is written by kbbxl's own form writer (kbbxl.templates.write_form, the function write_forms
loops over), two processes at a time, into a cache folder that is reused while the form
layout and this generator stay unchanged (--regenerate rebuilds it).

Profiles (what one file holds):
- "national": one file = one municipality's whole program, ~97 cards (87–107) of ~2.9
  activities and ~3.7 indicators each (the example's per-card distributions), so that
  1.400 files hold ~400.000 activity rows (issue 7's national scale);
- "municipal": one file = one department of one municipality, 2–11 cards (the example's
  distribution of cards per department, ~4.7), i.e. N=21 is a Kocaeli-sized year.

    python benchmarks/synth.py 140 --profile national   # build (or find) the inbox, print its path
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "kocaeli-2021"
CACHE = Path(__file__).resolve().parent / ".cache"
#: bump when the generated data changes meaning (the writer's sources are hashed anyway)
SYNTH_VERSION = "1"

if str(ROOT) not in sys.path:  # running as a script from a checkout
    sys.path.insert(0, str(ROOT))

from kbbxl.model import (  # noqa: E402
    Activity,
    CardData,
    Department,
    Indicator,
    PerformanceTarget,
    Program,
)


@dataclass(frozen=True)
class Profile:
    """How big one synthetic file is: cards per file (inclusive range or the example's)."""

    name: str
    cards: tuple[int, int] | None  # None: resample the example's cards-per-department


PROFILES = {
    "national": Profile("national", (87, 107)),
    "municipal": Profile("municipal", None),
}


@dataclass(frozen=True)
class Inbox:
    """A generated year: plan.xlsx beside inbox/ (the layout `kbbxl merge` expects)."""

    root: Path
    n: int
    profile: str
    seed: int
    targets: int
    activities: int
    indicators: int

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def plan(self) -> Path:
        return self.root / "plan.xlsx"

    @property
    def files(self) -> list[Path]:
        return sorted(self.inbox.glob("*.xlsx"))


# --- the pools we resample from --------------------------------------------------------------


@lru_cache(maxsize=1)
def _example() -> tuple[Program, CardData]:
    from kbbxl.textdata import read_text_cards, read_text_plan

    return read_text_plan(EXAMPLE / "plan"), read_text_cards(EXAMPLE / "cards")


def _per_card(items: tuple) -> list[int]:
    """Sizes of the example's cards (one entry per card that has any)."""
    return list(Counter(i.target for i in items).values())


# --- the plan ----------------------------------------------------------------------------------


def synth_program(n: int, profile: str = "national", seed: int = 2021) -> Program:
    """A plan of `n` departments with the example's hierarchy and realistic card counts."""
    ex, _ = _example()
    prof = PROFILES[profile]
    rnd = random.Random(f"program-{profile}-{n}-{seed}")
    per_dept = Counter(t.department for t in ex.targets)
    dept_sizes = list(per_dept.values())
    dept_names = [d.name for d in ex.departments]
    objectives = [o.code for o in ex.objectives]
    target_texts = [t.text for t in ex.targets]
    number: Counter[str] = Counter()
    departments, targets = [], []
    for d in range(n):
        code = f"B{d + 1:04d}"
        departments.append(Department(code, f"{rnd.choice(dept_names)} ({d + 1})"))
        k = rnd.randint(*prof.cards) if prof.cards else rnd.choice(dept_sizes)
        for objective in rnd.sample(objectives, k) if k <= len(objectives) else (
                rnd.choices(objectives, k=k)):
            number[objective] += 1
            axis, goal, obj = objective.split(".")
            targets.append(PerformanceTarget(
                f"{axis}/PH.{goal}.{obj}.{number[objective]}", rnd.choice(target_texts), code))
    targets.sort(key=lambda t: t.parsed)
    return dataclasses.replace(
        ex, institution=f"SENTETİK KURUM ({profile}, {n})", departments=tuple(departments),
        targets=tuple(targets),
    )


def synth_cards(program: Program, seed: int = 2021) -> CardData:
    """Filled cards for every target: sizes, names, units and amounts drawn from the example."""
    _, cards = _example()
    rnd = random.Random(f"cards-{program.institution}-{seed}")
    n_act, n_ind = _per_card(cards.activities), _per_card(cards.indicators)
    acts, inds = cards.activities, cards.indicators
    activities: list[Activity] = []
    indicators: list[Indicator] = []
    for t in program.targets:
        # names are unique within a card (a repeated name is a duplicate row to the checks)
        for seq, i in enumerate(_distinct(rnd, inds, rnd.choice(n_ind)), start=1):
            indicators.append(Indicator(t.code, seq, i.name, i.unit, i.past2, i.past1, i.goal))
        for seq, a in enumerate(_distinct(rnd, acts, rnd.choice(n_act)), start=1):
            scale = rnd.uniform(0.5, 1.5)
            # whole thousands of lira, as budgets are written; zero stays zero
            amounts = {c: float(round(v * scale, -3)) for c, v in a.amounts.items()}
            activities.append(Activity(t.code, seq, a.name, amounts))
    return CardData(tuple(indicators), tuple(activities))


def _distinct(rnd: random.Random, pool: tuple, k: int) -> list:
    """k items of the pool with k different names."""
    out, names = [], set()
    while len(out) < k:
        item = rnd.choice(pool)
        if item.name.casefold() not in names:
            names.add(item.name.casefold())
            out.append(item)
    return out


# --- writing, cached -----------------------------------------------------------------------------


def _layout_hash() -> str:
    """Changes with the form layout (FORMAT_VERSION, form.toml) and with this generator.

    Other changes to the writer keep the cache: generating 1.400 files takes many minutes.
    bench_merge.py refuses to time an inbox that does not merge cleanly, and --regenerate
    (or deleting benchmarks/.cache) rebuilds it.
    """
    from kbbxl import form

    h = hashlib.sha256(f"{SYNTH_VERSION}-{form.FORMAT_VERSION}".encode())
    for rel in ("workbook_templates/form.toml", "benchmarks/synth.py"):
        h.update((ROOT / rel).read_bytes())
    return h.hexdigest()[:10]


_WORKER: dict = {}


def _init_worker(program: Program, fills: dict, out: Path) -> None:
    _WORKER.update(program=program, fills=fills, out=out)


def _write_one(dept: str) -> str:
    from kbbxl import form
    from kbbxl.templates import write_form

    program, fills, out = _WORKER["program"], _WORKER["fills"], _WORKER["out"]
    own = {t.code: fills[t.code] for t in program.targets_of(dept) if t.code in fills}
    return write_form(program, dept, out / form.form_file_name(program, dept), own).name


def build_inbox(n: int, profile: str = "national", seed: int = 2021, *, cache: Path = CACHE,
                workers: int = 2, quiet: bool = False, regenerate: bool = False) -> Inbox:
    """The inbox of `n` departments (generated once, then found in the cache)."""
    root = cache / f"{profile}-n{n}-s{seed}-{_layout_hash()}"
    manifest = root / "manifest.json"
    if manifest.exists() and not regenerate:
        return Inbox(root=root, **json.loads(manifest.read_text()))
    from kbbxl.plan import write_plan
    from kbbxl.templates import fills_from_carddata

    started = time.perf_counter()
    if root.exists():  # a half-built earlier attempt
        shutil.rmtree(root)
    (root / "inbox").mkdir(parents=True)
    program = synth_program(n, profile, seed)
    data = synth_cards(program, seed)
    # the budget balances (Genel Toplam = budget), as in a finished year
    in_cards = sum(a.total for a in data.activities)
    program = dataclasses.replace(
        program, budget=in_cards + program.general_administration_total + program.transfers_total)
    write_plan(program, root / "plan.xlsx")
    fills = fills_from_carddata(data)
    depts = [d.code for d in program.departments]
    if workers > 1 and n > 1:
        ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ctx.Pool(workers, _init_worker, (program, fills, root / "inbox")) as pool:
            for _ in pool.imap_unordered(_write_one, depts, chunksize=max(1, n // (8 * workers))):
                pass
    else:
        _init_worker(program, fills, root / "inbox")
        for d in depts:
            _write_one(d)
    info = {"n": n, "profile": profile, "seed": seed, "targets": len(program.targets),
            "activities": len(data.activities), "indicators": len(data.indicators)}
    manifest.write_text(json.dumps(info, indent=1))
    if not quiet:
        print(f"generated {n} files ({profile}) in {time.perf_counter() - started:.1f} s: {root}",
              file=sys.stderr)
    return Inbox(root=root, **info)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of departments (files)")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="national")
    ap.add_argument("--seed", type=int, default=2021)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--regenerate", action="store_true", help="rebuild even when cached")
    args = ap.parse_args(argv)
    box = build_inbox(args.n, args.profile, args.seed, workers=args.workers,
                      regenerate=args.regenerate)
    print(f"{box.root}\t{box.n} files, {box.targets} targets, {box.activities} activities, "
          f"{box.indicators} indicators")


if __name__ == "__main__":
    main()
