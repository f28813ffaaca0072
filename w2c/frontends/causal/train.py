"""Training the forecaster: standardised windows, MSE, AdamW, early stopping on a held-out tail.

The held-out tail (the last ``val_fraction`` of the windows, so no future leaks into training)
is also where the scores are measured later: gradients of an overfit model on its own training
windows would show memorised noise as edges.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from w2c.frontends.causal.data import TimeSeries, make_windows
from w2c.frontends.causal.model import CausalTransformer, ModelConfig


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings; the benchmark ran these defaults (with max_epochs 30)."""

    max_epochs: int = 40
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.05
    patience: int = 4
    val_fraction: float = 0.2
    max_train_windows: int = 0  # 0: all; otherwise a seeded subset per epoch (large data)
    seed: int = 0


@dataclass
class Prepared:
    """Standardised windows split in time: train first, validation (held-out) last."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    r_train: torch.Tensor | None
    x_val: torch.Tensor
    y_val: torch.Tensor
    r_val: torch.Tensor | None


@dataclass
class TrainedModel:
    """A fitted forecaster and what is needed to apply it to raw data again."""

    model: CausalTransformer
    names: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    regime_labels: tuple[float, ...]
    train_config: TrainConfig
    history: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int = 0
    seconds: float = 0.0

    @property
    def max_lag(self) -> int:
        return self.model.cfg.max_lag


def standardise(series: TimeSeries) -> tuple[np.ndarray, np.ndarray]:
    """Per-variable mean and standard deviation (all rows)."""
    return series.values.mean(axis=0), series.values.std(axis=0)


def prepare(
    series: TimeSeries, max_lag: int, mean: np.ndarray, std: np.ndarray, val_fraction: float
) -> Prepared:
    """Windows of the standardised series, split into a training head and a held-out tail."""
    z = ((series.values - mean) / std).astype(np.float32)
    x, y = make_windows(z, max_lag)
    n = x.shape[0]
    n_val = max(int(round(n * val_fraction)), 16)
    cut = n - n_val
    regimes = None if series.regimes is None else torch.from_numpy(series.regimes[max_lag:])
    xt, yt = torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(y))
    return Prepared(
        xt[:cut],
        yt[:cut],
        None if regimes is None else regimes[:cut],
        xt[cut:],
        yt[cut:],
        None if regimes is None else regimes[cut:],
    )


def batched_predict(
    model: CausalTransformer, x: torch.Tensor, r: torch.Tensor | None, batch: int = 1024
) -> torch.Tensor:
    """Predictions for many windows without building an autograd graph."""
    with torch.no_grad():
        parts = [
            model(x[i : i + batch], None if r is None else r[i : i + batch])
            for i in range(0, x.shape[0], batch)
        ]
    return torch.cat(parts)


def fit(
    series: TimeSeries,
    max_lag: int,
    config: TrainConfig,
    model_config: ModelConfig | None = None,
    progress: bool = False,
) -> tuple[TrainedModel, Prepared]:
    """Train until the validation MSE stops improving; keep the best weights."""
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    mean, std = standardise(series)
    data = prepare(series, max_lag, mean, std, config.val_fraction)
    cfg = model_config or ModelConfig(n_vars=series.n_vars, max_lag=max_lag)
    cfg = ModelConfig(
        **{
            **cfg.to_dict(),
            "n_vars": series.n_vars,
            "max_lag": max_lag,
            "n_regimes": len(series.regime_labels),
        }
    )
    model = CausalTransformer(cfg)
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    history: dict[str, list[float]] = {"train": [], "val": []}
    best = (float("inf"), 0, {k: v.clone() for k, v in model.state_dict().items()})
    started = time.perf_counter()
    n_train = data.x_train.shape[0]
    per_epoch = min(n_train, config.max_train_windows or n_train)
    with _progress_bar(progress, config.max_epochs) as bar:
        for epoch in range(1, config.max_epochs + 1):
            model.train()
            order = torch.randperm(n_train, generator=generator)[:per_epoch]
            total = 0.0
            for start in range(0, per_epoch, config.batch_size):
                idx = order[start : start + config.batch_size]
                r = None if data.r_train is None else data.r_train[idx]
                loss = torch.nn.functional.mse_loss(model(data.x_train[idx], r), data.y_train[idx])
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                total += loss.item() * idx.shape[0]
            model.eval()
            val = float(((batched_predict(model, data.x_val, data.r_val) - data.y_val) ** 2).mean())
            history["train"].append(total / per_epoch)
            history["val"].append(val)
            if val < best[0] - 1e-5:
                best = (val, epoch, {k: v.clone() for k, v in model.state_dict().items()})
            bar(epoch, history["train"][-1], val)
            if epoch - best[1] >= config.patience:
                break
    model.load_state_dict(best[2])
    model.eval()
    trained = TrainedModel(
        model=model,
        names=series.names,
        mean=mean,
        std=std,
        regime_labels=series.regime_labels,
        train_config=config,
        history=history,
        best_epoch=best[1],
        seconds=time.perf_counter() - started,
    )
    return trained, data


class _progress_bar:
    """A rich progress bar on stderr, or nothing (quiet, or JSON on stdout)."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total = enabled, total

    def __enter__(self):  # noqa: ANN204 - returns the update callable
        if not self.enabled:
            return lambda epoch, train, val: None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("training"),
            BarColumn(),
            TextColumn("epoch {task.completed}/{task.total}"),
            TextColumn("{task.fields[loss]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.progress.start()
        task = self.progress.add_task("train", total=self.total, loss="")

        def update(epoch: int, train: float, val: float) -> None:
            self.progress.update(task, completed=epoch, loss=f"mse {train:.3f} / val {val:.3f}")

        return update

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.progress.stop()


def config_dict(config: TrainConfig) -> dict[str, float | int]:
    """Plain dict for checkpoints and JSON."""
    return asdict(config)
