"""--shard K/N partitions the class deterministically; `grader merge` recombines the shards."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from grader.batch.shard import Shard, parse_shard
from grader.batch.summary import summary_schema
from grader.cli import main
from grader.errors import GraderError
from tests.batch.classroom import env_with_repo_on_path, make_class
from tests.reports.samples import RUBRIC_TEXT


def test_shards_are_balanced_and_cover_the_class_once():
    for size in range(0, 40):
        ids = [f"s{i:02d}" for i in range(size)]
        for count in range(1, 7):
            parts = [Shard(k, count).pick(ids) for k in range(1, count + 1)]
            assert sorted(sum(parts, [])) == ids
            assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert [len(Shard(k, 2).pick(list("abcdefg"))) for k in (1, 2)] == [4, 3]


def test_parse_shard_rejects_nonsense():
    assert parse_shard("2/3") == Shard(2, 3)
    for bad in ["0/3", "4/3", "1/0", "a/b", "1", "auto/0"]:
        with pytest.raises(GraderError):
            parse_shard(bad, env={"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"})


def test_shard_auto_reads_slurm_and_kubernetes():
    slurm = {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4",
             "SLURM_ARRAY_TASK_COUNT": "4"}
    assert parse_shard("auto", env=slurm) == Shard(3, 4)
    assert parse_shard("auto", env={"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MAX": "2"}) == Shard(1, 3)
    stepped = {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_STEP": "2",
               "SLURM_ARRAY_TASK_MAX": "7"}
    assert parse_shard("auto", env=stepped) == Shard(3, 4)
    assert parse_shard("auto/5", env={"JOB_COMPLETION_INDEX": "0"}) == Shard(1, 5)
    assert parse_shard("auto", env={"JOB_COMPLETION_INDEX": "4", "GRADER_SHARD_COUNT": "5"}) == Shard(5, 5)
    for env, message in [({}, "no Slurm job array"), ({"JOB_COMPLETION_INDEX": "1"}, "auto/N"),
                         ({"JOB_COMPLETION_INDEX": "5", "GRADER_SHARD_COUNT": "5"}, "between 1 and N"),
                         ({"SLURM_ARRAY_TASK_ID": "x"}, "not a number")]:
        with pytest.raises(GraderError, match=message):
            parse_shard("auto", env=env)


def _run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("shared_dir", [True, False])
def test_three_shards_merged_equal_one_full_batch(tmp_path: Path, shared_dir: bool):
    classroom = make_class(tmp_path / "class", 12)
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(RUBRIC_TEXT)
    common = ["--rubric", str(rubric), "--static-only", "--jobs", "2"]
    _run("batch", str(classroom), "--out", str(tmp_path / "full"), *common)
    shard_dirs = []
    for k in (1, 2, 3):
        out = tmp_path / ("shared" if shared_dir else f"shard{k}")
        _run("batch", str(classroom), "--out", str(out), "--shard", f"{k}/3", *common)
        summary = json.loads((out / f"summary.shard-{k}-of-3.json").read_text())
        jsonschema.validate(summary, summary_schema())
        assert summary["shard"] == f"{k}/3"
        shard_dirs.append(out)
    folders = sorted(set(shard_dirs))
    merged_dir = tmp_path / "merged"
    result = _run("merge", *map(str, folders), "--out", str(merged_dir))
    assert "Merged 12 report(s)" in result.output
    merged = json.loads((merged_dir / "summary.json").read_text())
    full = json.loads((tmp_path / "full" / "summary.json").read_text())
    jsonschema.validate(merged, summary_schema())
    assert merged["students"] == full["students"]
    assert merged["stats"] == full["stats"]
    assert (merged_dir / "grades.csv").read_text() == (tmp_path / "full" / "grades.csv").read_text()
    assert len(list(merged_dir.glob("student*.json"))) == 12
    rows = list(csv.DictReader(io.StringIO((merged_dir / "grades.csv").read_text())))
    assert len(rows) == 12


def test_merge_without_reports_is_a_clear_error(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["merge", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "no reports to merge" in result.output


def test_merge_names_a_missing_shard_and_partial_merges_anyway(tmp_path: Path):
    classroom = make_class(tmp_path / "class", 7)
    rubric = tmp_path / "rubric.toml"
    rubric.write_text(RUBRIC_TEXT)
    out = tmp_path / "out"
    for k in (1, 3):
        _run("batch", str(classroom), "--out", str(out), "--shard", f"{k}/3", "--rubric", str(rubric), "--static-only")
    sizes = [len(json.loads((out / f"manifest.shard-{k}-of-3.json").read_text())["students"]) for k in (1, 3)]
    assert sizes == [3, 2]  # 7 in 3 shards: 3, 2, 2
    refused = CliRunner().invoke(main, ["merge", str(out)])
    assert refused.exit_code == 2 and "missing shard 2/3" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    partial = CliRunner().invoke(main, ["merge", str(out), "--partial"])
    assert partial.exit_code == 0 and "Merged 5 report(s)" in partial.output
    assert "missing shard 2/3" in partial.output  # still said, as a warning
    _run("batch", str(classroom), "--out", str(out), "--shard", "2/3", "--rubric", str(rubric), "--static-only")
    assert "Merged 7 report(s)" in _run("merge", str(out)).output
