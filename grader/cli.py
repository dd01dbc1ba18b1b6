"""The ``grader`` command line (click). Each command is thin: the work lives in the stages."""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
from pathlib import Path

import click

from grader import __version__
from grader.commands.terminal import color_wanted
from grader.errors import GraderError, SubmissionError
from grader.model import Severity


class GraderGroup(click.Group):
    """Turns GraderError (and any unexpected crash) into one clear line, never a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except GraderError as exc:
            click.echo(f"grader: error: {exc.message}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            # The reader went away (`grader lint DIR | head`): stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except Exception as exc:  # noqa: BLE001 - last line of defence for the user
            if os.environ.get("GRADER_DEBUG"):
                raise
            first = str(exc).splitlines()[0] if str(exc) else ""
            click.echo(
                f"grader: internal error: {type(exc).__name__}: {first} (set GRADER_DEBUG=1 for details)",
                err=True,
            )
            ctx.exit(3)


@click.group(cls=GraderGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grader")
def main() -> None:
    """Grade FastAPI background-file-processing submissions."""


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def lint(path: Path, fmt: str) -> None:
    """Static analysis only: never imports or runs the submission.

    PATH is one submission (folder, .py or .zip) or a class folder (several submissions
    side by side, each with its own app, as `grader batch` takes): each submission is then
    linted on its own. Prints `path:line:col: CODE message` lines; exits 1 if any finding
    is an error.
    """
    from grader.commands.lint import lint_targets, run_lint

    targets = lint_targets(path, note=lambda m: click.echo(f"grader: note: {m}", err=True))
    findings, errors = run_lint(targets)
    if fmt == "json":
        click.echo(json.dumps({"findings": findings, "errors": errors}, indent=2, ensure_ascii=False))
    else:
        for error in errors:
            click.echo(f"error: {error}", err=True)
        for f in findings:
            click.echo(f"{f['path']}:{f['line']}:{f['column']}: {f['code']} [{f['severity']}] {f['message']}")
        if not findings and not errors:
            click.echo(f"All checks passed: no finding in {len(targets)} submission(s).", err=True)
    failed = any(f["severity"] == Severity.ERROR.value for f in findings) or bool(errors)
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--rubric", "rubric_name", default=None, help="Bundled rubric name or a .toml file.")
@click.option("--format", "fmt", multiple=True, metavar="FORMAT[,FORMAT...]",
              help="Report format(s): json, text, gradescope, junit, sarif, github, markdown. Repeatable or "
                   "comma-separated; several need --output (default: text on a terminal, json otherwise).")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Write the report here; with several formats, sibling files (report.json, report.junit.xml, ...).")
@click.option("--static-only", is_flag=True, help="Skip the behavior run (no student code executes).")
@click.option("-v", "--verbose", is_flag=True, help="Text format: show every check's feedback and the app's output.")
@click.option("-q", "--quiet", is_flag=True, help="Text format: the score and one line per problem.")
@click.option("--server", type=click.Choice(["inprocess", "uvicorn"]), default=None,
              hidden=True,
              help="No effect: kept so old commands work; the app is always served by uvicorn in the jail.")
def grade(path: Path, rubric_name: str | None, fmt: tuple[str, ...], output: Path | None, static_only: bool, verbose: bool,
          quiet: bool = False, server: str | None = None) -> None:
    """Grade one submission (folder, .py or .zip) against a rubric and print the report."""
    if not static_only:
        from grader.behavior.sandbox.launcher import prestart_for_one_run

        prestart_for_one_run()  # its imports overlap the rubric's loading and the lint
    from grader.pipeline import grade_path
    from grader.reports.outputs import parse_formats, render_as, write_formats
    from grader.scoring.rubric import load_rubric

    formats = parse_formats(fmt)
    if not formats:
        formats = ["text" if output is None and sys.stdout.isatty() else "json"]
    if len(formats) > 1 and output is None:
        raise click.UsageError("several --format values need --output FILE (each format goes to a sibling file).")
    rubric = load_rubric(rubric_name)
    try:
        report = grade_path(path, rubric, run_behavior=not static_only, server=server)
    except SubmissionError as exc:
        if output is not None:  # as `grader batch` does: the report says why, with status "error"
            from grader.pipeline import error_report

            name = path.stem if path.suffix else path.name
            write_formats(error_report(name, rubric, exc.message), output, formats, verbose=verbose)
        raise
    if output is not None:
        write_formats(report, output, formats, verbose=verbose)
    else:
        click.echo(render_as(report, formats[0], verbose=verbose, color=color_wanted(), quiet=quiet), nl=False)


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Explain a rule code (BG001) or a behavior check id (saved-file-intact): what it
    checks, why it matters and how to fix it."""
    from grader.commands.explain import explanation

    click.echo(explanation(code), nl=False)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List every static rule: code, severity, name and summary."""
    from grader.static.registry import all_rules

    items = list(all_rules().values())
    if fmt == "json":
        click.echo(json.dumps([
            {"code": r.code, "name": r.name, "severity": r.severity.value, "message": r.message}
            for r in items
        ], indent=2))
    elif fmt == "markdown":
        from grader.static.docs import rules_table

        click.echo(rules_table(), nl=False)
    else:
        for r in items:
            click.echo(f"{r.code:<7} {r.severity.value:<7}  {r.name:<36}  {r.message.split(':')[0]}")


from grader.commands.dashboard import dashboard as _dashboard_command  # noqa: E402

main.add_command(_dashboard_command)


from grader.commands.batch import batch as _batch_command, merge as _merge_command  # noqa: E402

main.add_command(_batch_command)
main.add_command(_merge_command)

from grader.commands.ci import COMMANDS as _ci_commands  # noqa: E402

for _command in _ci_commands:
    main.add_command(_command)


def entry() -> None:
    """The ``grader`` console script: the command, then a prompt exit.

    Tearing down an interpreter that imported libcst and FastAPI's stack took ~200 ms
    after the reports were written (a third of the wait after a one-submission grade's
    checks). The work is finished and flushed first: every non-daemon thread joined, the
    atexit handlers run (they stop the sandbox's server), the standard streams flushed.
    """
    try:
        main()
        code: object = 0
    except SystemExit as finished:
        code = finished.code
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass  # a reader that went away (`grader lint DIR | head`)
    os._exit(code or 0)


if __name__ == "__main__":
    entry()
