"""The `kbbxl` command line: each command parses its options and calls one library function."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kbbxl import __version__
from kbbxl.errors import KbbxlError, OutputExistsError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _speak_turkish() -> None:
    """Give click's own messages (usage errors, help headings) in Turkish.

    click looks its messages up through `gettext` names bound in each of its modules; binding
    those names to our catalogue (workbook_templates/cli.toml) needs no compiled .mo files
    and leaves the process' locale alone.
    """
    from kbbxl.resources import labels

    catalogue: dict[str, str] = labels("cli")["click"]

    def gettext(message: str) -> str:
        return catalogue.get(message, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)

    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types

    for module in (click.core, click.decorators, click.exceptions, click.formatting,
                   click.parser, click.termui, click.types):
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


_speak_turkish()


class _Command(click.Command):
    """A command whose usage line reads in Turkish."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("options_metavar", "[SEÇENEKLER]")
        super().__init__(*args, **kwargs)


class _Group(click.Group):
    """The kbbxl group: a KbbxlError from any command becomes a one-line Turkish message.

    Done here rather than in main() so that CliRunner tests see the same exit codes as users:
    1 for problems in the input, 2 for a usage error such as an output that already exists.
    """

    command_class = _Command

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KbbxlError as exc:
            if _State.debug:
                raise
            failure = click.ClickException(str(exc))
            failure.exit_code = 2 if isinstance(exc, OutputExistsError) else 1
            raise failure from exc


class _State:
    debug = False


@click.group(
    cls=_Group,
    context_settings=CONTEXT,
    options_metavar="[SEÇENEKLER]",
    subcommand_metavar="KOMUT [ARGÜMANLAR]...",
)
@click.version_option(__version__, prog_name="kbbxl", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Hata olursa Python izini (traceback) göster.")
def cli(debug: bool) -> None:
    """kbbxl — belediye performans programı çalışma kitapları.

    Plan çalışma kitabından daire formlarını üretir, dairelerden dönen formları
    denetleyip birleştirir ve maliyenin açacağı ana çalışma kitabını yazar.
    """
    _State.debug = debug


@cli.command("init", context_settings=CONTEXT)
@click.argument("year", type=click.IntRange(2000, 2100))
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, path_type=Path),
    help="Önceki yılın plan.xlsx dosyası (ya da planın metin biçimi olan klasör): "
    "hiyerarşi ve sorumlu birimler yeni yıla taşınır.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("plan.xlsx"),
    show_default=True,
    help="Yazılacak plan dosyası.",
)
@click.option("--force", is_flag=True, help="Var olan dosyanın üzerine yaz.")
def init_command(year: int, source: Path | None, output: Path, force: bool) -> None:
    """YEAR yılı için boş (ya da --from ile önceki yıldan taşınmış) bir plan yaz."""
    from kbbxl import plan, textdata

    if output.exists() and not force:
        raise click.UsageError(f"{output} zaten var; üzerine yazmak için --force verin.")
    if source is None:
        program = plan.blank_program(year)
    else:
        program = textdata.read_text_plan(source) if source.is_dir() else plan.read_plan(source)
        if program.year != year:
            program = plan.carry_forward(program, year)
    plan.write_plan(program, output)
    click.echo(f"Plan yazıldı: {output} ({year}, {len(program.targets)} performans hedefi)")


@cli.command("templates", context_settings=CONTEXT)
@click.argument("plan_path", metavar="PLAN", type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o", "--output", "out_dir", required=True,
    type=click.Path(file_okay=False, path_type=Path), help="Formların yazılacağı klasör.",
)
@click.option(
    "--prefill", "data", type=click.Path(exists=True, path_type=Path),
    help="Formları doldurmak için veri: kartların metin biçimi olan klasör ya da önceki yılın "
    "ana çalışma kitabı (yıl devri: geçen yılın değerleri geçmiş yıl sütunlarına kayar).",
)
@click.option("--force", is_flag=True, help="Klasördeki aynı adlı formların üzerine yaz.")
def templates_command(plan_path: Path, out_dir: Path, data: Path | None, force: bool) -> None:
    """PLAN'daki her birim için bir form (YIL_BİRİM.xlsx) yaz; --prefill ile doldurulmuş."""
    from kbbxl.prefill import generate

    result = generate(plan_path, out_dir, data, force=force)
    click.echo(
        f"{len(result.paths)} form yazıldı: {out_dir} ({result.cards} performans hedefi kartı"
        + (f", {result.prefilled} kart dolduruldu" if data is not None else "") + ")"
    )
    if result.dropped:
        click.echo(
            "Yeni planda olmadığı için taşınmayan hedefler: " + ", ".join(result.dropped),
            err=True,
        )


# --- merge and validate ------------------------------------------------------------------------

_PLAN_OPTION = click.option(
    "--plan", "plan_path", type=click.Path(exists=True, path_type=Path),
    help="Plan dosyası (plan.xlsx). Verilmezse klasörün yanındaki plan.xlsx kullanılır.",
)
_JSON_OPTION = click.option(
    "--json", "as_json", is_flag=True,
    help="Raporu (bulgular, birimler, toplamlar) JSON olarak standart çıktıya yaz.",
)
#: Above this many files the progress bar shows even when the output is not a terminal.
_PROGRESS_FILES = 50


def _print_result(result, outputs, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    import json

    from rich.console import Console

    from kbbxl.report import render_console, texts

    if as_json:
        click.echo(json.dumps(result.as_dict(outputs), ensure_ascii=False, indent=2))
        return
    words = texts()["console"]
    # Piped or captured output has no width of its own; rich would assume 80 columns and
    # fold every department name into six lines.
    width = None if sys.stdout.isatty() else 160
    console = Console(soft_wrap=True, highlight=False, width=width)
    footer = {words["plan"]: str(result.plan_path)}
    if outputs is not None:
        if outputs.master is not None:
            footer[words["master"]] = str(outputs.master)
        if outputs.backup is not None:
            footer[words["backup"]] = str(outputs.backup)
        if outputs.returned:
            footer[words["returned"]] = ", ".join(str(p) for p in outputs.returned)
    render_console(result.report, result.departments(), console, footer=footer)
    report = result.report
    if outputs is not None and outputs.master is None:
        console.print(words["not_written"], style="bold red")
    if report.errors:
        console.print(words["has_errors"].format(errors=len(report.errors),
                                                 warnings=len(report.warnings)), style="red")
    elif report.warnings:
        console.print(words["only_warnings"].format(warnings=len(report.warnings)))
    else:
        console.print(words["valid"], style="green")


@cli.command("merge", context_settings=CONTEXT)
@click.argument("inbox", metavar="KLASÖR",
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@_PLAN_OPTION
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
    help="Yazılacak ana çalışma kitabı. Varsayılan: klasörün yanında master.xlsx.",
)
@click.option("--force", is_flag=True,
              help="Var olan ana çalışma kitabının üzerine yedeğini almadan yaz.")
@click.option("--strict", is_flag=True,
              help="Tek bir hata bile varsa ana çalışma kitabını yazma.")
@_JSON_OPTION
@click.pass_context
def merge_command(ctx: click.Context, inbox: Path, plan_path: Path | None, output: Path | None,
                  force: bool, strict: bool, as_json: bool) -> None:
    """KLASÖR'deki dönen formları denetle, birleştir, ana çalışma kitabını yaz.

    Sorunlu birimlerin formları, hatalı hücreleri işaretlenmiş olarak klasörün yanındaki
    iade/ klasörüne yazılır. Hata varsa çıkış kodu 1'dir (yalnızca uyarı varsa 0).
    """
    from kbbxl.merge import discover, merge_inbox, write_outputs
    from kbbxl.report import texts

    if output is not None and output.resolve().parent == inbox.resolve():
        # the next merge would read the master (and its backups) as a department's form
        raise click.UsageError(
            f"{output}: ana çalışma kitabı dönen formların klasörüne yazılamaz (bir sonraki "
            "birleştirmede bir birimin formu sanılır); başka bir klasör seçin.")
    progress = None
    files, _ = discover(inbox)
    bar = None
    if not as_json and (sys.stderr.isatty() or len(files) > _PROGRESS_FILES):
        from rich.console import Console
        from rich.progress import Progress

        # redrawn as files are done, not by rich's refresh thread: a process running a
        # thread starts its workers with "spawn" (see pool._start_method), which at national
        # scale costs seconds and a copy of the plan in every worker
        bar = Progress(console=Console(stderr=True), transient=True, auto_refresh=False)
        task = bar.add_task(texts()["console"]["reading"], total=len(files))

        def progress(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, refresh=True)

        bar.start()
    try:
        result = merge_inbox(inbox, plan_path, progress=progress)
    finally:
        if bar is not None:
            bar.stop()
    outputs = write_outputs(result, output, force=force, strict=strict)
    _print_result(result, outputs, as_json)
    ctx.exit(result.exit_code)


@cli.command("validate", context_settings=CONTEXT)
@click.argument("file", metavar="DOSYA",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_PLAN_OPTION
@_JSON_OPTION
@click.pass_context
def validate_command(ctx: click.Context, file: Path, plan_path: Path | None,
                     as_json: bool) -> None:
    """DOSYA'yı (tek bir dönen form) birleştirmedeki denetimlerle denetle; hiçbir şey yazmaz.

    Plan verilmezse dosyanın klasöründe ya da bir üst klasörde plan.xlsx aranır.
    Hata varsa çıkış kodu 1'dir.
    """
    from kbbxl.merge import validate_file

    result = validate_file(file, plan_path)
    _print_result(result, None, as_json)
    ctx.exit(result.exit_code)


@cli.command("report", context_settings=CONTEXT)
@click.argument("master", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
    help="Yazılacak yeni ana çalışma kitabı.",
)
@click.option("--force", is_flag=True, help="Var olan dosyanın üzerine yaz.")
def report_command(master: Path, output: Path, force: bool) -> None:
    """MASTER ana çalışma kitabının tablolarını kendi veri sayfalarından yeniden kur.

    Maliye Faaliyetler ya da Göstergeler sayfasında satır eklediyse, sildiyse ya da
    sıraladıysa tablolar bu komutla yeniden kurulur; tutar değişiklikleri formüllerle
    zaten her tabloya yansır.
    """
    from kbbxl.master import build_report

    if output.exists() and not force:
        raise click.UsageError(f"{output} zaten var; üzerine yazmak için --force verin.")
    written = build_report(master, output)
    click.echo(f"Tablolar yeniden kuruldu: {written}")


def main() -> None:
    """Entry point: KbbxlError becomes a short Turkish message, never a traceback."""
    try:
        code = cli.main(standalone_mode=False, prog_name="kbbxl")
        if isinstance(code, int) and code:
            sys.exit(code)  # a command's ctx.exit(1) comes back as a return value here
    except click.exceptions.Abort:
        click.echo("İptal edildi.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KbbxlError as exc:
        if _State.debug:
            raise
        click.echo(f"Hata: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:  # last resort: a bug in kbbxl, reported without a traceback
        if _State.debug:
            raise
        click.echo(
            f"Beklenmeyen hata ({type(exc).__name__}: {exc}). Ayrıntı için --debug ile çalıştırın.",
            err=True,
        )
        sys.exit(3)
