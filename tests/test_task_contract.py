"""The task contract v2 (docs/tasks.md): fractional outputs on a grid and several output channels.

Each oracle below is written from the task's definition; the expected values in the asserts
are computed by hand or by that oracle, never taken from the compiler's output.
"""

from __future__ import annotations

import copy
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

import w2c
import w2c.corpus
from helpers import checkpoint_dict, pointer_model
from w2c import Fractions, IntRange, RealInterval, Task, shift, x_sym, y_sym
from w2c.cli import run
from w2c.errors import CheckpointError, InputError
from w2c.network import checkpoint
from w2c.network.config import ModelSize, TrainSettings
from w2c.network.train import RunResult, run_record, train_run, with_short_sequences
from w2c.tasks import quantise, task_from_record
from w2c.verify import verify

CORPUS_MODELS = Path(__file__).resolve().parents[1] / "corpus" / "models"


def average(x: np.ndarray) -> np.ndarray:
    return (x[..., 0] + shift(x[..., 0], 1)) / 2


def sum_and_gap(x: np.ndarray) -> np.ndarray:
    return np.stack([x[..., 0] + shift(x[..., 0], 1), x[..., 0] - shift(x[..., 0], 1)], axis=-1)


AVERAGE = Task(
    name="average_last2",
    inputs=(IntRange(0, 10),),
    oracle=average,
    length=4,
    output=Fractions(0, 9, 2),
    reference=(x_sym(0) + x_sym(1)) / 2,
)
TWO = Task(
    name="sum_and_gap",
    inputs=(IntRange(0, 10),),
    oracle=sum_and_gap,
    length=4,
    outputs=("total", "gap"),
    reference=(x_sym(0) + x_sym(1), x_sym(0) - x_sym(1)),
)
LINEAR = ModelSize(((2, 0),), 8)  # heads only: y is linear in shifted inputs


def linear_run(task: Task) -> RunResult:
    """One training run of the heads-only size, held to the whole exactness bar."""
    result = train_run(task, LINEAR, TrainSettings(steps=600), seed=0)
    return replace(result, exactness=with_short_sequences(result.exactness, result.model, task))


def saved(result: RunResult, task: Task, path: Path) -> Path:
    record = run_record(result, result.seconds, 1)
    return checkpoint.save(checkpoint.build(result.model, task, record, w2c.__version__), path)


# --------------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------------


def test_output_grid_follows_the_declared_output_domain() -> None:
    ints, reals = (IntRange(0, 10),), (RealInterval(0.0, 1.0),)
    oracle = average
    assert Task("a", ints, oracle).output_grid == 1
    assert Task("a", reals, oracle).output_grid is None
    assert Task("a", ints, oracle, output=Fractions(0, 9, 2)).output_grid == 2
    assert Task("a", ints, oracle, output=RealInterval(0.0, 9.0)).output_grid is None
    assert Task("a", reals, oracle, output=IntRange(0, 3)).output_grid == 1
    halves = np.array([0.26, 0.74, 1.5, -0.25])
    assert quantise(halves, 2).tolist() == [0.5, 0.5, 1.5, -0.0]
    assert quantise(np.array([1 / 3 + 1e-12]), 3)[0] == 1 / 3
    assert quantise(halves, None) is halves


def test_fractions_domain_values_and_record() -> None:
    thirds = Fractions(0, 2, 3)
    assert thirds.size == 7 and thirds.values().tolist() == [k / 3 for k in range(7)]
    assert Fractions(0.5, 2, 2).values().tolist() == [0.5, 1.0, 1.5, 2.0]
    record = AVERAGE.signature()
    assert record["output"] == {"kind": "fractions", "lo": 0, "hi": 9, "denominator": 2}
    assert record["outputs"] == ["y"]
    rebuilt = task_from_record(TWO.signature())
    assert rebuilt.outputs == ("total", "gap") and rebuilt.output is None


BAD_DECLARATIONS = {
    "zero denominator": (lambda: Fractions(0, 9, 0), "denominator"),
    "float denominator": (lambda: Fractions(0, 9, 2.0), "denominator"),
    "empty fractions": (lambda: Fractions(3, 3, 2), "lo < hi"),
    "huge fractions": (lambda: Fractions(0, 2.0**53, 4), "2\\*\\*53"),
    "fractions as input": (lambda: Task("a", (Fractions(0, 1, 2),), average), "inputs must be"),
    "output not a domain": (lambda: Task("a", (IntRange(0, 2),), average, output=3), "output"),
    "outputs as a string": (lambda: Task("a", (IntRange(0, 2),), average, outputs="lo"), "tuple"),
    "one renamed output": (lambda: Task("a", (IntRange(0, 2),), average, outputs=("z",)), "y"),
    "duplicate outputs": (
        lambda: Task("a", (IntRange(0, 2),), average, outputs=("p", "p")),
        "distinct",
    ),
    "reserved output": (
        lambda: Task("a", (IntRange(0, 2),), average, outputs=("y", "xs")),
        "reserved",
    ),
    "output named as a channel": (
        lambda: Task("a", (IntRange(0, 2),), average, outputs=("x", "q")),
        "names an input channel",
    ),
    "feedback input clash": (
        lambda: Task(
            "a",
            (IntRange(0, 2), IntRange(0, 2)),
            average,
            channels=("p_prev", "b"),
            outputs=("p", "q"),
            feedback=True,
        ),
        "collide",
    ),
    "one rule for two outputs": (
        lambda: Task("a", (IntRange(0, 2),), average, outputs=("p", "q"), reference=x_sym(0)),
        "tuple of 2 rules",
    ),
    "rule reads an output without feedback": (
        lambda: Task(
            "a",
            (IntRange(0, 2),),
            average,
            outputs=("p", "q"),
            reference=(y_sym(1, "q"), x_sym(0)),
        ),
        "only feedback tasks",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_DECLARATIONS))
def test_bad_declarations_are_input_errors(case: str) -> None:
    make, message = BAD_DECLARATIONS[case]
    with pytest.raises(InputError, match=message):
        make()


def test_oracle_off_the_grid_says_which_output_to_declare() -> None:
    undeclared = Task("avg", (IntRange(0, 10),), average)
    x = np.array([[[1.0], [2.0]]])
    with pytest.raises(InputError, match=r"returned 0\.5.*output=Fractions\(lo, hi, denominator\)"):
        undeclared.run_oracle(x)
    thirds = Task("avg", (IntRange(0, 10),), average, output=Fractions(0, 9, 3))
    with pytest.raises(InputError, match="multiples of 1/3"):
        thirds.run_oracle(x)
    narrow = Task("avg", (IntRange(0, 10),), average, output=Fractions(0, 0.5, 2))
    with pytest.raises(InputError, match="outside the declared output domain"):
        narrow.run_oracle(np.array([[[3.0], [3.0]]]))
    wrong_shape = Task("two", (IntRange(0, 10),), average, outputs=("p", "q"))
    with pytest.raises(InputError, match=r"shape \(1, 2\), expected \(1, 2, 2\)"):
        wrong_shape.run_oracle(x)
    # on the grid: the oracle's float thirds come back as the grid's points
    third = Task("t", (IntRange(0, 10),), lambda v: v[..., 0] / 3, output=Fractions(0, 3, 3))
    assert third.run_oracle(np.array([[[1.0], [2.0]]])).tolist() == [[1 / 3, 2 / 3]]


def test_cli_train_of_an_undeclared_fractional_task_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tasks.py"
    path.write_text(
        textwrap.dedent(
            """
            import w2c
            from w2c import IntRange

            avg = w2c.Task(
                name="avg",
                inputs=(IntRange(0, 10),),
                oracle=lambda x: (x[..., 0] + w2c.shift(x[..., 0], 1)) / 2,
                length=4,
            )
            bad = w2c.Task(name="bad", inputs=(IntRange(0, 10),), oracle=abs, outputs=("y", "y"))
            """
        )
    )
    capsys.readouterr()
    for spec in ("avg", "bad"):
        assert run(["train", f"{path}:{spec}", "-o", str(tmp_path / "m.pt"), "-q"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("w2c: error: "), err
        assert "Traceback" not in err
    assert not (tmp_path / "m.pt").exists()


# --------------------------------------------------------------------------------------------
# Checkpoints: version 2, and version 1 still read
# --------------------------------------------------------------------------------------------


def test_shipped_version_1_checkpoints_still_load() -> None:
    for name in ("sum_last2", "add_mod_3", "freebody"):
        path = CORPUS_MODELS / f"{name}.pt"
        raw = torch.load(path, weights_only=True)
        assert raw["format"] == "w2c.discrete-transformer/1"
        assert "outputs" not in raw["task"] and "outputs" not in raw["config"]
        loaded = checkpoint.load(path)
        assert loaded.format_version == 1
        assert loaded.task["outputs"] == ["y"] and loaded.task["output"] is None
        assert loaded.config.outputs == 1
        assert checkpoint.resolve_task(loaded) is w2c.corpus.TASKS[name]


def test_version_1_dict_loads_and_keeps_its_model_hash(tmp_path: Path) -> None:
    task = w2c.corpus.TASKS["sum_last2"]
    current = checkpoint_dict(pointer_model(task, [(0, 1)]), task)
    old = copy.deepcopy(current)
    old["format"] = "w2c.discrete-transformer/1"
    for key in ("outputs", "output"):
        del old["task"][key]
    torch.save(old, tmp_path / "v1.pt")
    loaded = checkpoint.load(tmp_path / "v1.pt")
    assert loaded.model_hash == checkpoint.validate(current).model_hash
    assert current["format"] == "w2c.discrete-transformer/2"
    # the version decides the record's keys: no v2 keys in a v1 file, none missing in a v2 one
    old["task"]["outputs"] = ["y"]
    with pytest.raises(CheckpointError, match="field 'task' must have keys"):
        checkpoint.validate(old)
    del current["task"]["output"]
    with pytest.raises(CheckpointError, match="field 'task' must have keys"):
        checkpoint.validate(current)


def test_bad_v2_task_records_are_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = checkpoint_dict(pointer_model(TWO, [(0, 1)]), TWO)
    cases = {
        "outputs": (["total"], "1 output"),
        "output": ({"kind": "fractions", "lo": 0, "hi": 1, "denominator": -2}, "denominator"),
    }
    for key, (value, message) in cases.items():
        data = copy.deepcopy(good)
        data["task"][key] = value
        path = tmp_path / f"{key}.pt"
        torch.save(data, path)
        with pytest.raises(CheckpointError, match=message):
            checkpoint.load(path)
        capsys.readouterr()
        assert run(["inspect", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("w2c: error: ")
    data = copy.deepcopy(good)
    data["config"]["outputs"] = 1
    torch.save(data, tmp_path / "one.pt")
    with pytest.raises(CheckpointError, match="'outputs' must be an integer in 2"):
        checkpoint.load(tmp_path / "one.pt")


def test_task_with_other_outputs_does_not_match_the_checkpoint(tmp_path: Path) -> None:
    path = checkpoint.save(checkpoint_dict(pointer_model(TWO, [(0, 1)]), TWO), tmp_path / "m.pt")
    renamed = Task(
        "sum_and_gap", TWO.inputs, sum_and_gap, length=4, outputs=("total", "difference")
    )
    with pytest.raises(InputError, match="outputs is"):
        w2c.compile_model(path, task=renamed, verify=False)
    halves = Task(
        "sum_and_gap",
        TWO.inputs,
        sum_and_gap,
        length=4,
        outputs=TWO.outputs,
        output=Fractions(-9, 18, 2),
    )
    with pytest.raises(InputError, match="output grid"):
        w2c.compile_model(path, task=halves, verify=False)


# --------------------------------------------------------------------------------------------
# End to end: train, checkpoint, compile, verify
# --------------------------------------------------------------------------------------------


def test_average_task_trains_compiles_and_verifies(tmp_path: Path) -> None:
    result = linear_run(AVERAGE)
    assert result.exactness.passed and result.exactness.exact_fraction == 1.0
    path = saved(result, AVERAGE, tmp_path / "average.pt")
    compiled = w2c.compile_model(path, task=AVERAGE)
    report = compiled.report
    assert report.verified and report.verification.correctness.passed, report.verification.lines()
    assert report.verification.correctness.strength in ("proved", "exhaustive")
    xs = [3, 4, 9, 0]
    assert compiled.function(xs) == [1.5, 3.5, 6.5, 4.5]  # (x[t] + x[t-1]) / 2 by hand
    assert compiled.function(xs + [7, 8]) == [1.5, 3.5, 6.5, 4.5, 3.5, 7.5]  # any length


def test_two_output_task_round_trips_train_checkpoint_compile_verify(tmp_path: Path) -> None:
    result = linear_run(TWO)
    assert result.exactness.passed
    path = saved(result, TWO, tmp_path / "two.pt")
    loaded = checkpoint.load(path)
    assert loaded.format_version == 2 and loaded.task["outputs"] == ["total", "gap"]
    assert loaded.config.outputs == 2
    assert tuple(loaded.model.state_dict()["out_weight"].shape) == (2, loaded.config.width)
    compiled = w2c.compile_model(path, task=TWO, numpy_twin=True)
    assert compiled.report.verified, compiled.report.verification.lines()
    assert compiled.ir.outputs == ("total", "gap")
    xs = [3, 4, 9, 0]
    assert compiled.function(xs) == [(3, 3), (7, 1), (13, 5), (9, -9)]  # (x+x[t-1], x-x[t-1])
    batch = np.array([xs, [1, 1, 1, 1]], dtype=float)
    assert np.array_equal(compiled.numpy_function(batch), sum_and_gap(batch[..., None]))


# --------------------------------------------------------------------------------------------
# Verification compares every output channel
# --------------------------------------------------------------------------------------------


def _two_outputs(swap_at: int | None = None, shape: str = "tuple"):  # type: ignore[no-untyped-def]
    """A hand-written program for TWO, optionally wrong in one place."""

    def program(xs):  # type: ignore[no-untyped-def]
        out = []
        for t, v in enumerate(xs):
            prev = xs[t - 1] if t >= 1 else 0
            total, gap = v + prev, v - prev
            if swap_at == t and len(xs) > t and v != prev:
                gap = -gap
            out.append(total if shape == "number" else (total, gap))
        return out

    return program


def test_verification_checks_every_output_channel() -> None:
    small = {"model": None, "exhaustive_budget": 1000, "property_examples": 30}
    good = verify(_two_outputs(), TWO, **small)
    assert good.correctness.passed
    wrong = verify(_two_outputs(swap_at=2), TWO, **small)
    assert not wrong.correctness.passed
    example = wrong.correctness.evidence[0].counterexample  # exhaustive: the first failure
    assert example["output"] == "gap" and example["position"] == 2
    assert example["xs"] == [0, 0, 1] and example["expected"][2] == [1, 1]
    numbers = verify(_two_outputs(shape="number"), TWO, **small)
    assert not numbers.correctness.passed
    assert "not a 2-tuple" in numbers.correctness.evidence[0].counterexample["error"]


def test_fed_back_outputs_are_read_on_the_grid_when_the_rule_is_not_exact() -> None:
    """A program whose rule has an inexact constant reads y[t-1] as round(y[t-1] * d) / d."""
    from types import SimpleNamespace

    import sympy

    from w2c.codegen.program import render
    from w2c.compiler.ir import IR, Input, Node, Output, TaskInfo

    rule = x_sym(0) / 2 + sympy.Float(0.5000001) * y_sym(1)
    nodes = (
        Node("x", Input("x", 0)),
        Node("y_prev", Input("y", 1)),
        Node("y", Output((), 0.0, 1.0, rule=rule)),
    )
    ir = IR(TaskInfo("halves", ("x",), True, 4, 2), nodes, "y")
    source = render(ir, SimpleNamespace(model_hash="", pipeline=("hand",)))
    assert "round(y[t - 1] * 2) / 2" in source and "nearest 1/2" in source
    namespace: dict = {}
    exec(source, namespace)
    # by hand: y0 = 1/2; y1 = 1/2 + 0.5000001 * 1/2; y2 = 1/2 + 0.5000001 * round(1.50000010) / 2
    got = namespace["program"]([1, 1, 1])
    assert got == [0.5, 0.5 + 0.5000001 * 0.5, 0.5 + 0.5000001 * 1.0]
