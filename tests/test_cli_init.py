"""The command line: version, help, `kbbxl init`, exit codes, and a non-editable install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from kbbxl import __version__
from kbbxl.cli import cli
from kbbxl.plan import read_plan

ROOT = Path(__file__).resolve().parent.parent


def test_version_and_help():
    runner = CliRunner()
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"kbbxl {__version__}"
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "init" in result.output


def test_init_writes_a_plan_that_reads_back(tmp_path):
    out = tmp_path / "p.xlsx"
    result = CliRunner().invoke(cli, ["init", "2022", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"Plan yazıldı: {out} (2022, 0 performans hedefi)\n"
    assert read_plan(out).year == 2022


def test_init_from_previous_plan_carries_it_forward(tmp_path, example_dir):
    out = tmp_path / "p.xlsx"
    result = CliRunner().invoke(
        cli, ["init", "2022", "--from", str(example_dir / "plan.xlsx"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    program = read_plan(out)
    assert (program.year, len(program.targets), program.budget) == (2022, 99, 0)


def test_init_refuses_to_overwrite_and_usage_errors_exit_2(tmp_path):
    out = tmp_path / "p.xlsx"
    out.write_bytes(b"x")
    runner = CliRunner()
    result = runner.invoke(cli, ["init", "2022", "-o", str(out)])
    assert result.exit_code == 2
    assert "zaten var" in result.output
    assert out.read_bytes() == b"x"
    assert runner.invoke(cli, ["init", "20"]).exit_code == 2


def test_malformed_plan_exits_1_without_traceback(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kbbxl",
            "init",
            "2022",
            "--from",
            str(bad),
            "-o",
            str(tmp_path / "o.xlsx"),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "bad.xlsx: dosya bir .xlsx çalışma kitabı değil" in proc.stderr


def test_non_editable_install_runs_from_elsewhere(tmp_path):
    """Build the wheel, install it (without deps: they are present) into a fresh venv, run it."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("kbbxl-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run(
        [py, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    kbbxl = venv / "bin" / "kbbxl"
    out = subprocess.run([kbbxl, "--version"], cwd=work, capture_output=True, text=True)
    assert out.stdout.strip() == "kbbxl 0.1.0"
    out = subprocess.run(
        [kbbxl, "init", "2022", "-o", "p.xlsx"], cwd=work, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    check = subprocess.run(
        [
            py,
            "-c",
            "import kbbxl.resources as r, kbbxl.plan as p; print(r.data_dir('schemas'));"
            "print(p.read_plan('p.xlsx').year)",
        ],
        cwd=work,
        capture_output=True,
        text=True,
    )
    lines = check.stdout.split()
    assert "site-packages/kbbxl/_data/schemas" in lines[0], check.stdout + check.stderr
    assert lines[1] == "2022"


def test_usage_errors_are_reported_in_turkish():
    result = CliRunner().invoke(cli, ["init", "20"], prog_name="kbbxl")
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == "Kullanım: kbbxl init [SEÇENEKLER] YEAR"
    assert "Hata: 'YEAR' için geçersiz değer: 20 şu aralıkta değil" in result.output
    result = CliRunner().invoke(cli, ["yok-boyle-komut"])
    assert "Hata: 'yok-boyle-komut' diye bir komut yok." in result.output
