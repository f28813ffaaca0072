"""The benchmark suite's task files (benchmarks/suite/): they load, their oracles have the right
shape and agree with their reference rules, and the runner's bookkeeping counts honestly.

No training here: the suite itself is `python benchmarks/suite/run.py` (its README).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy

from w2c.errors import InputError
from w2c.task_loader import load_task
from w2c.tasks import Task, parse_symbol, shift

SUITE = Path(__file__).resolve().parents[1] / "benchmarks" / "suite"
sys.path.insert(0, str(SUITE))

import cache  # noqa: E402
import catalogue  # noqa: E402
import report  # noqa: E402

MIPS = catalogue.mips()
OWN = catalogue.own()
ROWS = {e.name: e for e in MIPS + OWN}
TASKS = {n: e.task for n, e in ROWS.items() if isinstance(e.task, Task)}
PENDING = {n: e.task for n, e in ROWS.items() if not isinstance(e.task, Task)}

NO_HIDDEN_STATE = {
    "majority_0_1", "majority_0_2", "majority_0_3", "div_3", "div_5", "div_7", "dithering",
    "balanced_parenthesis", "bit_palindrome",
}  # fmt: skip


def _rule_values(
    rule: sympy.Expr, channels: tuple[str, ...], x: np.ndarray, outputs: dict[str, np.ndarray]
) -> np.ndarray:
    """The rule at every step, reading inputs and (teacher-forced) past outputs by lag."""
    symbols = sorted(rule.free_symbols, key=lambda s: s.name)
    args = []
    for symbol in symbols:
        name, lag = parse_symbol(symbol)
        source = outputs[name] if name in outputs else x[..., channels.index(name)]
        args.append(shift(source, lag))
    values = sympy.lambdify(symbols, rule, modules="numpy")(*args)
    return np.broadcast_to(np.asarray(values, dtype=np.float64), x.shape[:2])


# --------------------------------------------------------------------------------------------
# The tables
# --------------------------------------------------------------------------------------------


def test_the_mips_table_has_62_tasks_in_three_kinds() -> None:
    assert len(MIPS) == 62 and len({e.name for e in MIPS}) == 62
    kinds = {s: {e.name for e in MIPS if e.status == s} for s in {e.status for e in MIPS}}
    assert kinds[catalogue.UNREACHABLE] == NO_HIDDEN_STATE
    assert catalogue.NEEDS_V2 not in kinds  # newton_magnetic runs on the task contract v2
    assert "newton_magnetic" in kinds[catalogue.READY]
    assert len(kinds[catalogue.READY]) == 53


def test_unreachable_tasks_are_listed_with_reasons_and_still_defined() -> None:
    module = catalogue.load(catalogue.MIPS_FILE)
    assert set(module.UNREACHABLE) == NO_HIDDEN_STATE
    for name, reason in module.UNREACHABLE.items():
        assert len(reason) > 30, name
        assert ROWS[name].reason == reason
        assert isinstance(ROWS[name].task, Task) and ROWS[name].task.has_oracle


def test_own_table_has_at_least_15_contract_v1_tasks() -> None:
    ready = [e for e in OWN if e.status == catalogue.READY]
    assert len(ready) >= 15
    assert not {e.name for e in OWN} & {e.name for e in MIPS}


def test_contract_v2_tasks_are_pending_records_not_crashes() -> None:
    v2 = catalogue.load(catalogue.V2_FILE)
    assert set(v2.TASKS) == {"newton_magnetic", *v2.OWN} and len(v2.OWN) >= 3
    if not v2.CONTRACT_V2:  # a w2c without contract v2: every one waits, with its reason
        assert set(PENDING) == set(v2.TASKS)
        assert {p.reason for p in PENDING.values()} == {v2.TWO_OUTPUTS, v2.FRACTIONAL}
    else:  # this w2c: every one is a Task (a refused declaration would be a pending record)
        assert not PENDING and set(v2.TASKS) <= set(TASKS)
    for name, pending in PENDING.items():
        assert ROWS[name].status == catalogue.NEEDS_V2 and pending.reason, name


def test_task_files_load_through_w2cs_own_loader() -> None:
    bits = load_task(f"{catalogue.MIPS_FILE}:binary_addition")
    assert bits.feedback and bits.channels == ("a", "b") and bits.source_sha256
    x = np.array([[[1, 1], [1, 0], [0, 0]]], dtype=float)  # 3 + 1, least significant first
    assert bits.run_oracle(x).tolist() == [[0.0, 0.0, 1.0]]
    magnetic = load_task(f"{catalogue.V2_FILE}:newton_magnetic")
    assert magnetic.outputs == ("px", "py") and magnetic.feedback
    average = load_task(f"{catalogue.V2_FILE}:average_last2")
    assert average.output_grid == 2
    assert average.run_oracle(np.array([[[3.0], [4.0]]])).tolist() == [[1.5, 3.5]]
    with pytest.raises(InputError, match="is a int, not a w2c.Task"):
        load_task(f"{catalogue.V2_FILE}:LENGTH")


# --------------------------------------------------------------------------------------------
# Oracles
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TASKS))
def test_oracle_shape_and_reference(name: str) -> None:
    task = TASKS[name]
    x = task.sample(np.random.default_rng(7), 400)
    y = task.run_oracle(x)  # raises on a wrong shape, non-finite values or off its grid
    assert y.shape == task.output_shape(*x.shape[:2])
    grid = task.output_grid
    if grid is not None:
        assert np.array_equal(y * grid, np.round(y * grid)), "outputs on the task's grid"
    if task.output is not None:
        lo, hi = task.output.bounds
        assert lo <= y.min() and y.max() <= hi
    if task.references is not None:
        per_output = {o: (y[..., k] if y.ndim == 3 else y) for k, o in enumerate(task.outputs)}
        for out, rule in zip(task.outputs, task.references, strict=True):
            expected = _rule_values(rule, task.channels, x, per_output)
            np.testing.assert_allclose(expected, per_output[out], rtol=0, atol=1e-9)


def _run(name: str, seq: list) -> list:
    task = TASKS[name]
    x = np.array([seq], dtype=float).reshape(1, len(seq), task.n_channels)
    return task.run_oracle(x)[0].tolist()


def test_oracles_without_reference_on_hand_worked_examples() -> None:
    assert _run("div_3", [1, 1, 0]) == [0, 1, 0]  # 6 / 3 = 2 = 010
    assert _run("div_5", [1, 0, 1, 0]) == [0, 0, 1, 0]  # 10 / 5 = 2 = 0010
    assert _run("dithering", [15, 0, 7, 8]) == [1, 0, 0, 1]  # cumsum 15, 15, 22, 30
    assert _run("balanced_parenthesis", [0, 1, 1, 0]) == [0, 1, 0, 0]  # "())(": broken for good
    assert _run("majority_0_1", [1, 0, 0]) == [1, 0, 0]  # a tie goes to the smaller value
    assert _run("majority_0_3", [3, 2, 2, 3, 3]) == [3, 2, 2, 2, 3]
    assert _run("bit_palindrome", [1, 0, 1, 1]) == [1, 0, 1, 0]
    assert _run("parity_bits_mod2", [1, 1, 0]) == [0, 1, 0]
    assert _run("min_seen", [5, 7, 3, 9]) == [5, 5, 3, 3]
    # 5 + 2 = 7 = 21 in base 3
    assert _run("base_3_addition", [(2, 2), (1, 0), (0, 0)]) == [1, 2, 0]
    assert _run("newton_spring", [1, 0, 2, 0]) == [1, 1, 2, 1]


def test_magnetic_oracle_turns_the_velocity() -> None:
    oracle = ROWS["newton_magnetic"].task.oracle
    # F = (1, 0): v = (1, 0), p = (1, 0); then F = 0: a = (-v_y, v_x) = (0, 1), v = (1, 1)
    y = oracle(np.array([[[1.0, 0.0], [0.0, 0.0]]]))
    assert y.tolist() == [[[1.0, 0.0], [2.0, 1.0]]]


# --------------------------------------------------------------------------------------------
# The runner's bookkeeping
# --------------------------------------------------------------------------------------------


def _result(exact: bool, clean: bool = True, code: int = 0, seconds: float = 10.0) -> dict:
    train = {"exact": exact, "stopped": False, "budget": 100.0, "wall_seconds": seconds}
    train["attempts"] = 1
    compiled = {"exit_code": code, "verdict": "VERIFIED", "clean": clean, "textbook": clean}
    compiled.update(compile_seconds=1.0, rule="x[t]", evidence={})
    return {"train": train, "compile": compiled if exact else None}


def test_solved_needs_exact_clean_and_verified() -> None:
    assert report.solved(_result(True))
    assert not report.solved(_result(False))
    assert not report.solved(_result(True, clean=False))
    assert not report.solved(_result(True, code=3))
    assert not report.solved(None)


def test_totals_count_every_unsolved_task_at_the_budget() -> None:
    rows = [e for e in MIPS if e.status == catalogue.READY][:4]
    results = {rows[0].name: _result(True, seconds=5.0), rows[1].name: _result(False)}
    lines = report.totals(rows, results, budget=100.0, compare=True)
    assert lines[0].startswith("**solved 1/4**") and "MIPS 32/62, GPT-4 30/62" in lines[0]
    assert "median seconds to the accepted model over all 4: 100.0 s" in lines[2]
    assert lines[3].startswith("first-attempt success: 1/2")
    assert lines[4] == f"not run yet (2): {rows[2].name}, {rows[3].name}"


def test_a_cached_training_outcome_answers_for_a_budget_it_can() -> None:
    finished = {"exact": True, "stopped": False, "wall_seconds": 50.0, "budget": 60.0}
    assert cache.training_holds(finished, 40.0) and cache.training_holds(finished, 600.0)
    assert cache.under_budget(finished, 600.0) is finished
    shorter = cache.under_budget(finished, 40.0)  # that run would have been stopped
    assert shorter["stopped"] and not shorter["exact"] and shorter["budget"] == 40.0
    stopped = {"exact": False, "stopped": True, "budget": 60.0}
    assert cache.training_holds(stopped, 30.0) and not cache.training_holds(stopped, 61.0)


def test_the_store_keeps_a_long_run_when_asked_about_a_shorter_budget(tmp_path: Path) -> None:
    store = cache.Store(tmp_path)
    key = cache.key("bitwise_not", catalogue.MIPS_FILE, 0)
    data = _result(True, seconds=50.0)
    store.write("bitwise_not", {"key": key, **data})
    assert store.reusable("bitwise_not", key, 100.0)["compile"] is not None
    short = store.reusable("bitwise_not", key, 40.0)
    assert short["train"]["stopped"] and short["compile"] is None
    assert store.read("bitwise_not")["train"]["wall_seconds"] == 50.0
    assert store.reusable("bitwise_not", {**key, "seed": 1}, 100.0) is None


def test_unknown_task_names_are_refused_with_exit_2() -> None:
    run = subprocess.run(
        [sys.executable, str(SUITE / "run.py"), "--tasks", "no_such_task"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1] == "error: unknown task(s): no_such_task"
