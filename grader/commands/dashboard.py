"""``grader dashboard OUT_DIR [--submissions DIR]``: the class dashboard from batch reports."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("dashboard")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option(
    "--submissions",
    "submissions_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The batch's SUBMISSIONS_DIR: student pages then show the source with findings on their lines.",
)
def dashboard(out_dir: Path, submissions_dir: Path | None) -> None:
    """Write OUT_DIR/index.html (and OUT_DIR/students/*.html) from the reports a batch wrote.

    Static HTML, nothing loaded from the network: open index.html in any browser. It links
    to the student pages in OUT_DIR/students/: keep (or zip) the folder together to share it.
    """
    from grader.reports.dashboard import write_dashboard

    index = write_dashboard(out_dir, submissions_dir)
    click.echo(str(index))
