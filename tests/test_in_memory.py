"""A model in memory compiles exactly as its saved checkpoint does (docs/cli.md, Python API)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import w2c
from w2c import IntRange, Task, shift, x_sym
from w2c.errors import InputError
from w2c.network import checkpoint
from w2c.network.config import ModelSize, TrainSettings
from w2c.network.train import run_record, train_run


def _sum_last2(x: np.ndarray) -> np.ndarray:
    return x[..., 0] + shift(x[..., 0], 1)


SUM = Task(
    name="sum_last2_short",
    inputs=(IntRange(0, 10),),
    oracle=_sum_last2,
    length=4,
    reference=x_sym(0) + x_sym(1),
)


@pytest.fixture(scope="module")
def run():  # type: ignore[no-untyped-def]
    result = train_run(SUM, ModelSize(((2, 0),), 8), TrainSettings(steps=600), seed=0)
    assert result.exactness.passed, result.exactness.describe()
    return result


def test_a_training_run_in_memory_compiles_to_the_bytes_of_its_saved_file(
    run, tmp_path: Path
) -> None:
    record = run_record(run, run.seconds, 1)
    path = checkpoint.save(
        checkpoint.build(run.model, SUM, record, w2c.__version__), tmp_path / "m.pt"
    )
    from_file = w2c.compile_model(path, task=SUM)
    in_memory = w2c.compile_model(run, task=SUM)
    assert in_memory.source == from_file.source
    assert in_memory.report.model_hash == from_file.report.model_hash
    assert in_memory.function([1, 2, 3, 4]) == [1, 3, 5, 7]  # x[t] + x[t-1] by hand


def test_a_model_in_memory_needs_its_task(run) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="needs task="):
        w2c.compile_model(run)


def test_something_else_is_refused_in_one_line() -> None:
    with pytest.raises(InputError, match="cannot compile a dict"):
        w2c.compile_model({"weights": 1}, task=SUM)
