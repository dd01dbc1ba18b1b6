"""CI mode commands: ``grader check``, ``grader init-ci``, ``grader gradescope-bundle``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from grader.ci.sources import KINDS
from grader.ci.workflow import DEFAULT_MIN_SCORE
from grader.commands.terminal import color_wanted
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
    from grader.ci.check import (annotation_locator, append_step_summary, in_github_actions, parse_threshold, passes,
                                 student_view)
    from grader.pipeline import grade_path
    from grader.reports import github, markdown, text
    from grader.scoring.rubric import load_rubric

    threshold = parse_threshold(min_score) if min_score is not None else None
    rubric = load_rubric(rubric_name)
    report = grade_path(path, rubric, run_behavior=not static_only)
    shown, hidden = student_view(report)
    click.echo(text.render(shown, color=color_wanted()), nl=False)
    if hidden:
        click.echo(f"{hidden} hidden check(s) are not shown here; they count towards the score.")
    if in_github_actions():
        click.echo(github.render(shown, locate=annotation_locator(path)), nl=False)
        append_step_summary(markdown.render(shown))
    if report.status == "error":
        click.echo("grader: the submission could not be graded (see above).", err=True)
    elif threshold is not None:
        verdict = "passes" if passes(report, threshold) else "is below"
        click.echo(f"Score {report.score:g}/{report.max_score:g} {verdict} the minimum of "
                   f"{threshold.describe(report.max_score)}.", err=True)
    sys.exit(0 if passes(report, threshold) else 1)


_SOURCE_HELP = ("Where the grader is installed from: wheel (default: its own wheel, shipped with it), "
                "git (--git-url URL@<commit>) or index (fastapi-grader==VERSION, once published).")


@click.command("init-ci")
@click.option("--dir", "repo", type=click.Path(path_type=Path, file_okay=False), default=".",
              help="The student repository (default: .).")
@click.option("--source", type=click.Choice(KINDS), default=None, help=_SOURCE_HELP)
@click.option("--git-url", default=None, metavar="URL@COMMIT", help="Install from git, pinned to this commit.")
@click.option("--min-score", default=DEFAULT_MIN_SCORE, show_default=True, metavar="POINTS|PERCENT%",
              help="The job fails below this score (0: never fails on the score).")
@click.option("--rubric", "rubric_name", default=None, help="Passed to `grader check` (a name or a path in the repo).")
@click.option("--static-only", is_flag=True, help="Passed to `grader check`.")
@click.option("--python", "python_version", default="3.12", show_default=True, help="Python version for the job.")
@click.option("--force", is_flag=True, help="Overwrite an existing workflow file (and the grader's wheel).")
def init_ci(repo: Path, source: str | None, git_url: str | None, min_score: str, rubric_name: str | None,
            static_only: bool, python_version: str, force: bool) -> None:
    """Write .github/workflows/grade.yml so every push is graded by `grader check`.

    With the default source, the grader's wheel is written to .github/grader/: commit it
    with the workflow.
    """
    from grader.atomic import write_text_atomic
    from grader.ci.check import parse_threshold
    from grader.ci.gradescope_bundle import rubric_extras
    from grader.ci.sources import parse_source
    from grader.ci.workflow import WHEEL_DIR, WORKFLOW_PATH, WorkflowOptions, workflow_yaml
    from grader.scoring.rubric import load_rubric

    parse_threshold(min_score)  # reject a bad value now, not in the student's CI
    chosen = parse_source(source, git_url)
    if not repo.is_dir():
        raise GraderError(f"{repo}: no such folder (--dir names the student repository).")
    target = repo / WORKFLOW_PATH
    if target.exists() and not force:
        raise GraderError(f"{target} already exists (use --force to overwrite it).")
    extras: tuple[str, ...] = ()
    if rubric_name is not None:
        in_repo = repo / rubric_name
        extras = rubric_extras(load_rubric(str(in_repo) if in_repo.is_file() else rubric_name))
    wheel_name = None
    if chosen.kind == "wheel":
        from grader.ci.wheels import own_wheel

        wheel_dir = repo / WHEEL_DIR
        for old in wheel_dir.glob("fastapi_grader-*.whl"):
            old.unlink()  # one grader per repository: the workflow names exactly one
        wheel_name = own_wheel(wheel_dir).name
    options = WorkflowOptions(chosen, wheel_name, extras, min_score, rubric_name, static_only, python_version)
    write_text_atomic(target, workflow_yaml(options))
    added = f"{target} and {repo / WHEEL_DIR / wheel_name}" if wheel_name else str(target)
    click.echo(f"Wrote {added}. Commit and push: every push is then graded (minimum {min_score}).")


@click.command("gradescope-bundle")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=Path("autograder.zip"),
              show_default=True, help="The zip to upload as the Gradescope autograder.")
@click.option("--rubric", "rubric_name", default=None, help="Bundled rubric name or a .toml file.")
@click.option("--source", type=click.Choice(KINDS), default=None, help=_SOURCE_HELP)
@click.option("--git-url", default=None, metavar="URL@COMMIT", help="Install from git, pinned to this commit.")
@click.option("--target-python", default="3.10", show_default=True,
              help="The Python of the grading image, for the bundled wheels (Gradescope's Ubuntu 22.04: 3.10).")
@click.option("--static-only", is_flag=True, help="Grade without the behavior run.")
def gradescope_bundle(output: Path, rubric_name: str | None, source: str | None, git_url: str | None,
                      target_python: str, static_only: bool) -> None:
    """Write the Gradescope autograder zip: setup.sh, run_autograder, the rubric and the wheels.

    By default the zip carries the grader's wheel and its dependencies' wheels, pinned, so
    setup.sh installs without network.
    """
    from grader.atomic import write_bytes_atomic
    from grader.ci.gradescope_bundle import bundle_bytes
    from grader.ci.sources import parse_source
    from grader.ci.wheels import parse_target
    from grader.scoring.rubric import load_rubric

    chosen = parse_source(source, git_url)
    target = parse_target(target_python)
    rubric = load_rubric(rubric_name)
    data = bundle_bytes(rubric, chosen, static_only=static_only, target=target)
    write_bytes_atomic(output, data)
    click.echo(f"Wrote {output} ({len(data) / 2**20:.1f} MiB; rubric {rubric.title!r} v{rubric.version}; "
               f"grader installed {chosen.describe()}). Upload it as the assignment's autograder.")


COMMANDS = (check, init_ci, gradescope_bundle)
