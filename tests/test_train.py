"""Training: user task files, reproducibility, the CLI's errors."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from w2c.cli import run
from w2c.corpus import TASKS
from w2c.network.config import ModelSize, TrainSettings
from w2c.network.train import train_run

USER_TASKS = textwrap.dedent(
    """
    import w2c
    from w2c import IntRange, x_sym

    sum_prev_pair = w2c.Task(
        name="sum_prev_pair",
        inputs=(IntRange(0, 10),),
        oracle=lambda x: w2c.shift(x[..., 0], 1) + w2c.shift(x[..., 0], 2),
        length=6,
        reference=x_sym(1) + x_sym(2),
    )
    not_a_task = 42
    """
)


@pytest.fixture()
def task_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_tasks.py"
    path.write_text(USER_TASKS)
    return path


def test_training_is_reproducible() -> None:
    settings = TrainSettings(steps=30, polish_steps=5, log_every=10, eval_batch=64, batch=64)
    task = TASKS["parity_last2"]
    first = train_run(task, ModelSize(((1, 1),), 4), settings, seed=3)
    second = train_run(task, ModelSize(((1, 1),), 4), settings, seed=3)
    for name, tensor in first.model.state_dict().items():
        assert torch.equal(tensor, second.model.state_dict()[name]), name
    assert first.history.hard == second.history.hard


@pytest.mark.parametrize(
    "argv,message",
    [
        (["train", "no_such_task"], "unknown task"),
        (["train", "missing.py:task"], "task file not found"),
        (["train", "{file}:nothing_here"], "has no variable"),
        (["train", "{file}:not_a_task"], "not a w2c.Task"),
        (["train", "sum_last2", "-o", "{dir}/no/such/dir/m.pt"], "does not exist"),
        (["corpus", "train", "--only", "nope", "--out", "{dir}/m"], "unknown corpus task"),
    ],
)
def test_train_bad_input_is_exit_2(
    argv: list[str],
    message: str,
    task_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    filled = [a.format(file=task_file, dir=tmp_path) for a in argv]
    assert run(filled) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_train_refuses_to_clobber(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "m.pt"
    target.write_bytes(b"precious")
    assert run(["train", "sum_last2", "-o", str(target), "-q"]) == 2
    assert target.read_bytes() == b"precious"
    assert "--force" in capsys.readouterr().err


def test_corpus_train_checks_every_target_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from w2c import train_checkpoint

    trained: list[str] = []
    monkeypatch.setattr(
        train_checkpoint, "train_and_save", lambda name, *args, **kwargs: trained.append(name) or ""
    )
    (tmp_path / "spring.pt").write_bytes(b"precious")
    argv = ["corpus", "train", "--only", "abs_value", "--only", "spring", "--out", str(tmp_path)]
    assert run([*argv, "-q"]) == 2
    assert trained == [] and (tmp_path / "spring.pt").read_bytes() == b"precious"
    assert "--force" in capsys.readouterr().err


def test_corpus_train_keeps_going_past_a_task_that_never_gets_exact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from w2c import train_checkpoint
    from w2c.errors import CheckFailed

    trained: list[str] = []

    def fake(name: str, *args: object, **kwargs: object) -> str:
        if name == "abs_value":
            raise CheckFailed("abs_value: no attempt reached the exactness bar")
        trained.append(name)
        return f"{name}: trained"

    monkeypatch.setattr(train_checkpoint, "train_and_save", fake)
    argv = ["corpus", "train", "--only", "abs_value", "--only", "spring", "--out", str(tmp_path)]
    assert run([*argv, "-q"]) == 1
    captured = capsys.readouterr()
    assert trained == ["spring"] and "spring: trained" in captured.out
    assert "1 of 2 corpus task(s) never reached the bar: abs_value" in captured.err


# ---- numeric arguments and what a task may ask for: refused before any training --------------

WIDE_TASKS = textwrap.dedent(
    """
    import w2c
    from w2c import Bits

    NAMES = tuple(f"c{i}" for i in range(16))
    wide_long = w2c.Task(
        name="wide_long",
        inputs=(Bits(),) * 16,
        oracle=lambda x: x.sum(axis=-1),
        length=256,
        channels=NAMES,
    )
    """
)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--steps", "0"], "steps must be an integer in 1.."),
        (["--steps", "-5"], "steps must be an integer in 1.."),
        (["--steps", str(10**9)], "steps must be an integer in 1.."),
        (["--seed", "-1"], "seed must be an integer in 0.."),
        (["--seed", str(2**40)], "seed must be an integer in 0.."),
    ],
)
def test_train_numeric_flags_are_checked_before_training(
    flags: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import w2c.network.train

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("training started before the flags were checked")

    monkeypatch.setattr(
        w2c.network.train, "make_config", started
    )  # the first step of every attempt
    target = tmp_path / "m.pt"
    assert run(["train", "sum_last2", "-o", str(target), "-q", *flags]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("w2c: error: ") and message in err
    assert "internal error" not in err and not target.exists()


def test_python_train_validates_its_arguments() -> None:
    from w2c import train
    from w2c.errors import InputError

    task = TASKS["sum_last2"]
    for kwargs in ({"steps": 0}, {"seed": -1}, {"seed": 1.5}, {"threads": 0}, {"max_attempts": 0}):
        with pytest.raises(InputError):
            train(task, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="no oracle"):
        train(replace(task, oracle=None))


def test_a_task_too_big_to_train_is_refused_by_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wide.py"
    path.write_text(WIDE_TASKS)
    target = tmp_path / "m.pt"
    assert run(["train", f"{path}:wide_long", "-o", str(target), "-q"]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last.startswith("w2c: error: training wide_long") and "memory" in last
    assert not target.exists()


def test_training_memory_grows_with_length_batch_and_jobs() -> None:
    from w2c.network.config import Attempt
    from w2c.network.train import training_memory
    from w2c.tasks import Bits, Task

    def task(length: int) -> Task:
        return Task("t", (Bits(),), lambda x: x[..., 0], length=length)

    plan = [Attempt(ModelSize(((2, 1),), 8), TrainSettings(), 0)]
    big_batch = [Attempt(ModelSize(((2, 1),), 8), TrainSettings(batch=100_000), 0)]
    assert training_memory(task(80), plan) > 20 * training_memory(task(10), plan)
    assert training_memory(task(10), big_batch) > 2 * training_memory(task(10), plan)
