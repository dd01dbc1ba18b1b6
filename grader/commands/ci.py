"""CI mode commands: ``grader check``, ``grader init-ci``, ``grader gradescope-bundle``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader.errors import GraderError


@click.command()
@click.argument("path", type=click.Path(path_type=Path), default=".")
@click.option("--min-score", default=None, metavar="POINTS|PERCENT%",
              help="Exit 1 when the score is below this (points, or a percentage like 60%).")
@click.option("--rubric", "rubric_name", default=None, help="Bundled rubric name or a .toml file.")
@click.option("--static-only", is_flag=True, help="Skip the behavior run (no student code executes).")
def check(path: Path, min_score: str | None, rubric_name: str | None, static_only: bool) -> None:
    """Grade PATH (default: .) for CI: text summary, GitHub annotations, exit 1 below --min-score.

    With GITHUB_ACTIONS=true, findings are printed as workflow commands (inline on the pull
    request) and the Markdown report is appended to $GITHUB_STEP_SUMMARY.
    """
    if not static_only:
        from grader.behavior.sandbox.launcher import prestart_for_one_run

        prestart_for_one_run()  # its imports overlap the rubric's loading and the lint (as `grade`)
    from grader.ci.check import annotation_locator, append_step_summary, in_github_actions, parse_threshold, passes
    from grader.pipeline import grade_path
    from grader.reports import github, markdown, text
    from grader.scoring.rubric import load_rubric

    threshold = parse_threshold(min_score) if min_score is not None else None
    rubric = load_rubric(rubric_name)
    report = grade_path(path, rubric, run_behavior=not static_only)
    click.echo(text.render(report), nl=False)
    if in_github_actions():
        click.echo(github.render(report, locate=annotation_locator(path)), nl=False)
        append_step_summary(markdown.render(report))
    if report.status == "error":
        click.echo("grader: the submission could not be graded (see above).", err=True)
    elif threshold is not None:
        verdict = "passes" if passes(report, threshold) else "is below"
        click.echo(f"Score {report.score:g}/{report.max_score:g} {verdict} the minimum of "
                   f"{threshold.describe(report.max_score)}.", err=True)
    sys.exit(0 if passes(report, threshold) else 1)


@click.command("init-ci")
@click.option("--dir", "repo", type=click.Path(path_type=Path, file_okay=False), default=".",
              help="The student repository (default: .).")
@click.option("--git-url", default=None, help="Install the grader from this git URL instead of PyPI.")
@click.option("--min-score", default=None, metavar="POINTS|PERCENT%", help="Passed to `grader check`.")
@click.option("--rubric", "rubric_name", default=None, help="Passed to `grader check` (a name or a path in the repo).")
@click.option("--static-only", is_flag=True, help="Passed to `grader check`.")
@click.option("--python", "python_version", default="3.12", show_default=True, help="Python version for the job.")
@click.option("--force", is_flag=True, help="Overwrite an existing workflow file.")
def init_ci(repo: Path, git_url: str | None, min_score: str | None, rubric_name: str | None,
            static_only: bool, python_version: str, force: bool) -> None:
    """Write .github/workflows/grade.yml so every push is graded by `grader check`."""
    from grader.atomic import write_text_atomic
    from grader.ci.check import parse_threshold
    from grader.ci.workflow import WORKFLOW_PATH, WorkflowOptions, workflow_yaml

    if min_score is not None:
        parse_threshold(min_score)  # reject a bad value now, not in the student's CI
    target = repo / WORKFLOW_PATH
    if target.exists() and not force:
        raise GraderError(f"{target} already exists (use --force to overwrite it).")
    options = WorkflowOptions(git_url, min_score, rubric_name, static_only, python_version)
    write_text_atomic(target, workflow_yaml(options))
    click.echo(f"Wrote {target}. Commit and push it: every push is then graded.")


@click.command("gradescope-bundle")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=Path("autograder.zip"),
              show_default=True, help="The zip to upload as the Gradescope autograder.")
@click.option("--rubric", "rubric_name", default=None, help="Bundled rubric name or a .toml file.")
@click.option("--git-url", default=None, help="Install the grader from this git URL instead of PyPI.")
@click.option("--static-only", is_flag=True, help="Grade without the behavior run.")
def gradescope_bundle(output: Path, rubric_name: str | None, git_url: str | None, static_only: bool) -> None:
    """Write the Gradescope autograder zip: setup.sh, run_autograder and the rubric."""
    from grader.atomic import write_bytes_atomic
    from grader.ci.gradescope_bundle import bundle_bytes
    from grader.scoring.rubric import load_rubric

    rubric = load_rubric(rubric_name)
    write_bytes_atomic(output, bundle_bytes(rubric, git_url=git_url, static_only=static_only))
    click.echo(f"Wrote {output} (rubric {rubric.name} v{rubric.version}). Upload it as the assignment's autograder.")


COMMANDS = (check, init_ci, gradescope_bundle)
