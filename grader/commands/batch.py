"""``grader batch`` and ``grader merge``: thin CLI over ``grader.batch``."""

from __future__ import annotations

import os
from pathlib import Path

import click


@click.command()
@click.argument("submissions_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder for <student>.json, summary.json and grades.csv.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per core); each grades --per-job submissions at once.")
@click.option("--rubric", "rubric_name", default=None, help="Bundled rubric name or a .toml file.")
@click.option("--force", is_flag=True, help="Regrade even the submissions whose report is up to date.")
@click.option("--shard", default=None, metavar="K/N|auto[/N]",
              help="Grade only the K-th of N balanced parts (combine them with `grader merge`); auto reads a "
                   "Slurm array or a Kubernetes Indexed Job (see docs/scaling.md).")
@click.option("--format", "fmt", multiple=True, metavar="FORMAT[,FORMAT...]",
              help="Extra per-student formats besides json: gradescope, junit, sarif, github, markdown, text.")
@click.option("--static-only", is_flag=True, help="Skip the behavior run (no student code executes).")
@click.option("--server", type=click.Choice(["inprocess", "uvicorn"]), default=None,
              hidden=True,
              help="No effect: kept so old commands work; the app is always served by uvicorn in the jail.")
@click.option("--html", is_flag=True, help="Also write the class dashboard OUT_DIR/index.html (see `grader dashboard`).")
@click.option("--per-job", "per_job", type=click.IntRange(min=1), default=None,
              help="Submissions each job grades at once (default 12 with behavior checks: they mostly wait "
                   "on the student's tasks; more uses more memory, ~10 MiB each).")
@click.option("-q", "--quiet", is_flag=True, help="No progress: only submissions that could not be graded.")
@click.option("-v", "--verbose", is_flag=True, help="A line for every submission graded.")
def batch(submissions_dir: Path, out_dir: Path, jobs: int | None, rubric_name: str | None, force: bool,
          shard: str | None, fmt: tuple[str, ...], static_only: bool, html: bool = False,
          server: str | None = None, per_job: int | None = None, quiet: bool = False, verbose: bool = False) -> None:
    """Grade every submission in SUBMISSIONS_DIR (folders, .zip or .py; the name is the student id).

    Rerunning skips submissions whose report is up to date (same files, rubric and grader
    version), so an interrupted batch resumes where it stopped.
    """
    from grader.batch.progress import Progress, duration
    from grader.batch.runner import BatchOptions, run_batch
    from grader.commands.terminal import color_wanted
    from grader.batch.shard import parse_shard
    from grader.batch.summary import closing_table
    from grader.reports.outputs import parse_formats
    from grader.scoring.rubric import load_rubric

    formats = tuple(parse_formats(fmt))
    if server:
        os.environ["GRADER_SERVER"] = server  # read by grader.pipeline in every worker process
    options = BatchOptions(
        submissions_dir=submissions_dir,
        out_dir=out_dir,
        rubric=load_rubric(rubric_name),
        jobs=jobs or os.cpu_count() or 1,
        force=force,
        shard=parse_shard(shard) if shard else None,
        formats=formats,
        run_behavior=not static_only,
        per_worker=per_job,
    )
    level = -1 if quiet else 1 if verbose else 0
    result = run_batch(options, progress_factory=lambda total: Progress(total, level=level, color=color_wanted()))
    click.echo(closing_table(result.summary, color=color_wanted()), nl=False)
    click.echo(f"\nGraded {result.graded}, reused {result.skipped} up-to-date report(s) in {duration(result.seconds)}.")
    click.echo(f"Wrote {result.summary_path} and {result.csv_path}.")
    if html:
        from grader.reports.dashboard import write_dashboard

        click.echo(f"Wrote {write_dashboard(out_dir, submissions_dir)}.")


@click.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where to write the merged summary.json and grades.csv (default: the first folder).")
@click.option("--partial", is_flag=True, help="Merge even when shards are missing (each is named in a warning).")
def merge(folders: tuple[Path, ...], out_dir: Path | None, partial: bool) -> None:
    """Combine the outputs of `grader batch --shard K/N` runs into one summary.json and grades.csv.

    Each finished shard leaves a manifest.shard-K-of-N.json: a missing shard is an error
    (exit 2) naming it, unless --partial.
    """
    from grader.batch.merge import merge_outputs
    from grader.batch.summary import closing_table

    result = merge_outputs(list(folders), out_dir or folders[0], partial=partial,
                           warn=lambda m: click.echo(f"grader: warning: {m}", err=True))
    click.echo(closing_table(result.summary), nl=False)
    click.echo(f"\nMerged {result.students} report(s): wrote {result.summary_path} and {result.csv_path}.")
