"""The model search: plan order, acceptance in plan order, flags, records, one real search."""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from w2c.cli import run
from w2c.corpus import TASKS, model_path
from w2c.network.config import ModelSize
from w2c.network.outcome import (
    CLEAN,
    EARLIER_CLEAN,
    FAILED,
    INEXACT,
    STOPPED,
    UNCLEAN,
    AttemptResult,
)
from w2c.network.plan import LADDER, attempt_cost, search_plan
from w2c.network.search import run_plan
from w2c.tasks import Bits, IntRange, RealInterval, Task, shift

# ---- the plan -------------------------------------------------------------------------------


def _tasks() -> list[Task]:
    return [
        TASKS["parity_last3"],
        TASKS["spring"],
        Task("two", (Bits(), IntRange(0, 7)), lambda x: x[..., 0], length=4),
        Task("real", (RealInterval(-1.0, 1.0),), lambda x: x[..., 0], length=30, feedback=True),
    ]


def test_the_plan_is_deterministic_smallest_first_and_the_same_for_every_task() -> None:
    plans = [search_plan(task, seed=7) for task in _tasks()]
    assert all(plan == plans[0] for plan in plans)  # nothing task-specific
    assert search_plan(_tasks()[0], seed=7) == plans[0]
    plan = plans[0]
    assert plan[0].size == ModelSize(((0, 0),))  # the output head alone first
    costs = [attempt_cost(a) for a in plan]
    assert costs == sorted(costs)  # cheapest first
    assert {a.size for a in plan} == set(LADDER)  # every size of the ladder, each schedule
    assert len(plan) == 1 + 4 * (len(LADDER) - 1)
    seeds = [a.seed for a in plan]
    assert len(set(seeds)) == len(seeds) and min(seeds) == 7
    shifted = search_plan(_tasks()[0], seed=8)
    assert [a.seed - 1 for a in shifted] == seeds
    assert {a.settings.steps for a in search_plan(_tasks()[0], steps=123)} == {123}


def test_the_ladder_grows_every_dimension_the_search_promises() -> None:
    heads = [sum(h for h, _ in s.layers) for s in LADDER]
    mlps = [sum(m for _, m in s.layers) for s in LADDER]
    assert heads[0] == mlps[0] == 0
    assert max(heads) >= 3 and max(mlps) >= 3
    assert max(len(s.layers) for s in LADDER) >= 2
    assert {s.mlp_arity for s in LADDER} >= {2, 3}
    assert {s.mlp_hidden for s in LADDER} >= {8, 16}


# ---- acceptance follows plan order ----------------------------------------------------------


@dataclass
class FakeClock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakePool:
    """Attempts with scripted outcomes that end at scripted (fake) times."""

    outcomes: list[str]
    durations: list[float]
    clock: FakeClock
    ends: dict[int, float] = field(default_factory=dict)
    started: list[int] = field(default_factory=list)
    stopped: list[int] = field(default_factory=list)

    def start(self, index: int, attempt: object) -> None:
        self.started.append(index)
        self.ends[index] = self.clock.now + self.durations[index]

    def outcome(self, index: int) -> str:
        """The scripted outcome; "A/B" is A the first time the attempt runs, B the second."""
        runs = self.outcomes[index].split("/")
        return runs[min(self.started.count(index), len(runs)) - 1]

    def poll(self, timeout: float) -> list[dict]:
        if not self.ends:
            return []
        first = min(self.ends.values())
        if first > self.clock.now + timeout:
            self.clock.now += timeout
            return []
        self.clock.now = first
        done = sorted(i for i, end in self.ends.items() if end == first)
        events = []
        for index in done:
            del self.ends[index]
            result = AttemptResult(index, PLAN[index], self.outcome(index), "", first)
            events.append({"event": "done", "index": index, "result": result})
        return events

    def stop(self, index: int) -> None:
        self.stopped.append(index)
        del self.ends[index]


PLAN = search_plan(TASKS["prev2"])[:6]


def _search(outcomes: list[str], durations: list[float], jobs: int, budget: float = 1e9):
    clock = FakeClock()
    pool = FakePool(outcomes, durations, clock)
    events: list[dict] = []
    done = run_plan(PLAN[: len(outcomes)], pool, jobs, budget, events.append, clock)
    return done, pool, events


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_acceptance_follows_plan_order_whatever_finishes_first(jobs: int) -> None:
    outcomes = [INEXACT, UNCLEAN, CLEAN, INEXACT, CLEAN]
    for durations in itertools.permutations([1.0, 2.0, 3.0, 4.0, 5.0]):
        done, pool, _ = _search(outcomes, list(durations), jobs)
        assert done.accepted == 2 and done.stopped == "accepted", durations
        assert set(pool.started) >= {0, 1, 2}  # every earlier attempt ran to its end
        for index in (0, 1):
            assert done.results[index].outcome == outcomes[index]
        assert not set(pool.stopped) & {0, 1, 2}
        assert all(done.results[i].detail == EARLIER_CLEAN for i in pool.stopped)


def test_a_later_clean_attempt_that_finishes_first_is_held_until_the_earlier_ones_fail() -> None:
    # attempt 1 is clean and ends at t=1; attempt 0 is still running until t=9
    done, pool, events = _search([INEXACT, CLEAN, CLEAN], [9.0, 1.0, 1.0], jobs=2)
    assert done.accepted == 1
    order = [e["index"] for e in events if e["event"] == "done"]
    assert order.index(1) < order.index(0)  # it finished first, and still waited for #0
    assert 2 not in pool.started  # nothing after a clean attempt starts
    # the same plan, but the earlier attempt turns out clean too: it wins
    done, _, _ = _search([CLEAN, CLEAN], [9.0, 1.0], jobs=2)
    assert done.accepted == 0


def test_nothing_clean_exhausts_the_plan_and_the_budget_stops_running_attempts() -> None:
    done, pool, _ = _search([INEXACT, UNCLEAN, INEXACT], [1.0, 2.0, 3.0], jobs=2)
    assert done.accepted is None and done.stopped == "plan exhausted"
    assert sorted(done.results) == [0, 1, 2] and not pool.stopped
    done, pool, _ = _search([INEXACT, INEXACT, INEXACT], [10.0, 20.0, 30.0], jobs=2, budget=15)
    assert done.stopped == "budget" and done.accepted is None
    assert pool.stopped == [1, 2] and done.results[1].outcome == STOPPED
    assert done.results[0].outcome == INEXACT


def test_a_failed_attempt_runs_once_more_and_then_counts_as_failed() -> None:
    # attempt 0 fails, then is clean on its second run: accepted, and #1 (clean) is not
    done, pool, events = _search([f"{FAILED}/{CLEAN}", CLEAN], [2.0, 1.0], jobs=2)
    assert done.accepted == 0 and pool.started.count(0) == 2
    assert [e["index"] for e in events if e["event"] == "retry"] == [0]
    # attempt 0 fails twice: recorded failed, and the next attempt in plan order is accepted
    done, pool, events = _search([f"{FAILED}/{FAILED}", INEXACT, CLEAN], [1.0, 5.0, 5.0], jobs=1)
    assert done.results[0].outcome == FAILED and done.accepted == 2
    assert pool.started == [0, 0, 1, 2]
    runs = [e["event"] for e in events if e.get("index") == 0]
    assert runs == ["start", "retry", "start", "done"]


# ---- flags ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--jobs", "0"], "jobs must be an integer in 1..64"),
        (["--jobs", "65"], "jobs must be an integer in 1..64"),
        (["--budget", "0"], "budget (seconds) must be a finite positive number"),
        (["--budget", "-3"], "budget (seconds) must be a finite positive number"),
        (["--budget", "nan"], "budget (seconds) must be a finite positive number"),
        (["--budget", "inf"], "budget (seconds) must be a finite positive number"),
        (["--executor", "cloud"], "executor must be one of local, ray"),
        (["--ray-address", "auto"], "--ray-address needs --executor ray"),
        (["--executor", "ray"], "--executor ray needs Ray, which is not installed"),
    ],
)
@pytest.mark.parametrize("command", [["train", "sum_last2"], ["corpus", "train", "--out", "{d}"]])
def test_the_search_flags_are_checked_before_anything_runs(
    command: list[str],
    flags: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import w2c.network.search

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("the search started before its flags were checked")

    monkeypatch.setattr(w2c.network.search, "run_plan", started)
    monkeypatch.setitem(sys.modules, "ray", None)  # as without Ray: `import ray` fails
    argv = [a.format(d=tmp_path / "m") for a in command]
    output = ["-o", str(tmp_path / "m.pt")] if argv[0] == "train" else []
    code = run([*argv, *flags, "-q", *output])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "m.pt").exists() and not (tmp_path / "m").exists()


def test_the_python_entry_point_checks_jobs_and_budget() -> None:
    import w2c
    from w2c.errors import InputError

    for kwargs in ({"jobs": 0}, {"jobs": 2.0}, {"budget": 0}, {"budget": float("nan")}):
        with pytest.raises(InputError):
            w2c.train(TASKS["sum_last2"], **kwargs)  # type: ignore[arg-type]


# ---- records --------------------------------------------------------------------------------


def _record(accepted: int | None) -> dict:
    attempt = {
        "index": 0,
        "size": "0h1m hidden=8",
        "seed": 1000,
        "settings": "600+300 steps of 128, tau 1->0.1",
        "outcome": CLEAN,
        "detail": "100.00% of 10000 sequences exact",
        "seconds": 1.5,
        "exact_fraction": 1.0,
        "rel_mse": 1e-15,
        "pruned": ["attn_L0H1"],
        "stopped_early": 350,
    }
    return {
        "jobs": 2,
        "budget": 600.0,
        "plan_size": 27,
        "accepted": accepted,
        "delivered": 0,
        "stopped": "accepted",
        "seconds": 3.25,
        "attempts": [attempt],
    }


def test_the_search_record_round_trips_through_the_checkpoint(tmp_path: Path) -> None:
    from helpers import checkpoint_dict, pointer_model
    from w2c.network import checkpoint

    task = TASKS["prev2"]
    data = checkpoint_dict(pointer_model(task, [(0, 2)]), task)
    data["training"]["search"] = _record(0)
    checkpoint.save(data, tmp_path / "m.pt")
    loaded = checkpoint.load(tmp_path / "m.pt")
    assert loaded.training["search"] == _record(0)
    # a shipped checkpoint predates the search and still loads
    assert "search" not in checkpoint.load(model_path("prev2")).training


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r.update(jobs=0),
        lambda r: r.update(accepted=-1),
        lambda r: r.pop("stopped"),
        lambda r: r["attempts"][0].update(outcome="x" * 300),
        lambda r: r["attempts"][0].update(pruned="attn_L0H1"),
        lambda r: r.update(attempts=[{}]),
    ],
)
def test_a_malformed_search_record_is_refused(mutate, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from helpers import checkpoint_dict, pointer_model
    from w2c.errors import CheckpointError
    from w2c.network import checkpoint

    task = TASKS["prev2"]
    data = checkpoint_dict(pointer_model(task, [(0, 2)]), task)
    record = _record(None)
    mutate(record)
    data["training"]["search"] = record
    with pytest.raises(CheckpointError, match="search"):
        checkpoint.validate(data)


# ---- pruning --------------------------------------------------------------------------------


def test_a_spare_head_is_pruned_and_baked_out_of_the_weights() -> None:
    from helpers import pointer_model
    from w2c.network.train import EXACT_LOSS, _batch, hardened_outputs, prune_spare

    task = Task("prev1", (IntRange(0, 10),), lambda x: shift(x[..., 0], 1), length=6)
    model = pointer_model(task, [(0, 3), (0, 1)])  # head 0 (offset 3) is not needed
    x, y = _batch(task, np.random.default_rng(1), 512)
    assert prune_spare(model, x, y) == [1]  # variable 1 = the first head
    model.bake_pruning()
    assert not model.pruned and float(model.out_weight[1].detach()) == 0.0
    assert int(model.layers[0].head_read.argmax(-1).eq(1).sum()) == 0
    fresh = task.sample(np.random.default_rng(2), 256)
    assert np.allclose(hardened_outputs(model, task, fresh), task.run_oracle(fresh), atol=1e-6)
    # the needed head survives: without it the model is not exact
    model = pointer_model(task, [(0, 1)])
    assert prune_spare(model, x, y) == [] and EXACT_LOSS < 1.0


# ---- one real search, end to end ------------------------------------------------------------

OR_TASKS = """
import numpy as np
import w2c
from w2c import Bits

bit_or = w2c.Task(
    name="bit_or",
    inputs=(Bits(), Bits()),
    oracle=lambda x: np.maximum(x[..., 0], x[..., 1]),
    length=5,
    channels=("a", "b"),
)
"""


def test_a_tiny_task_trains_through_the_search_end_to_end(tmp_path: Path) -> None:
    from w2c.network.checkpoint import load

    path = tmp_path / "or_tasks.py"
    path.write_text(OR_TASKS)
    model = tmp_path / "or.pt"
    spec = f"{path}:bit_or"
    argv = ["train", spec, "-o", str(model), "--steps", "400", "--jobs", "2", "--budget", "500"]
    assert run([*argv, "-q"]) == 0
    saved = load(model)
    assert saved.task["source_sha256"] is not None and saved.task["length"] == 5
    search = saved.training["search"]
    attempts = {a["index"]: a for a in search["attempts"]}
    # the output head alone is right only after rounding (a/2 + b/2 + 1/4): not accepted
    assert attempts[0]["size"] == "0h0m hidden=8" and attempts[0]["outcome"] == INEXACT
    assert search["accepted"] is not None and search["accepted"] > 0
    assert attempts[search["accepted"]]["outcome"] == CLEAN
    assert all(attempts[i]["outcome"] != CLEAN for i in range(search["accepted"]))
    program = tmp_path / "or.py"
    assert run(["compile", str(model), "-o", str(program), "--task", spec, "-q"]) == 0
    namespace: dict = {}
    exec(program.read_text(), namespace)
    a, b = [0, 1, 0, 1, 1], [0, 0, 1, 1, 0]
    assert namespace["program"](list(zip(a, b, strict=True))) == [0, 1, 1, 1, 1]


def test_a_search_runs_fewer_attempts_at_once_when_memory_is_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two attempts at a time that would not fit run one at a time; one that does not fit is
    refused before anything runs (found on MIPS prev5: length 20, 2.2 GiB for two attempts)."""
    import w2c.limits
    import w2c.network.train as train
    from w2c.corpus import TASKS
    from w2c.errors import InputError
    from w2c.network.plan import search_plan

    task = TASKS["sum_last2"]
    plan = search_plan(task)
    one = train.training_memory(task, plan)
    monkeypatch.setattr(train, "memory_budget", lambda: int(1.5 * one))
    monkeypatch.setattr(w2c.limits, "memory_budget", lambda: int(1.5 * one))
    assert train.jobs_that_fit(task, plan, 2) == 1
    monkeypatch.setattr(train, "memory_budget", lambda: int(4.5 * one))
    monkeypatch.setattr(w2c.limits, "memory_budget", lambda: int(4.5 * one))
    assert train.jobs_that_fit(task, plan, 2) == 2
    assert train.jobs_that_fit(task, plan, 8) == 4
    monkeypatch.setattr(w2c.limits, "memory_budget", lambda: int(0.5 * one))
    with pytest.raises(InputError, match="1 attempt\\(s\\) at a time"):
        train.jobs_that_fit(task, plan, 2)
