"""Every shipped checkpoint meets its task's bar on 10,000 fresh sequences (loaded, not retrained).

Integer and bit tasks: every sequence exactly right after rounding; real tasks: relMSE < 1e-6.
Feedback tasks run closed-loop (the model's own outputs fed back).
"""

from __future__ import annotations

import numpy as np
import pytest

from w2c.corpus import TASKS, model_path
from w2c.network.checkpoint import load
from w2c.network.train import hardened_outputs


@pytest.mark.parametrize("name", sorted(TASKS))
def test_shipped_model_meets_the_bar(name: str) -> None:
    task = TASKS[name]
    checkpoint = load(model_path(name))
    assert checkpoint.task_name == name and checkpoint.task["source_sha256"] is None
    x = task.sample(np.random.default_rng(2026), 10_000)
    y = task.run_oracle(x)
    predicted = hardened_outputs(checkpoint.model, task, x)
    if task.discrete:
        exact = np.all(np.round(predicted) == y, axis=1)
        assert exact.mean() == 1.0, f"{name}: {exact.mean():.4%} of sequences exact"
    else:
        rel_mse = np.mean((predicted - y) ** 2) / np.var(y)
        assert rel_mse < 1e-6, f"{name}: relMSE {rel_mse:.2e}"


@pytest.mark.parametrize("name", sorted(TASKS))
def test_shipped_model_records_its_training(name: str) -> None:
    training = load(model_path(name)).training
    history = {k: v.numpy() for k, v in training["history"].items()}
    assert len(history["step"]) >= 2
    assert np.all(np.diff(history["step"]) > 0)
    assert history["tau"][0] == pytest.approx(training["tau_start"])
    assert np.all(np.diff(history["tau"]) <= 0) and history["tau"][-1] >= training["tau_end"]
    np.testing.assert_allclose(history["discrepancy"], history["hard_loss"] - history["soft_loss"])
    for key in ("agreement_prev", "agreement_final"):
        assert np.all((history[key] >= 0) & (history[key] <= 1))
