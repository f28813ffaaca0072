"""The corpus: each oracle (written from the task's definition) agrees with its reference rule."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from w2c.corpus import TASKS
from w2c.errors import InputError
from w2c.tasks import Bits, IntRange, Task, parse_symbol, shift, x_sym, y_sym

REQUIRED = {
    "sum_last2", "sum_last3", "diff_last2", "prev2", "abs_value", "parity_last2", "parity_last3",
    "and_last2", "or_last2", "bitwise_xor", "maximum_prev2", "minimum_prev2", "add_mod_3",
    "running_max", "freebody", "gravity", "spring",
}  # fmt: skip


def test_corpus_has_the_required_tasks_with_references() -> None:
    assert REQUIRED <= set(TASKS)
    for task in TASKS.values():
        assert task.reference is not None, task.name
        assert task.length == 10


def _reference_outputs(task: Task, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """y_t from the reference rule, reading x (and, for feedback tasks, the oracle's y)."""
    symbols = sorted(task.reference.free_symbols, key=lambda s: s.name)
    rule = sympy.lambdify(symbols, task.reference, modules="numpy")
    args = []
    for symbol in symbols:
        name, lag = parse_symbol(symbol)
        source = y if name == "y" else x[..., task.channels.index(name)]
        args.append(shift(source, lag))
    return np.broadcast_to(rule(*args), y.shape)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_oracle_agrees_with_reference(name: str) -> None:
    task = TASKS[name]
    x = task.sample(np.random.default_rng(0), 500)
    y = task.run_oracle(x)
    expected = _reference_outputs(task, x, y)
    np.testing.assert_allclose(y, expected, rtol=1e-9, atol=1e-9)


def test_reads_before_the_start_are_zero() -> None:
    x = np.array([[[5.0], [3.0], [7.0]]])
    assert TASKS["minimum_prev2"].run_oracle(x).tolist() == [[0.0, 3.0, 3.0]]
    assert TASKS["prev2"].run_oracle(x).tolist() == [[0.0, 0.0, 5.0]]
    assert TASKS["diff_last2"].run_oracle(x).tolist() == [[5.0, -2.0, 4.0]]


def test_spring_matches_its_recurrence_by_hand() -> None:
    x = np.array([[[1.0], [0.0], [2.0], [0.0]]])
    # p0 = 1; p1 = p0 - 0 + 0 = 1; p2 = p1 - p0 + 2 = 2; p3 = p2 - p1 + 0 = 1
    assert TASKS["spring"].run_oracle(x).tolist() == [[1.0, 1.0, 2.0, 1.0]]


def test_task_validation_rejects_bad_definitions() -> None:
    with pytest.raises(InputError, match="not an identifier"):
        Task("bad name", (Bits(),), lambda x: x[..., 0])
    with pytest.raises(InputError, match="only feedback tasks"):
        Task("t", (Bits(),), lambda x: x[..., 0], reference=y_sym(1))
    with pytest.raises(InputError, match="unknown channel"):
        Task("t", (Bits(),), lambda x: x[..., 0], reference=x_sym(0, "z"))
    with pytest.raises(InputError, match="lo < hi"):
        IntRange(3, 3)


@pytest.mark.parametrize("channel", ["t", "xs", "np", "max", "len", "_hidden", "a_t", "a_t2", "y"])
def test_channel_names_the_program_uses_are_reserved(channel: str) -> None:
    with pytest.raises(InputError, match=f"channel name '{channel}' is reserved"):
        Task("two", (Bits(), Bits()), lambda x: x[..., 0], channels=("u", channel))


@pytest.mark.parametrize("name", ["for", "class", "lambda"])
def test_python_keywords_are_not_names(name: str) -> None:
    with pytest.raises(InputError, match="channel names must be distinct identifiers"):
        Task("two", (Bits(), Bits()), lambda x: x[..., 0], channels=("u", name))


def test_ordinary_channel_names_are_accepted() -> None:
    task = Task("two", (Bits(), Bits()), lambda x: x[..., 0], channels=("speed", "tx"))
    assert task.channels == ("speed", "tx")


def test_broken_user_oracle_is_an_input_error() -> None:
    task = Task("t", (Bits(),), lambda x: x[..., 0, 0])
    with pytest.raises(InputError, match="oracle returned shape"):
        task.run_oracle(np.zeros((2, 4, 1)))
