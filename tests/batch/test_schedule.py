"""The batch's order: likely slow submissions (time.sleep in async code) spread early.
Only the order changes; every report is the same (the batch tests check them)."""

from __future__ import annotations

from pathlib import Path

from grader.batch.schedule import EARLY_SHARE, slowness, spread_slow_early

SAMPLES = Path(__file__).resolve().parents[2] / "sample_submissions"


def test_the_blocking_samples_are_predicted_slow_and_the_others_not() -> None:
    slow = {p.name for p in SAMPLES.iterdir() if p.is_dir() and slowness(p) > 0}
    # as001 and blocking_sleep_in_endpoint block in the endpoint, as002 in a task defined in
    # another module, beh_blocking_task and blocking_task_3s in an async task; asyncio.sleep
    # (beh_fixed_name) and time.sleep in plain def code (good_sync_def) do not stall the loop.
    assert slow == {"as001_blocking_endpoint", "as002_blocking_async_task", "beh_blocking_task",
                    "blocking_sleep_in_endpoint", "blocking_task_3s"}


def test_sleep_imported_by_name_counts_and_nested_plain_defs_do_not(tmp_path: Path) -> None:
    aliased = tmp_path / "aliased.py"
    aliased.write_text("from time import sleep as pause\nasync def f():\n    pause(1)\n", encoding="utf-8")
    nested = tmp_path / "nested.py"
    nested.write_text("import time\nasync def f():\n    def g():\n        time.sleep(1)\n    return g\n",
                      encoding="utf-8")
    broken = tmp_path / "broken.py"
    broken.write_text("async def f(:\n    time.sleep(1)\n", encoding="utf-8")
    assert slowness(aliased) > 0
    assert slowness(nested) == 0
    assert slowness(broken) == 0
    assert slowness(tmp_path / "missing.py") == 0


def test_slow_items_spread_over_the_early_part_in_order_and_nothing_is_lost() -> None:
    items = list(range(30))
    ordered = spread_slow_early(items, lambda x: x >= 25)
    assert sorted(ordered) == items
    positions = [ordered.index(x) for x in range(25, 30)]
    assert positions == sorted(positions) and positions[-1] < len(items) * EARLY_SHARE
    assert [x for x in ordered if x < 25] == list(range(25))  # the rest keep their order


def test_no_slow_or_all_slow_keeps_the_order() -> None:
    items = list(range(7))
    assert spread_slow_early(items, lambda x: False) == items
    assert spread_slow_early(items, lambda x: True) == items
    assert spread_slow_early([], lambda x: True) == []


def test_the_slowest_go_first_among_the_slow(tmp_path: Path) -> None:
    stalls = {"long": "time.sleep(3)", "short": "time.sleep(0.2)", "unknown": "time.sleep(delay)"}
    for name, call in stalls.items():
        (tmp_path / f"{name}.py").write_text(f"import time\nasync def f(delay):\n    {call}\n", encoding="utf-8")
    assert {name: slowness(tmp_path / f"{name}.py") for name in stalls} == {"long": 3.0, "short": 0.2, "unknown": 1.0}
    items = ["a", "short", "b", "unknown", "c", "long", "d"]
    weights = {"short": 0.2, "unknown": 1.0, "long": 3.0}
    ordered = spread_slow_early(items, lambda x: weights.get(x, 0.0))
    slow_order = [x for x in ordered if x in weights]
    assert slow_order == ["long", "unknown", "short"]
    assert sorted(ordered) == sorted(items)
