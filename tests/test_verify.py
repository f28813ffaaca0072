"""Verification against the oracle and the reference rule (docs/verification.md).

Hand-written programs for corpus tasks, right and subtly wrong: each wrong one must be caught by
the method that is supposed to catch it, with a counterexample that really fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy

from w2c.corpus import TASKS
from w2c.errors import InputError
from w2c.tasks import IntRange, Task, shift, task_from_record, x_sym, y_sym
from w2c.verify import load_program, verify

# ---- programs ------------------------------------------------------------------------------


def parity(xs):
    out, prev = [], 0
    for x in xs:
        out.append(x ^ prev)
        prev = x
    return out


def parity_wrong_at_start(xs):
    """Right everywhere except t = 0, where it says 0 whatever x[0] is."""
    out = parity(xs)
    out[0] = 0
    return out


def sum_last2(xs):
    out, prev = [], 0
    for x in xs:
        out.append(x + prev)
        prev = x
    return out


def sum_last2_rare(xs):
    """Off by one only when x[t] = 99 and x[t-1] = 0."""
    out, prev = [], 0
    for x in xs:
        out.append(x + prev + (1 if (x == 99 and prev == 0) else 0))
        prev = x
    return out


def sum_last2_rare_inside(xs):
    """Off by one only when x[t] = 99 and x[t-1] = 0 with t >= 1 (edge values, mid-sequence)."""
    out = sum_last2(xs)
    for t in range(1, len(xs)):
        if xs[t] == 99 and xs[t - 1] == 0:
            out[t] += 1
    return out


def sum_last2_interior(xs):
    """Off by one only after the pair (23, 57): no edge value involved."""
    out = sum_last2(xs)
    for t in range(1, len(xs)):
        if (xs[t - 1], xs[t]) == (23, 57):
            out[t] += 1
    return out


def sum_last2_late(xs):
    """Off by one only when t >= 5 and x[t] == x[t-1]: invisible to lengths 1-3."""
    out = sum_last2(xs)
    for t in range(5, len(xs)):
        if xs[t] == xs[t - 1]:
            out[t] += 1
    return out


def running_max(xs):
    out, best = [], 0
    for x in xs:
        best = max(best, x)
        out.append(best)
    return out


def running_max_forgetful(xs):
    """Forgets its state every 4 steps: right on lengths 1-4."""
    out, best = [], 0
    for t, x in enumerate(xs):
        best = x if t % 4 == 0 else max(best, x)
        out.append(best)
    return out


def spring_with(coefficient):
    def program(xs):
        out, y1, y2 = [], 0.0, 0.0
        for x in xs:
            y = y1 - y2 + coefficient * x
            out.append(y)
            y1, y2 = y, y1
        return out

    return program


def bitwise_xor(xs):
    return [a ^ b for a, b in xs]


def bitwise_or(xs):
    return [a | b for a, b in xs]


SMALL = 10**4  # exhaustive budget where the full 10^6 sweep is not the point (lengths 1-2)


def _check_counterexample(task: Task, program, example: dict) -> None:
    """The reported counterexample really fails: the oracle disagrees with the program there."""
    xs = example["xs"]
    x = np.asarray(xs, dtype=np.float64).reshape(1, len(xs), task.n_channels)
    expected = task.run_oracle(x)[0].tolist()
    assert example["expected"] == pytest.approx(expected)
    points = [tuple(p) if isinstance(p, list) else p for p in xs]
    got = program(points)
    assert got == example["got"]
    assert np.any(
        np.abs(np.asarray(got, float) - expected) > 1e-6 * np.maximum(1, np.abs(expected))
    )


def _evidence(check, method):
    (found,) = [e for e in check.evidence if e.method == method]
    return found


# ---- exhaustive ----------------------------------------------------------------------------


def test_parity_exhaustive_covers_every_length_and_passes() -> None:
    report = verify(parity, TASKS["parity_last2"], model=None)
    check = report.correctness
    assert check.checked and check.passed and check.strength == "exhaustive"
    found = _evidence(check, "exhaustive")
    assert found.cases == sum(2**n for n in range(1, 11)) and found.lengths == (1, 10)
    assert [e.method for e in check.evidence] == ["exhaustive"]  # nothing left to sample
    assert not report.passed  # fidelity did not run: no model


def test_parity_wrong_only_at_t0_is_caught_by_exhaustive() -> None:
    task = TASKS["parity_last2"]
    check = verify(parity_wrong_at_start, task, model=None).correctness
    assert check.checked and not check.passed and check.strength is None
    found = _evidence(check, "exhaustive")
    assert found.counterexample["xs"] == [1]  # the first failing sequence in enumeration order
    assert found.counterexample["position"] == 0
    _check_counterexample(task, parity_wrong_at_start, found.counterexample)


def test_sum_last2_exhaustive_lengths_1_to_3_then_property() -> None:
    check = verify(sum_last2, TASKS["sum_last2"], model=None).correctness
    # Lengths 4..10 were only sampled: the strength says so, the label gives both parts.
    assert check.passed and check.strength == "sampled"
    assert check.label == "exhaustive (every sequence of lengths 1..3) + sampled (320 sequences)"
    exhaustive, prop = _evidence(check, "exhaustive"), _evidence(check, "property")
    assert exhaustive.cases == 100 + 100**2 + 100**3 and exhaustive.lengths == (1, 3)
    assert prop.passed and prop.lengths == (1, 10) and prop.cases >= 300


def test_sum_last2_rare_error_caught_by_exhaustive_and_by_property() -> None:
    task = TASKS["sum_last2"]
    check = verify(sum_last2_rare, task, model=None).correctness
    found = _evidence(check, "exhaustive")
    assert not found.passed and found.counterexample["xs"] == [99]
    _check_counterexample(task, sum_last2_rare, found.counterexample)
    # Property alone (no exhaustive budget) finds it too, also when it needs a 0 before the 99.
    for program in (sum_last2_rare, sum_last2_rare_inside):
        check = verify(program, task, model=None, exhaustive_budget=0).correctness
        assert [e.method for e in check.evidence] == ["property"]
        found = _evidence(check, "property")
        assert not found.passed and found.counterexample["xs"][-1] == 99
        _check_counterexample(task, program, found.counterexample)


def test_interior_error_is_caught_by_exhaustive() -> None:
    task = TASKS["sum_last2"]
    found = _evidence(verify(sum_last2_interior, task, model=None).correctness, "exhaustive")
    assert not found.passed and found.counterexample["xs"] == [23, 57]
    assert 100 < found.cases < 100 + 100**2  # stopped soon after the failing sequence


def test_late_error_passes_exhaustive_but_property_catches_it() -> None:
    task = TASKS["sum_last2"]
    check = verify(sum_last2_late, task, model=None, exhaustive_budget=10**4).correctness
    assert _evidence(check, "exhaustive").passed  # lengths 1-2 cannot see it
    found = _evidence(check, "property")
    assert not found.passed and not check.passed
    assert len(found.counterexample["xs"]) == 6  # shrunk to the shortest failing length
    _check_counterexample(task, sum_last2_late, found.counterexample)


def test_bitwise_xor_with_tuples() -> None:
    task = TASKS["bitwise_xor"]
    check = verify(bitwise_xor, task, model=None).correctness
    assert check.passed and check.strength == "sampled"  # length 10 is only sampled
    assert _evidence(check, "exhaustive").lengths == (1, 9)  # 4^10 > 10^6
    assert _evidence(check, "property").lengths == (1, 10)
    bad = verify(bitwise_or, task, model=None).correctness
    found = _evidence(bad, "exhaustive")
    assert found.counterexample["xs"] == [[1, 1]]
    _check_counterexample(task, bitwise_or, found.counterexample)


def test_feedback_program_running_max() -> None:
    task = TASKS["running_max"]
    assert verify(running_max, task, model=None, exhaustive_budget=SMALL).correctness.passed
    check = verify(running_max_forgetful, task, model=None, exhaustive_budget=SMALL).correctness
    assert _evidence(check, "exhaustive").passed and not check.passed
    found = _evidence(check, "property")
    _check_counterexample(task, running_max_forgetful, found.counterexample)


# ---- real tasks ----------------------------------------------------------------------------


def test_spring_tolerance_both_ways() -> None:
    task = TASKS["spring"]
    check = verify(spring_with(1.0), task, model=None).correctness
    assert check.passed and check.strength == "sampled" and check.label == "sampled (320 sequences)"
    assert [e.method for e in check.evidence] == ["property"]  # real inputs: no exhaustive
    assert verify(spring_with(1.0 + 1e-9), task, model=None).correctness.passed
    check = verify(spring_with(0.999), task, model=None).correctness
    assert not check.passed
    _check_counterexample(task, spring_with(0.999), _evidence(check, "property").counterexample)


# ---- symbolic ------------------------------------------------------------------------------

X0, X1 = x_sym(0), x_sym(1)


def maximum_prev2(xs):
    return [max(a, b) for a, b in zip(xs, [0, *xs[:-1]], strict=True)]


PROGRAMS = {
    "parity_last2": parity,
    "maximum_prev2": maximum_prev2,
    "sum_last2": sum_last2,
    "running_max": running_max,
    "spring": spring_with(1.0),
}


@pytest.mark.parametrize(
    "task,rule",
    [
        ("parity_last2", X0 + X1 - 2 * X0 * X1),
        ("parity_last2", sympy.Abs(X0 - X1)),
        ("maximum_prev2", X1 + sympy.Max(0, X0 - X1)),
        ("sum_last2", X1 + X0),
        ("running_max", y_sym(1) + sympy.Max(0, X0 - y_sym(1))),
        ("spring", y_sym(1) - y_sym(2) + X0),
    ],
)
def test_symbolic_proves_equal_rules(task: str, rule: sympy.Expr) -> None:
    check = verify(PROGRAMS[task], TASKS[task], model=None, rule=rule, exhaustive_budget=SMALL)
    check = check.correctness
    assert _evidence(check, "symbolic").passed
    # A proof about the rule says nothing about a program given without its text.
    assert check.passed and check.strength != "proved"


def test_symbolic_rejects_a_wrong_rule_with_the_point() -> None:
    check = verify(parity, TASKS["parity_last2"], model=None, rule=X0 + X1 - X0 * X1).correctness
    found = _evidence(check, "symbolic")
    assert not found.passed
    assert found.counterexample == {"point": {"x[t-1]": 1, "x[t]": 1}, "expected": 0, "got": 1}
    # The program itself is right: correctness passes, but not at symbolic strength.
    assert check.passed and check.strength == "exhaustive"


def test_symbolic_is_not_claimed_for_a_wrong_program() -> None:
    rule = X0 + X1 - 2 * X0 * X1
    check = verify(parity_wrong_at_start, TASKS["parity_last2"], model=None, rule=rule).correctness
    assert _evidence(check, "symbolic").passed
    assert not check.passed and check.strength is None


def test_symbolic_does_not_apply_on_an_unbounded_domain() -> None:
    rule = y_sym(1) - y_sym(2) + sympy.Rational(999, 1000) * X0
    check = verify(spring_with(1.0), TASKS["spring"], model=None, rule=rule).correctness
    found = _evidence(check, "symbolic")
    assert not found.passed and "not proven" in found.detail
    assert check.strength == "sampled"


def test_symbolic_rule_with_rationals_is_exact() -> None:
    rule = sympy.Rational(1, 2) * (X0 + X1 + sympy.Abs(X0 - X1))
    task = TASKS["maximum_prev2"]
    check = verify(maximum_prev2, task, model=None, rule=rule, exhaustive_budget=SMALL)
    assert _evidence(check.correctness, "symbolic").passed
    almost = sympy.Rational(1, 2) * (X0 + X1 + sympy.Abs(X0 - X1)) + sympy.Float(1e-12)
    check = verify(maximum_prev2, task, model=None, rule=almost, exhaustive_budget=SMALL)
    assert not _evidence(check.correctness, "symbolic").passed


# ---- broken programs -----------------------------------------------------------------------


def raises_on_long(xs):
    if len(xs) > 2:
        raise ZeroDivisionError("boom")
    return parity(xs)


@pytest.mark.parametrize(
    "program,first_xs,error",
    [
        (raises_on_long, [0, 0, 0], "raised ZeroDivisionError: boom"),
        (lambda xs: parity(xs)[:-1], [0], "returned 0 outputs for 1 inputs"),
        (lambda xs: None, [0], "returned a NoneType, not a list"),
        (lambda xs: ["0"] * len(xs), [0], "output 0 is a str, not a number"),
        (lambda xs: [float("nan")] * len(xs), [0], "output 0 is not finite"),
    ],
)
def test_broken_programs_fail_with_a_counterexample(program, first_xs, error) -> None:
    report = verify(program, TASKS["parity_last2"], model=None)
    found = _evidence(report.correctness, "exhaustive")
    assert not found.passed and found.counterexample["xs"] == first_xs
    assert found.counterexample["error"] == error
    json.dumps(report.to_dict(), allow_nan=False)


def test_property_reports_a_raising_program() -> None:
    def spring_raising(xs):
        if len(xs) > 2:
            raise ZeroDivisionError("boom")
        return spring_with(1.0)(xs)

    report = verify(spring_raising, TASKS["spring"], model=None)
    found = _evidence(report.correctness, "property")
    assert not found.passed and found.counterexample["error"].startswith("raised ZeroDivision")
    assert len(found.counterexample["xs"]) == 3  # shrunk


# ---- tasks without an oracle, reports ------------------------------------------------------


def test_task_without_oracle_is_not_checked_for_correctness() -> None:
    task = task_from_record(TASKS["sum_last2"].signature())
    report = verify(sum_last2, task, model=None)
    assert not report.correctness.checked and not report.correctness.passed
    assert "no oracle" in report.correctness.reason and "--task" in report.correctness.reason
    assert report.correctness.evidence == ()
    assert "correctness: not checked" in "\n".join(report.lines())


def test_report_is_deterministic_and_json() -> None:
    def strip(report):
        data = report.to_dict()
        for check in ("correctness", "fidelity"):
            for evidence in data[check]["evidence"]:
                evidence.pop("seconds")
        return data

    task = TASKS["sum_last2"]
    first = verify(sum_last2_late, task, model=None, exhaustive_budget=10**4)
    second = verify(sum_last2_late, task, model=None, exhaustive_budget=10**4)
    assert strip(first) == strip(second)
    text = json.dumps(first.to_dict(), allow_nan=False)
    assert json.loads(text)["passed"] is False
    assert first.lines()[0] == "NOT VERIFIED"


def test_seed_changes_the_examples_deterministically() -> None:
    task = TASKS["spring"]
    a = verify(spring_with(0.999), task, model=None, seed=1).correctness.evidence[0]
    b = verify(spring_with(0.999), task, model=None, seed=1).correctness.evidence[0]
    assert a.counterexample == b.counterexample


LOCAL_MODULE = "A = 777\nB = 555\nC = 333\nD = 7.3125\n"


def test_property_examples_ignore_constants_in_local_modules(tmp_path: Path) -> None:
    """Hypothesis mines constants from loaded modules outside site-packages (a user's task or
    program file): the examples, and so the report, must not depend on what is imported."""
    task = Task("identity", (IntRange(0, 1000),), lambda x: x[..., 0].copy())

    def recorded_inputs() -> list:
        seen: list = []

        def program(xs):
            seen.append(list(xs))
            return list(xs)

        verify(program, task, model=None, exhaustive_budget=0)
        return seen

    before = recorded_inputs()
    name = f"w2c_local_constants_{os.getpid()}"
    path = tmp_path / f"{name}.py"
    path.write_text(LOCAL_MODULE)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    try:
        after = recorded_inputs()
    finally:
        sys.modules.pop(name, None)
    assert before == after


def test_property_writes_nothing_into_the_working_folder(tmp_path: Path) -> None:
    """In a fresh process (hypothesis fixes its storage folder at import, from the cwd)."""
    (tmp_path / "localmod.py").write_text(LOCAL_MODULE)
    script = (
        "import localmod\n"
        "from w2c.corpus import TASKS\n"
        "from w2c.verify import verify\n"
        "prog = lambda xs: [x + 1e-3 for x in xs]\n"
        "report = verify(prog, TASKS['spring'], model=None, property_examples=100)\n"
        "assert not report.correctness.passed\n"
    )
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(tmp_path))
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, check=True, timeout=120)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["localmod.py"]


def test_symbolic_includes_the_zero_read_before_the_start() -> None:
    """x[t-1] is 0 at t = 0 even when 0 is outside the domain: a rule wrong only there fails."""
    task = Task(
        "plus_prev",
        (IntRange(1, 4),),
        lambda x: x[..., 0] + shift(x[..., 0], 1),
        reference=X0 + X1,
    )
    rule = X0 + X1 + (X1 - 1) * (X1 - 2) * (X1 - 3)  # equal on {1, 2, 3}, not at 0
    check = verify(sum_last2, task, model=None, rule=rule).correctness
    found = _evidence(check, "symbolic")
    assert not found.passed and found.counterexample["point"]["x[t-1]"] == 0
    assert check.passed and check.strength == "exhaustive"


# ---- loading programs ----------------------------------------------------------------------


def test_load_program(tmp_path: Path) -> None:
    good = tmp_path / "prog.py"
    good.write_text("def program(xs):\n    return [2 * x for x in xs]\n")
    assert load_program(good)([1, 2]) == [2, 4]
    assert not (tmp_path / "__pycache__").exists()
    cases = {
        "missing.py": None,
        "syntax.py": "def program(xs)\n    return xs\n",
        "raises.py": "raise RuntimeError('no')\n",
        "nothing.py": "x = 1\n",
        "notcallable.py": "program = 3\n",
    }
    messages = {
        "missing.py": "program not found",
        "syntax.py": "syntax error on line 1",
        "raises.py": "importing failed: RuntimeError: no",
        "nothing.py": "defines no function 'program'",
        "notcallable.py": "defines no function 'program'",
    }
    for name, text in cases.items():
        if text is not None:
            (tmp_path / name).write_text(text)
        with pytest.raises(InputError, match=messages[name]):
            load_program(tmp_path / name)
    assert sorted(os.listdir(tmp_path)) == sorted(["prog.py", *[n for n in cases if cases[n]]])


def test_not_callable_program_is_an_input_error() -> None:
    with pytest.raises(InputError):
        verify(3, TASKS["parity_last2"], model=None)  # type: ignore[arg-type]


def _oracle_failing_at_length(length: int):
    def oracle(x):
        if x.shape[1] == length:
            raise ValueError("cannot")
        return x[..., 0].copy()

    return oracle


@pytest.mark.parametrize("budget", [0, 10**6])
def test_a_broken_oracle_is_an_input_error_not_a_program_failure(budget: int) -> None:
    task = Task("echo", (IntRange(0, 3),), _oracle_failing_at_length(2))
    with pytest.raises(InputError, match="oracle raised ValueError: cannot"):
        verify(lambda xs: list(xs), task, model=None, exhaustive_budget=budget)
