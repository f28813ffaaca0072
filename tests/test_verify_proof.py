"""The program is the rule: proofs from the program text (docs/verification.md "Proof").

The two hand edits of the emitted sum_last2.py from issue 14 must fail with a counterexample
that fails when the program runs; unedited corpus programs are proved; programs outside the
documented subset are "not proved" with the reason; the symbolic execution agrees with Python
on concrete inputs (differential check); budgets are deterministic counts.
"""

from __future__ import annotations

import inspect
import json
import random
import types
from pathlib import Path

import numpy as np
import pytest
import sympy
import z3

from w2c.cli import run
from w2c.codegen.runtime import _prev_match, _window_pick
from w2c.corpus import TASKS
from w2c.tasks import IntRange, RealInterval, Task, shift, x_sym, y_sym
from w2c.verify.proof import prove
from w2c.verify.symexec import Interpreter, load_module, symbolic_inputs

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "corpus" / "models" / "sum_last2.pt"

SUM_LAST2 = '''"""sum_last2, as w2c emits it."""


def program(xs):
    x = list(xs)
    y = []
    for t in range(len(x)):
        x_t = x[t]
        x_t1 = x[t - 1] if t >= 1 else 0
        y.append(x_t1 + x_t)
    return y
'''
EDIT_PAIR = SUM_LAST2.replace(
    "        y.append(x_t1 + x_t)",
    "        v = x_t1 + x_t\n"
    "        if t >= 3 and x[t] == 57 and x[t - 1] == 23:\n"
    "            v += 1\n"
    "        y.append(v)",
)
EDIT_LATE = SUM_LAST2.replace(
    "y.append(x_t1 + x_t)", "y.append(x_t1 + x_t + (1 if t == 9 and x[t] == 42 else 0))"
)


def function(source: str):  # type: ignore[no-untyped-def]
    module = types.ModuleType("w2c_test_program")
    exec(compile(source, "<test program>", "exec"), module.__dict__)
    return module.__dict__["program"]


def oracle_differs(task: Task, source: str, xs: list) -> bool:
    got = np.asarray(function(source)(list(xs)), dtype=np.float64)
    x = np.asarray(xs, dtype=np.float64).reshape(1, len(xs), task.n_channels)
    return bool(np.any(np.rint(got) != task.run_oracle(x)[0]))


# ---- the hand edits ------------------------------------------------------------------


@pytest.mark.parametrize("source", [EDIT_PAIR, EDIT_LATE], ids=["pair", "late"])
def test_hand_edits_are_disproved_with_a_counterexample_that_fails(source: str) -> None:
    task = TASKS["sum_last2"]
    result = prove(source, task, task.reference)
    assert result.status == "refuted"
    assert oracle_differs(task, source, result.xs)


@pytest.mark.parametrize("source", [EDIT_PAIR, EDIT_LATE], ids=["pair", "late"])
def test_w2c_verify_says_not_verified_for_the_hand_edits(
    source: str, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "sum_last2.py"
    path.write_text(source)
    assert run(["verify", str(path), str(MODEL), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "NOT VERIFIED"
    for kind in ("correctness", "fidelity"):
        failed = [e for e in report[kind]["evidence"] if not e["passed"] and e["counterexample"]]
        assert failed, kind
        assert oracle_differs(TASKS["sum_last2"], source, failed[-1]["counterexample"]["xs"])


def test_w2c_verify_unedited_is_proved_and_verified(tmp_path: Path, capsys) -> None:
    """Correctness proved; fidelity proved by the network proof although the exhaustive runs
    reach only length 3: VERIFIED, exit 0, with no fidelity runs left to do."""
    path = tmp_path / "sum_last2.py"
    path.write_text(SUM_LAST2)
    assert run(["verify", str(path), str(MODEL), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "VERIFIED"
    assert report["correctness"]["strength"] == "proved"
    assert "lengths 1..3" in report["correctness"]["label"]  # the oracle runs
    fidelity = report["fidelity"]
    assert fidelity["strength"] == "proved"
    assert fidelity["label"] == (
        "proved (network = reference = program for every sequence of lengths 1..10)"
    )
    assert [e["method"] for e in fidelity["evidence"]] == ["network"]


def test_bit_task_is_verified(tmp_path: Path, capsys) -> None:
    """parity_last2: proved correctness, fidelity over every bit sequence: VERIFIED, exit 0."""
    out = tmp_path / "parity.py"
    assert run(["compile", str(ROOT / "corpus/models/parity_last2.pt"), "-o", str(out), "-q"]) == 0
    capsys.readouterr()
    text = out.read_text()
    assert "\nVERIFIED\n" in text and "correctness: proved (program = rule = reference" in text
    assert run(["verify", str(out), str(ROOT / "corpus/models/parity_last2.pt")]) == 0
    assert capsys.readouterr().out.startswith("VERIFIED\n")


# ---- the subset ---------------------------------------------------------------------------

OUTSIDE = [
    ("import os\n" + SUM_LAST2, "module-level Import"),
    (SUM_LAST2 + "print('hi')\n", "module-level Expr"),
    (SUM_LAST2.replace("list(xs)", "sorted(xs)"), "sorted is outside the subset"),
    (SUM_LAST2.replace("x = list(xs)", "x = list(xs)\n    x.sort()"), ".sort(...)"),
    (SUM_LAST2.replace("x_t1 + x_t", "x[x_t % 2]"), "an index that depends on the inputs"),
    (
        SUM_LAST2.replace("x_t = x[t]", "x_t = x[t]\n        while x_t > 0:\n            x_t -= 1"),
        "while condition that depends on the inputs",
    ),
    (SUM_LAST2.replace("def program(xs):", "def program(xs=()):"), "defaults"),
    (
        SUM_LAST2.replace(
            "y.append(x_t1 + x_t)", "if x_t > 3:\n            y.append(0)\n        y.append(x_t)"
        ),
        "a list changes under a condition on the inputs",
    ),
    (SUM_LAST2.replace("x_t1 + x_t", "(x_t1 + x_t) / 1"), "true division on an integer task"),
    (SUM_LAST2.replace("x_t1 + x_t", "x_t1 + x_t + 0.0"), "float literal"),
    (SUM_LAST2.replace("x_t1 + x_t", "x_t1 ^ x_t"), "BitXor"),
]


@pytest.mark.parametrize("source,reason", OUTSIDE, ids=[r for _s, r in OUTSIDE])
def test_outside_the_subset_is_not_proved_and_says_why(source: str, reason: str) -> None:
    task = TASKS["sum_last2"]
    result = prove(source, task, task.reference)
    assert result.status == "unknown" and "outside the proof subset" in result.detail
    assert reason in result.detail


def test_fallback_helpers_are_outside_the_subset() -> None:
    """A NumPy fallback (runtime helper that imports numpy) is not proved, and not a crash."""
    from w2c.codegen.runtime import _fallback_attend

    source = SUM_LAST2.replace("x_t1 + x_t", "_fallback_attend(0, x, x, x, t)")
    source += "\n\n" + inspect.getsource(_fallback_attend)
    task = TASKS["sum_last2"]
    result = prove(source, task, task.reference)
    assert result.status == "unknown" and "Import statement is outside the subset" in result.detail


HELPER_PROGRAMS = {
    "window": SUM_LAST2.replace("x_t1 + x_t", "_window_pick(x, x, t, 2, 0, True, False)")
    + "\n\n"
    + inspect.getsource(_window_pick),
    "prev_match": SUM_LAST2.replace("x_t1 + x_t", "_prev_match(x, x, x[t], t)")
    + "\n\n"
    + inspect.getsource(_prev_match),
}


def test_runtime_helpers_are_in_the_subset() -> None:
    task = TASKS["maximum_prev2"]
    assert prove(HELPER_PROGRAMS["window"], task, task.reference).status == "proved"
    # _prev_match is not max(x[t-1], x[t]): disproved, and the counterexample really differs
    result = prove(HELPER_PROGRAMS["prev_match"], task, task.reference)
    assert result.status == "refuted"
    assert oracle_differs(task, HELPER_PROGRAMS["prev_match"], result.xs)


def test_a_program_that_raises_on_one_input_is_disproved() -> None:
    source = SUM_LAST2.replace(
        "x_t = x[t]", "x_t = x[t]\n        if t == 4 and x_t == 13:\n            raise ValueError"
    )
    task = TASKS["sum_last2"]
    result = prove(source, task, task.reference)
    assert result.status == "refuted" and "raises" in result.detail
    assert len(result.xs) == 5 and result.xs[4] == 13
    with pytest.raises(ValueError):
        function(source)(result.xs)


def test_unguarded_read_wraps_around_like_python() -> None:
    """x[t - 1] at t = 0 is x[-1], the last input: the proof sees it, as Python does."""
    source = SUM_LAST2.replace("x[t - 1] if t >= 1 else 0", "x[t - 1]")
    task = TASKS["sum_last2"]
    result = prove(source, task, task.reference)
    assert result.status == "refuted" and oracle_differs(task, source, result.xs)


def test_feedback_outputs_must_stay_in_the_declared_output_domain() -> None:
    """The per-step proof rule == reference only covers y in the declared output domain."""
    rule = x_sym(0) + y_sym(1)
    task = Task(
        "accumulate",
        (IntRange(0, 2),),
        lambda x: np.cumsum(x[..., 0], axis=1),
        feedback=True,
        reference=rule,
        output=IntRange(0, 3),
    )
    source = SUM_LAST2.replace(
        "x_t1 = x[t - 1] if t >= 1 else 0", "x_t1 = y[t - 1] if t >= 1 else 0"
    )
    result = prove(source, task, rule)
    assert result.status == "refuted" and "output domain" in result.detail
    assert max(function(source)(result.xs)) >= 3


def test_budgets_are_counts_not_time() -> None:
    task = TASKS["parity_last3"]
    source = SUM_LAST2.replace("x_t1 + x_t", "(x_t1 + x_t) % 2")
    tiny = prove(source, TASKS["parity_last2"], TASKS["parity_last2"].reference, rlimit=1)
    assert tiny.status == "unknown" and "z3 gave up" in tiny.detail
    steps = prove(source, task, task.reference, steps=50)
    assert steps.status == "unknown" and "step budget" in steps.detail
    again = prove(source, TASKS["parity_last2"], TASKS["parity_last2"].reference)
    assert again.status == "proved"


# ---- differential: the symbolic execution agrees with Python ------------------------------

FEATURES = """
def helper(a, b):
    if a > b:
        return a - b
    for k in range(3):
        if a == k:
            return k * 10
    return -b


def program(xs):
    x = [v[0] for v in xs]
    w = [v[1] for v in xs]
    y = []
    total = 0
    for t, (a, b) in enumerate(zip(x, w)):
        c = a % 3 - b // 4 + (-a) % 5 + (-b) // 3
        d = max(a, b, c) - min([a, b]) + abs(a - b) + round(a / 4) + int(b / 3)
        e = (a or b) + (a and b) + (a > 2 and b < 5) + (1 < a <= b)
        if a > b:
            total += a
        elif a == b:
            total -= 1
        else:
            total = total * 2
        j = 0
        for j in range(3):
            if b == j:
                break
            total += 1
        k = 0
        while k < 2:
            k += 1
            total += k
            if k == 5:
                continue
        e += helper(a, b) + sum([a, b, 1]) + len(x[:t]) + (x[t - 1] if t else 7)
        y.append(c + d + e + total + j)
    return y
"""


def _symbolic_outputs(source: str, task: Task, length: int):  # type: ignore[no-untyped-def]
    real = [isinstance(d, RealInterval) for d in task.inputs]
    xs, variables = symbolic_inputs(task.n_channels, length, real)

    def possible(condition) -> bool:  # type: ignore[no-untyped-def]
        solver = z3.Solver()
        solver.add(condition)
        return solver.check() != z3.unsat

    interpreter = Interpreter(load_module(source), task.discrete, possible)
    outputs = interpreter.call_program(xs)
    assert not interpreter.raises
    return outputs, variables


def _evaluate(term, variables, values):  # type: ignore[no-untyped-def]
    from w2c.verify import terms

    pairs = [
        (v, z3.RealVal(x) if v.is_real() else z3.IntVal(x))
        for v, x in zip(variables, values, strict=True)
    ]
    value = z3.simplify(z3.substitute(terms.arith(term), *pairs))
    if z3.is_int_value(value):
        return value.as_long()
    return float(value.as_fraction())


def test_symbolic_execution_agrees_with_python_on_concrete_inputs() -> None:
    task = Task(
        "features",
        (RealInterval(-6.0, 7.0), RealInterval(-6.0, 7.0)),
        lambda x: x[..., 0],
        channels=("a", "b"),
    )
    program = function(FEATURES)
    rng = random.Random(0)
    for length in range(1, 7):
        outputs, variables = _symbolic_outputs(FEATURES, task, length)
        for _ in range(12):
            values = [float(rng.randint(-6, 7)) / rng.choice([1, 2, 4]) for _ in variables]
            xs = [tuple(values[i : i + 2]) for i in range(0, len(values), 2)]
            expected = program(xs)
            got = [_evaluate(o, variables, values) for o in outputs]
            assert got == pytest.approx(expected, abs=1e-9), (xs, got, expected)


@pytest.mark.parametrize("name", ["sum_last2", "running_max", "add_mod_3", "diff_last2"])
def test_corpus_shaped_programs_agree_with_python(name: str) -> None:
    task = TASKS[name]
    source = {
        "sum_last2": SUM_LAST2,
        "running_max": SUM_LAST2.replace("x_t1 + x_t", "max(x_t, y[t - 1] if t >= 1 else 0)"),
        "add_mod_3": SUM_LAST2.replace("x_t1 + x_t", "(x_t + (y[t - 1] if t >= 1 else 0)) % 3"),
        "diff_last2": SUM_LAST2.replace("x_t1 + x_t", "(x_t - x_t1) // 3 + (x_t1 - x_t) % 7"),
    }[name]
    program = function(source)
    rng = random.Random(name)
    domain = task.inputs[0]
    outputs, variables = _symbolic_outputs(source, task, 6)
    for _ in range(20):
        values = [rng.randrange(domain.lo, domain.hi) for _ in variables]
        assert [_evaluate(o, variables, values) for o in outputs] == program(values)


def test_proof_against_a_wrong_reference_fails_even_if_the_program_is_right() -> None:
    """The target matters: the same right program is disproved against a wrong rule."""
    task = TASKS["sum_last2"]
    assert prove(SUM_LAST2, task, x_sym(0) + x_sym(1)).status == "proved"
    wrong = prove(SUM_LAST2, task, x_sym(0) + 2 * x_sym(1))
    assert wrong.status == "refuted" and wrong.example["got"] != wrong.example["expected"]


def test_shift_is_the_oracle_convention() -> None:  # reads before the start are 0
    x = np.arange(1.0, 4.0)[None, :]
    assert shift(x, 1).tolist() == [[0.0, 1.0, 2.0]]
    task = TASKS["prev2"]
    assert (
        prove(
            SUM_LAST2.replace("x_t1 + x_t", "x[t - 2] if t >= 2 else 0"),
            task,
            sympy.sympify(task.reference),
        ).status
        == "proved"
    )
