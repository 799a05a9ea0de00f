"""`kbbxl merge` and `kbbxl validate` through click's CliRunner: exit codes, messages, options.

A small plan of three departments keeps each merge fast; the full example is merged in
tests/test_merge_example.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from broken import Kit, make_kit
from click.testing import CliRunner

from kbbxl.cli import cli
from kbbxl.merge import merge_inbox, validate_file, write_outputs

DEPTS = ("KENTTARIHI", "MALI", "ZABITA")


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    return make_kit(tmp_path_factory.mktemp("small"), DEPTS)


@pytest.fixture(scope="module")
def broken_form(kit: Kit, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """MALI's form with "abc" in an amount cell: (path, sheet, cell)."""
    f = kit.fills("MALI")
    t = kit.first_target("MALI")
    f[t]["activities"][0]["ec03"] = "abc"
    path = kit.write("MALI", tmp_path_factory.mktemp("mali") / kit.file("MALI"), f)
    return path, kit.sheet(t), kit.act_cell(t, 0, "ec03")


@pytest.fixture(scope="module")
def warned_form(kit: Kit, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ZABITA's form with a unit outside the vocabulary (a warning only)."""
    f = kit.fills("ZABITA")
    t = kit.first_target("ZABITA")
    f[t]["indicators"][0]["unit"] = "Parsek"
    return kit.write("ZABITA", tmp_path_factory.mktemp("zabita") / kit.file("ZABITA"), f)


def _merge(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["merge", *args])


def test_clean_inbox_exits_0_and_writes_the_master(kit: Kit, tmp_path: Path) -> None:
    inbox = kit.inbox(tmp_path)
    result = _merge(str(inbox))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "master.xlsx").is_file()
    assert "Hata yok." in result.output
    for dept in DEPTS:
        name = kit.program.department(dept).name
        line = next(x for x in result.output.splitlines() if name in x)
        assert "tamam" in line
    assert not (tmp_path / "iade").exists()


def test_errors_exit_1_name_the_cell_and_still_write_the_master(
    kit: Kit, tmp_path: Path, broken_form: tuple[Path, str, str]
) -> None:
    path, sheet, cell = broken_form
    inbox = kit.inbox(tmp_path, {"MALI": path})
    result = _merge(str(inbox))
    assert result.exit_code == 1
    assert f"{kit.file('MALI')} / {sheet} / {cell}: " in result.output
    assert "sütununda sayı bekleniyor, 'abc' yazılmış." in result.output
    assert "[not-a-number]" in result.output
    assert "1 hata, 0 uyarı bulundu." in result.output
    assert (tmp_path / "master.xlsx").is_file()
    assert (tmp_path / "iade" / kit.file("MALI")).is_file()


def test_strict_with_errors_writes_no_master(
    kit: Kit, tmp_path: Path, broken_form: tuple[Path, str, str]
) -> None:
    inbox = kit.inbox(tmp_path, {"MALI": broken_form[0]})
    result = _merge(str(inbox), "--strict")
    assert result.exit_code == 1
    assert "YAZILMADI" in result.output
    assert not (tmp_path / "master.xlsx").exists()


def test_warnings_alone_exit_0_even_with_strict(
    kit: Kit, tmp_path: Path, warned_form: Path
) -> None:
    inbox = kit.inbox(tmp_path, {"ZABITA": warned_form})
    result = _merge(str(inbox), "--strict")
    assert result.exit_code == 0, result.output
    assert "Hata yok, 1 uyarı var." in result.output
    assert (tmp_path / "master.xlsx").is_file()


def test_missing_department_exits_1(kit: Kit, tmp_path: Path) -> None:
    inbox = kit.inbox(tmp_path, {"ZABITA": None})
    result = _merge(str(inbox), "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    zabita = next(d for d in data["departments"] if d["code"] == "ZABITA")
    assert zabita["status"] == "gönderilmedi"
    assert [i["code"] for i in data["issues"]] == ["missing-department"]


def test_the_progress_bar_leaves_workers_the_fast_start(kit: Kit, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from kbbxl import cli as cli_module
    from kbbxl import pool

    methods: list[str] = []
    choose = pool._start_method
    monkeypatch.setattr(pool, "_start_method", lambda: methods.append(choose()) or methods[-1])
    monkeypatch.setattr(cli_module, "_PROGRESS_FILES", 0)  # the bar shows
    monkeypatch.setenv(pool.WORKERS_ENV, "2")
    result = _merge(str(kit.inbox(tmp_path)))
    assert result.exit_code == 0, result.output
    assert methods == ["fork" if sys.platform.startswith("linux") else "spawn"]


def test_a_master_inside_the_inbox_is_refused_before_anything_is_read(kit: Kit,
                                                                      tmp_path: Path) -> None:
    inbox = kit.inbox(tmp_path)
    before = sorted(p.name for p in inbox.iterdir())
    result = _merge(str(inbox), "-o", str(inbox / "ana.xlsx"))
    assert result.exit_code == 2
    assert "dönen formların klasörüne yazılamaz" in result.output
    assert sorted(p.name for p in inbox.iterdir()) == before
    assert not (tmp_path / "iade").exists() and not (tmp_path / "master.xlsx").exists()


def test_existing_master_is_backed_up_unless_force(kit: Kit, tmp_path: Path) -> None:
    inbox = kit.inbox(tmp_path)
    out = tmp_path / "out" / "ana.xlsx"
    assert _merge(str(inbox), "-o", str(out)).exit_code == 0
    first = out.read_bytes()
    result = _merge(str(inbox), "-o", str(out))
    assert result.exit_code == 0
    backups = sorted(out.parent.glob("ana.yedek-*.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == first
    assert "yedeklendi" in result.output and backups[0].name in result.output
    assert _merge(str(inbox), "-o", str(out), "--force").exit_code == 0
    assert sorted(out.parent.glob("ana.yedek-*.xlsx")) == backups


def test_backup_name_carries_the_time(kit: Kit, tmp_path: Path) -> None:
    inbox = kit.inbox(tmp_path)
    result = merge_inbox(inbox)
    write_outputs(result)
    outputs = write_outputs(result, now=datetime(2021, 10, 5, 14, 30, 7))
    assert outputs.backup == tmp_path / "master.yedek-20211005-143007.xlsx"


def test_json_equals_the_library_report(
    kit: Kit, tmp_path: Path, broken_form: tuple[Path, str, str]
) -> None:
    inbox = kit.inbox(tmp_path, {"MALI": broken_form[0]})
    out = tmp_path / "m.xlsx"
    result = _merge(str(inbox), "--json", "-o", str(out))
    assert result.exit_code == 1
    printed = json.loads(result.output)
    library = merge_inbox(inbox).as_dict()
    assert printed["outputs"]["master"] == str(out)
    assert printed["outputs"]["returned"] == [str(tmp_path / "iade" / kit.file("MALI"))]
    printed["outputs"] = None
    assert printed == library
    assert [(i["code"], i["cell"]) for i in printed["issues"]] == [
        ("not-a-number", broken_form[2])]


def test_validate_a_clean_file(kit: Kit) -> None:
    result = CliRunner().invoke(cli, ["validate", str(kit.clean["ZABITA"])])
    assert result.exit_code == 0, result.output
    assert "Hata yok." in result.output
    # one department, no complaint about the others that were not given
    assert kit.program.department("MALI").name not in result.output


def test_validate_a_broken_file(kit: Kit, broken_form: tuple[Path, str, str],
                                tmp_path: Path) -> None:
    path, sheet, cell = broken_form
    result = CliRunner().invoke(cli, ["validate", str(path), "--plan", str(kit.plan), "--json"])
    assert result.exit_code == 1
    printed = json.loads(result.output)
    assert printed == validate_file(path, kit.plan).as_dict()
    assert [(i["code"], i["sheet"], i["cell"]) for i in printed["issues"]] == [
        ("not-a-number", sheet, cell)]
    assert not list(path.parent.glob("*.yedek-*")) and not (path.parent / "iade").exists()


def test_validate_finds_the_plan_beside_the_inbox(kit: Kit, tmp_path: Path) -> None:
    inbox = kit.inbox(tmp_path)
    result = validate_file(inbox / kit.file("MALI"))
    assert result.plan_path == tmp_path / "plan.xlsx"
    assert result.valid and result.figures()["activities"] == len(
        kit.department_data("MALI").activities)


def test_missing_plan_is_a_turkish_message_not_a_traceback(kit: Kit, tmp_path: Path) -> None:
    lone = tmp_path / "a" / "b" / kit.file("MALI")
    lone.parent.mkdir(parents=True)
    lone.write_bytes(kit.clean["MALI"].read_bytes())
    proc = subprocess.run([sys.executable, "-m", "kbbxl", "validate", str(lone)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Hata: Plan bulunamadı (")
    assert "--plan ile plan.xlsx dosyasını verin." in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_real_process_exit_code_follows_the_report(
    kit: Kit, tmp_path: Path, broken_form: tuple[Path, str, str]
) -> None:
    inbox = kit.inbox(tmp_path, {"MALI": broken_form[0]})
    proc = subprocess.run([sys.executable, "-m", "kbbxl", "merge", str(inbox), "--json"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["errors"] == 1


def test_a_stale_returned_copy_is_removed_once_the_department_is_clean(
    kit: Kit, tmp_path: Path, broken_form: tuple[Path, str, str]
) -> None:
    inbox = kit.inbox(tmp_path, {"MALI": broken_form[0]})
    first = write_outputs(merge_inbox(inbox))
    copy = tmp_path / "iade" / kit.file("MALI")
    assert first.returned == (copy,) and copy.is_file()
    (inbox / kit.file("MALI")).write_bytes(kit.clean["MALI"].read_bytes())  # the corrected file
    second = write_outputs(merge_inbox(inbox), force=True)
    assert second.returned == () and second.removed == (copy,)
    assert not copy.exists()


def test_hidden_files_and_a_plan_inside_the_inbox(kit: Kit, tmp_path: Path) -> None:
    inbox = kit.inbox(tmp_path, extra=[(".~lock.2021_MALI.xlsx#", b"x"), (".gizli.xlsx", b"x")])
    (inbox / "plan.xlsx").write_bytes(kit.plan.read_bytes())
    result = merge_inbox(inbox, inbox / "plan.xlsx")
    assert [(i.code, i.file, i.severity) for i in result.report.issues] == [
        ("hidden-file", ".gizli.xlsx", "warning"),
        ("hidden-file", ".~lock.2021_MALI.xlsx#", "warning"),
    ]
    assert result.valid and len(result.counts) == len(DEPTS)
