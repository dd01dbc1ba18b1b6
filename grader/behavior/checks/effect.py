"""``processing-effect``: the rubric declares what the processing must produce, and the
parent checks it on the files the app wrote after the response.

```toml
[behavior]
fixture = "sales.csv"                      # the upload (fixtures/ or next to the rubric)

[behavior.effect]
output = "*.summary.json"                  # which output files to look at (a glob)
checker = "checks/effect.py:check_summary" # def check_summary(upload: bytes, output: bytes, tag: str) -> str | None
```

The checker is the instructor's code, but the output it reads is the student's: it runs in
its own process with a time limit, never in the grader's, and what it returns is one
sentence (None or "" for a pass).
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.behavior.checks.context import CheckContext, check, verdict
from grader.behavior.checks.evidence import shown
from grader.behavior.outcome import Verdict
from grader.behavior.untrusted import clean_text

CHECKER_TIMEOUT_S = 10.0
MAX_OUTPUT_BYTES = 8 * 1024 * 1024
MAX_CANDIDATES = 10

_RUNNER = r"""
import importlib.util, json, sys
spec = json.loads(sys.stdin.read())
module_spec = importlib.util.spec_from_file_location("rubric_effect_checker", spec["file"])
module = importlib.util.module_from_spec(module_spec)
module_spec.loader.exec_module(module)
function = getattr(module, spec["function"])
upload = open(spec["upload"], "rb").read()
output = open(spec["output"], "rb").read()
try:
    result = function(upload, output, spec["tag"])
except Exception as exc:
    result = f"the output could not be checked: {type(exc).__name__}: {exc}"
if result is True or result is None or result == "":
    result = None
elif result is False:
    result = "the output is not what the assignment asks for"
print(json.dumps({"problem": None if result is None else str(result)[:1000]}))
"""


def run_checker(checker: str, upload: bytes, output: bytes, tag: str) -> str | None:
    """``checker`` is "file.py:function"; returns None for a pass, else the problem."""
    file, _, function = checker.rpartition(":")
    with tempfile.TemporaryDirectory(prefix="grader-effect-") as tmp:
        upload_path, output_path = Path(tmp) / "upload", Path(tmp) / "output"
        upload_path.write_bytes(upload)
        output_path.write_bytes(output)
        spec = {"file": file, "function": function, "upload": str(upload_path), "output": str(output_path), "tag": tag}
        try:
            proc = subprocess.run([sys.executable, "-c", _RUNNER], input=json.dumps(spec), capture_output=True,
                                  text=True, timeout=CHECKER_TIMEOUT_S, cwd=tmp,
                                  env={"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"})
        except subprocess.TimeoutExpired:
            return f"the rubric's checker did not finish within {CHECKER_TIMEOUT_S:g} s on this output"
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])["problem"]
    except (ValueError, IndexError, KeyError, TypeError):
        raise RuntimeError(f"the rubric's checker {checker} failed: {proc.stderr.strip()[-500:]}") from None


@check("processing-effect", requires=("task-scheduled",))
async def processing_effect(ctx: CheckContext) -> Verdict:
    """After the response, your processing wrote an output file that holds what the assignment asks for (the rubric's checker reads it, with the upload it came from)."""
    run = ctx.primary
    assert run is not None
    effect = ctx.effect
    if effect is None:
        return Verdict("processing-effect", "error", "The rubric declares no processing effect to check.")
    outputs = [p for p in run.evidence.derived_after if fnmatch.fnmatch(shown(p), effect["output"])
               or fnmatch.fnmatch(Path(shown(p)).name, effect["output"])][:MAX_CANDIDATES]
    if not outputs:
        written = ", ".join(shown(p) for p in run.evidence.derived_after[:5]) or "none"
        return verdict("processing-effect", False,
                       f"No output file matching `{effect['output']}` was written after the response.",
                       sent=ctx.sent(run.payload), measured=f"files written after the response: {written}",
                       fix=f"Write the processing's result to a file named like `{effect['output']}`.")
    problems = []
    for path in outputs:
        content = ctx.witness.read(path[0], path[1], MAX_OUTPUT_BYTES)
        if content is None:
            problems.append(f"{shown(path)}: not a readable regular file")
            continue
        problem = run_checker(effect["checker"], run.payload.data, content, run.payload.tag)
        if problem is None:
            return verdict("processing-effect", True, f"{shown(path)} holds the expected result.")
        problems.append(f"{shown(path)}: {clean_text(problem, 500)}")
    return verdict("processing-effect", False, "The processing's output is not what the assignment asks for: "
                   + "; ".join(problems[:3]) + ".", sent=ctx.sent(run.payload), measured="; ".join(problems[:5]))
