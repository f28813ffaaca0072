"""Tiny ReLU nets trained the way a sub-MLP is, to test and benchmark fits on real weights.

A sub-MLP is ``W2 relu(W1 u + b1) + b2`` with k inputs and a small hidden width; its function
only approximates the simple formula it was trained towards (kinks a little off, outputs a
little off the exact values), which is what the symbolic regression must see through.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from w2c.threads import torch_threads


def train_sub_mlp(
    inputs: np.ndarray,
    targets: np.ndarray,
    *,
    hidden: int = 8,
    steps: int = 1000,
    learning_rate: float = 0.03,
    seed: int = 0,
    restarts: int = 4,
    good_enough: float = 1e-4,
) -> Callable[[np.ndarray], np.ndarray]:
    """A k -> hidden -> 1 ReLU MLP fitted by full-batch Adam, as a float32 NumPy function of an
    (n, k) array (what the compiler's traces see).

    Tiny ReLU nets sometimes settle on a smooth compromise instead of the kink (max needs a unit
    on a - b), so like the model trainer this restarts with the next seed, up to ``restarts``
    times, until the MSE is below ``good_enough`` of the target variance; the best net is kept.
    Seeded and single-threaded, so deterministic.
    """
    import torch

    with torch_threads(1):
        x = torch.as_tensor(np.asarray(inputs, dtype=np.float32))
        y = torch.as_tensor(np.asarray(targets, dtype=np.float32)).reshape(-1, 1)
        bar = good_enough * max(float(torch.var(y)), 1e-12)
        best: tuple[float, torch.nn.Module] | None = None
        for attempt in range(restarts):
            loss, net = _train(torch, x, y, hidden, steps, learning_rate, seed + attempt)
            if best is None or loss < best[0]:
                best = (loss, net)
            if loss <= bar:
                break
    assert best is not None
    net = best[1]

    def run(points: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            tensor = torch.as_tensor(np.asarray(points, dtype=np.float32))
            return net(tensor).numpy()[:, 0].astype(np.float64)

    return run


def _train(torch, x, y, hidden: int, steps: int, learning_rate: float, seed: int):
    """One seeded training run; returns (final MSE, net)."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(x.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
    )
    optimiser = torch.optim.Adam(net.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps)
    for _ in range(steps):
        optimiser.zero_grad()
        loss = torch.mean((net(x) - y) ** 2)
        loss.backward()
        optimiser.step()
        schedule.step()
    net.eval()
    with torch.no_grad():
        return float(torch.mean((net(x) - y) ** 2)), net
