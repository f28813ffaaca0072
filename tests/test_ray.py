"""The Ray executor: the same seeds give the same models as the local one (docs/cli.md).

One local Ray instance (2 CPUs, no dashboard, nothing beyond localhost) serves every test here
that needs one (``xdist_group``: one pytest worker runs them all); it is shut down at the end.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import torch

import w2c
from w2c.corpus import TASKS
from w2c.network.checkpoint import model_hash
from w2c.network.outcome import FAILED
from w2c.task_loader import load_task
from w2c.tasks import file_sha256

LINEAR_TASKS = """
import w2c
from w2c import IntRange

twice_minus = w2c.Task(
    name="twice_minus",
    inputs=(IntRange(0, 10), IntRange(0, 10)),
    oracle=lambda x: 2 * x[..., 0] - x[..., 1],
    length=4,
    channels=("a", "b"),
)
"""

TIMINGS = {"seconds"}


@pytest.fixture(scope="module")
def ray_instance():  # type: ignore[no-untyped-def]
    import signal

    import ray

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
    for number, handler in handlers.items():  # Ray's driver handlers must not outlive it
        signal.signal(number, handler)


def _untimed(value: Any) -> Any:
    """The record with every timing left out; tensors as lists, to compare exactly."""
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.tolist()
    return value


def _fingerprint(outcome: Any) -> tuple[str, Any]:
    """The delivered model's hash and its training record up to the accepted attempt.

    With two attempts at a time, whether an attempt after the accepted one was stopped or had
    finished first is timing (docs/cli.md, "Acceptance follows plan order"), so the record is
    compared up to the accepted attempt.
    """
    model = outcome.best.model
    record = outcome.training_record()
    record["search"]["attempts"] = record["search"]["attempts"][: outcome.accepted + 1]
    return model_hash(model.config, model.state_dict()), _untimed(record)


@pytest.mark.xdist_group("ray")
def test_two_tasks_trained_on_ray_equal_those_trained_locally(
    ray_instance: Any, tmp_path: Path
) -> None:
    path = tmp_path / "linear_tasks.py"
    path.write_text(LINEAR_TASKS)
    tasks = [TASKS["abs_value"], load_task(f"{path}:twice_minus")]  # by name; by content
    for task in tasks:
        found = {}
        for executor in ("local", "ray"):
            events: list[dict] = []
            outcome = w2c.train(
                task, steps=300, jobs=2, max_attempts=3, executor=executor, progress=events.append
            )
            assert outcome.clean, outcome.listing()
            assert {"start", "done"} <= {e["event"] for e in events}
            found[executor] = _fingerprint(outcome)
        assert found["ray"] == found["local"], task.name
    # the task file went by content: the workers' copy, under its sha256, not the path above
    copy = Path(tempfile.gettempdir()) / "w2c-ray-tasks" / file_sha256(str(path)) / path.name
    assert copy.read_text() == LINEAR_TASKS


DYING_TASKS = """
import os
import w2c
from w2c import Bits

dies = w2c.Task(name="dies", inputs=(Bits(),), oracle=lambda x: os._exit(3), length=3)
"""


@pytest.mark.xdist_group("ray")
@pytest.mark.parametrize("executor", ["local", "ray"])
def test_a_worker_that_dies_is_retried_once_then_reported_failed(
    executor: str, ray_instance: Any, tmp_path: Path
) -> None:
    namespace: dict[str, Any] = {}
    exec(DYING_TASKS, namespace)  # an in-memory task: its oracle ends the process that runs it
    events: list[dict] = []
    outcome = w2c.train(
        namespace["dies"], jobs=1, max_attempts=1, executor=executor, progress=events.append,
        require_exact=False,
    )  # fmt: skip
    assert [e["event"] for e in events] == ["start", "retry", "start", "done"]
    [attempt] = outcome.attempts
    assert attempt.outcome == FAILED and outcome.best is None, attempt.detail
    assert ("Ray task failed" in attempt.detail) == (executor == "ray")


# ---- without Ray: one line, exit 2 -----------------------------------------------------


def test_without_ray_the_python_entry_point_refuses_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from w2c.errors import InputError

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(InputError, match="pip install 'w2c\\[ray\\]'"):
        w2c.train(TASKS["sum_last2"], executor="ray")


def test_a_task_goes_by_name_or_by_content_and_damaged_content_is_refused(
    tmp_path: Path,
) -> None:
    from w2c.errors import InputError
    from w2c.network.ray_pool import ShippedTask

    assert ShippedTask.of(TASKS["abs_value"]) == ShippedTask("corpus", "abs_value")
    path = tmp_path / "linear_tasks.py"
    path.write_text(LINEAR_TASKS)
    shipped = ShippedTask.of(load_task(f"{path}:twice_minus"))
    assert (shipped.kind, shipped.name, shipped.variable) == ("file", path.name, "twice_minus")
    assert shipped.content == LINEAR_TASKS.encode() and shipped.sha256 == file_sha256(str(path))
    damaged = ShippedTask("file", path.name, shipped.content + b"#", shipped.sha256, "twice_minus")
    with pytest.raises(InputError, match="arrived damaged"):
        damaged.load()
