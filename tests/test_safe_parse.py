"""Hostile nesting cannot take the grader down: each bad file becomes one clear error for
that file, and every other file keeps its findings.

The reproductions run ``grader lint`` in a subprocess: if the protection regressed, the
subprocess dies by a signal and the test fails, instead of the test run itself.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from grader.static import safe_parse
from grader.static.engine import lint_paths, lint_sources

ROOT = Path(__file__).resolve().parents[1]
GOOD = (ROOT / "sample_submissions" / "as001_blocking_endpoint" / "main.py").read_text()

# Each of these segfaulted ``grader lint`` and ``grader grade`` (libcst's native parser
# overflowing its stack) before the parse was protected; all are under 20 KB.
HOSTILE = {
    "parens.py": "x = " + "(" * 5000 + ")" * 5000 + "\n",
    "lists.py": "x = " + "[" * 5000 + "]" * 5000 + "\n",
    "calls.py": "x = " + "f(" * 3000 + ")" * 3000 + "\n",
    "dicts.py": "x = " + "{1:" * 3000 + "1" + "}" * 3000 + "\n",
    "unclosed.py": "x = " + "[" * 20000 + "\n",
    "newer_syntax_first.py": "type Alias = int\nx = " + "(" * 5000 + ")" * 5000 + "\n",
}
# Python itself accepts this one (under the node limit), and it overflows an 8 MiB stack in
# libcst (measured at 7,058 operands): libcst parses it on its big stack, then the analysis
# (Python code, recursion-limited) says it is nested too deeply.
DEEP_BUT_VALID = "x = " + " and ".join(["a"] * 7000) + "\n"


def _lint_in_subprocess(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader", "lint", str(folder)], capture_output=True, text=True, timeout=300
    )


def test_hostile_nesting_is_one_error_per_file_and_the_rest_is_linted(tmp_path: Path) -> None:
    for name, source in HOSTILE.items():
        (tmp_path / name).write_text(source)
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "deep_but_valid.py").write_text(DEEP_BUT_VALID)
    done = _lint_in_subprocess(tmp_path)
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])  # findings, not a crash
    output = done.stdout + done.stderr
    for name in [*HOSTILE, "deep_but_valid.py"]:
        lines = [line for line in output.splitlines() if name in line]
        assert len(lines) == 1 and "nested too deeply to analyse" in lines[0], lines
    assert "good.py:34:5: AS001" in output  # the other files keep their findings
    assert "Traceback" not in output


def test_a_parser_crash_is_contained_to_its_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the crash layer: a small parse stack and trial threshold, so an ``and`` chain
    that Python accepts overflows libcst's stack in the trial child."""
    monkeypatch.setattr(safe_parse, "PARSE_STACK", 1 << 20)
    monkeypatch.setattr(safe_parse, "IN_THREAD_LIMIT", 1 << 10)
    crasher = "x = " + " and ".join(["a"] * 4000) + "\n"
    result = lint_sources([("main.py", GOOD.encode()), ("crash.py", crasher.encode())])
    assert result.errors == ["crash.py: nested too deeply to analyse (the parser crashed)"]
    assert ("AS001", "main.py", 34) in {(f.code, f.path, f.line) for f in result.findings}


def test_a_crash_in_a_parallel_lint_keeps_every_other_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.static import parallel

    monkeypatch.setattr(safe_parse, "PARSE_STACK", 1 << 20)
    monkeypatch.setattr(safe_parse, "IN_THREAD_LIMIT", 1 << 10)
    monkeypatch.setattr(parallel, "MIN_FILES_PER_WORKER", 1)
    for i in range(8):
        (tmp_path / f"m{i}.py").write_text(GOOD)
    (tmp_path / "m3_crash.py").write_text("x = " + " and ".join(["a"] * 4000) + "\n")
    files = sorted(tmp_path.glob("*.py"))
    together = lint_paths(tmp_path, files, jobs=2)
    assert together.errors == ["m3_crash.py: nested too deeply to analyse (the parser crashed)"]
    assert sum(f.code == "AS001" for f in together.findings) == 8
    assert together.findings == lint_paths(tmp_path, files, jobs=1).findings


def test_a_parse_that_eats_memory_is_stopped_in_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import a.b.b...``: Python's parser and libcst need memory that grows with the square
    of its length (50,000 parts: 2.7 GB). The trial child's cap stops it; this process
    never parses it."""
    monkeypatch.setattr(safe_parse, "CHILD_MEMORY", 256 << 20)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = lint_sources([("dots.py", ("import a" + ".b" * 60_000 + "\n").encode())])
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert len(result.errors) == 1 and result.errors[0].startswith("dots.py: "), result.errors
    assert "analyse" in result.errors[0]
    assert grown_mib < 150, f"the parent grew by {grown_mib:.0f} MiB"


def test_a_trial_that_takes_too_long_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safe_parse, "CHILD_TIMEOUT", 0.05)
    source = "import a" + ".b" * 20_000 + "\n"  # ~1 s for Python's own parser
    result = lint_sources([("slow.py", source.encode())])
    assert result.errors == ["slow.py: nested too deeply to analyse (the parser did not finish in 0.05 s)"]


def test_the_parser_thread_is_replaced_after_a_large_file() -> None:
    small = b"x = 1\n"
    safe_parse.parse_module(small)
    first = safe_parse._parser
    assert first is not None and first.thread.is_alive()
    safe_parse.parse_module(b"x = 1\n" + b"# padding\n" * (safe_parse.RETIRE_AFTER // 10 + 1))
    assert safe_parse._parser is None
    first.thread.join(timeout=5)
    safe_parse.parse_module(small)
    assert safe_parse._parser is not None and safe_parse._parser is not first
