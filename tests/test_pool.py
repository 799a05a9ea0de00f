"""Reading an inbox in worker processes gives the same merge as reading it in one process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from broken import Kit, make_kit

from kbbxl import bulk, pool
from kbbxl.merge import merge_inbox


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    return make_kit(tmp_path_factory.mktemp("pool-kit"))


@pytest.fixture(scope="module")
def inbox(kit: Kit, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every department of the example; one typed text in an amount, one file truncated."""
    root = tmp_path_factory.mktemp("pool")
    depts = sorted(kit.clean)
    typo, cut = depts[0], depts[1]
    fills = kit.fills(typo)
    fills[kit.first_target(typo)]["activities"][0]["ec03"] = "on bin"
    wrong = kit.write(typo, root / "typo.xlsx", fills)
    truncated = root / "cut.xlsx"
    truncated.write_bytes(kit.clean[cut].read_bytes()[:2000])
    return kit.inbox(root / "year", {typo: wrong, cut: truncated})


def _merge(inbox: Path, monkeypatch: pytest.MonkeyPatch, workers: str) -> tuple:
    monkeypatch.setenv(pool.WORKERS_ENV, workers)
    timings: dict[str, float] = {}
    result = merge_inbox(inbox, timings=timings)
    assert timings["read"] > 0 and timings["validate"] > 0
    return result, (result.report.rows(), result.data, result.counts,
                    [(c.file, c.department, c.accepted, c.issues, c.sent) for c in result.checks])


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_workers_merge_exactly_as_one_process(inbox: Path, monkeypatch: pytest.MonkeyPatch,
                                              method: str) -> None:
    if method == "fork" and not sys.platform.startswith("linux"):
        pytest.skip("fork is used on Linux only")
    result, one = _merge(inbox, monkeypatch, "1")
    monkeypatch.setattr(pool, "_start_method", lambda: method)
    _, two = _merge(inbox, monkeypatch, "2")
    assert two == one
    assert len(result.data.activities) > 200
    assert {(i.code, i.cell) for i in result.report.errors} == {("not-a-number", "C33"),
                                                                 ("zip-truncated", "")}


def test_checks_keep_only_what_the_merge_uses(inbox: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    result, _ = _merge(inbox, monkeypatch, "1")
    for check in result.checks:
        assert check.form.cards == []  # the raw cells are not kept
        assert bool(check.sent) == bool(check.issues and check.form.meta is not None)


def test_chunks_keep_file_order_and_balance() -> None:
    files = [Path(f"{i:04d}.xlsx") for i in range(100)]
    parts = pool.chunks(files, workers=2)
    assert [f for part in parts for f in part] == files
    assert len(parts) >= 8 and max(len(p) for p in parts) <= pool.CHUNK_FILES


def test_forked_workers_start_for_smaller_inboxes_than_spawned_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.delenv(pool.WORKERS_ENV, raising=False)
    files = []
    for i in range(2):
        files.append(tmp_path / f"{i}.xlsx")
        files[-1].write_bytes(b"x" * (pool.PARALLEL_BYTES_FORK // 2 + 1))
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    cpus = min(len(usable) if usable is not None else os.cpu_count() or 1, 2)
    monkeypatch.setattr(pool, "_start_method", lambda: "fork")
    assert pool.worker_count(files) == cpus
    assert pool.worker_count(files[:1]) == 1  # one file: nothing to share
    files[1].write_bytes(b"x")
    assert pool.worker_count(files) == 1  # too small to repay even a fork
    files[1].write_bytes(b"x" * (pool.PARALLEL_BYTES_FORK // 2 + 1))
    monkeypatch.setattr(pool, "_start_method", lambda: "spawn")
    assert pool.worker_count(files) == 1  # spawned workers import everything again


def test_the_largest_chunks_go_first(tmp_path: Path) -> None:
    sizes = [3, 50, 7, 50, 1]
    parts = []
    for i, size in enumerate(sizes):
        (tmp_path / f"{i}.xlsx").write_bytes(b"x" * size)
        parts.append([tmp_path / f"{i}.xlsx"])
    assert pool._largest_first(parts) == [1, 3, 2, 0, 4]


def test_collector_paused_restores_the_collector_as_it_was() -> None:
    import gc

    assert gc.isenabled()
    with pytest.raises(ValueError), bulk.collector_paused():
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller's own pause is left alone
    finally:
        gc.enable()


def test_progress_names_every_file_once_with_workers(inbox: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int, str]] = []
    monkeypatch.setenv(pool.WORKERS_ENV, "2")
    result = merge_inbox(inbox, progress=lambda done, total, name: seen.append((done, total,
                                                                                 name)))
    files = sorted(c.file for c in result.checks)
    assert [d for d, _, _ in seen] == list(range(1, len(files) + 1))
    assert {t for _, t, _ in seen} == {len(files)}
    assert sorted(n for _, _, n in seen) == files


def test_plan_lookups_are_built_before_workers_start(kit: Kit) -> None:
    from functools import cached_property

    from kbbxl.merge import load_program
    from kbbxl.model import Program

    program = load_program(kit.plan)
    lookups = {n for n, a in vars(Program).items() if isinstance(a, cached_property)}
    assert "_targets" in lookups and not lookups & set(vars(program))
    program.build_lookups()
    assert lookups <= set(vars(program))
