"""Training the forecaster: standardised windows, MSE, AdamW, early stopping on a held-out tail.

The held-out tail (the last ``val_fraction`` of the windows, so no future leaks into training)
is also where the scores are measured later: gradients of an overfit model on its own training
windows would show memorised noise as edges.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from w2c.errors import InputError
from w2c.frontends.causal.data import TimeSeries, make_windows
from w2c.frontends.causal.model import (
    FLOAT_BYTES,
    CausalTransformer,
    ModelConfig,
    batch_bytes,
    batched_predict,
    config_problem,
    model_bytes,
    n_parameters,
)
from w2c.limits import check_memory

# A standardised value beyond this many standard deviations is refused: the float32 network would
# overflow (LayerNorm squares its inputs). Training data never comes near it (|z| <= sqrt(rows)).
Z_MAX = 1e6
MAX_SEED = 2**63 - 1
# Documented ranges of the TrainConfig fields (docs/causal.md); the loader checks the same ones.
TRAIN_LIMITS: dict[str, tuple[float, float]] = {
    "max_epochs": (1, 100_000),
    "batch_size": (1, 65_536),
    "lr": (1e-12, 10.0),
    "weight_decay": (0.0, 100.0),
    "patience": (1, 100_000),
    "val_fraction": (0.01, 0.5),
    "max_train_windows": (0, 10**9),
    "seed": (0, MAX_SEED),
}


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


def train_config_problem(raw: dict[str, object]) -> str | None:
    """Why TrainConfig fields are unusable (wrong type or outside TRAIN_LIMITS), or None."""
    defaults = TrainConfig()
    for key, (low, high) in TRAIN_LIMITS.items():
        value, kind = raw.get(key), type(getattr(defaults, key))
        if type(value) is not kind or (kind is float and not math.isfinite(value)):  # type: ignore[arg-type]
            return f"training setting {key} must be a finite {kind.__name__}, got {value!r}"
        if not low <= value <= high:  # type: ignore[operator]
            return f"training setting {key} must be in [{low:g}, {high:g}], got {value!r}"
    return None


def check_train_config(config: TrainConfig) -> None:
    """Refuse (InputError) a TrainConfig a saved model could not be loaded back with."""
    problem = train_config_problem(asdict(config))
    if problem is not None:
        raise InputError(problem)


def check_model_config(cfg: ModelConfig) -> None:
    """Refuse (InputError) a ModelConfig outside the documented limits."""
    problem = config_problem(cfg.to_dict())
    if problem is not None:
        raise InputError(problem)


def memory_needed(
    n_steps: int, cfg: ModelConfig, batch_size: int, eval_windows: int, training: bool
) -> float:
    """Bytes a run over ``n_steps`` rows will allocate at its peak, from declared sizes only.

    The data (float64 values, their float64 + float32 standardised copies, the float32 lag
    windows [window, lag, variable] and targets), the model (twice more for AdamW's moments and
    the best-weights copy when training), one training batch, and the scoring pass.
    """
    from w2c.frontends.causal.scores import scoring_bytes

    p, lag = float(cfg.n_vars), float(cfg.max_lag)
    windows = max(float(n_steps) - lag, 0.0)
    data = float(n_steps) * p * (8 + 8 + FLOAT_BYTES) + windows * (lag + 1) * p * FLOAT_BYTES
    model = model_bytes(cfg)
    if training:
        model += 4 * FLOAT_BYTES * n_parameters(cfg)  # gradients, 2 AdamW moments, best copy
        model += batch_bytes(cfg, batch_size, relevance=False)
    n_eval = min(float(eval_windows), windows)
    return data + model + scoring_bytes(cfg, int(n_eval))


def check_run_memory(
    n_steps: int, cfg: ModelConfig, batch_size: int, eval_windows: int, training: bool
) -> None:
    """check_memory for a whole run, named by the sizes that drive it."""
    check_memory(
        memory_needed(n_steps, cfg, batch_size, eval_windows, training),
        f"{'training' if training else 'scoring'} on {n_steps} rows x {cfg.n_vars} variables "
        f"with max-lag {cfg.max_lag} ({cfg.n_vars * (cfg.max_lag + 1)} tokens per window)",
    )


def _pow2_scale(values: np.ndarray) -> np.ndarray:
    """Per column a power of two s with max|x| / 2 < s <= max|x|: dividing by it is exact, and
    x / s is in (-2, 2), so nothing overflows however large the data (up to the float64 max)."""
    peak = np.abs(values).max(axis=0) if values.shape[0] else np.ones(values.shape[1])
    exponent = np.frexp(np.where(peak > 0, peak, 1.0))[1]
    return np.ldexp(1.0, exponent - 1)


def standardise(series: TimeSeries) -> tuple[np.ndarray, np.ndarray]:
    """Per-variable mean and standard deviation (all rows), computed without overflow.

    Each column is divided by a power of two near its largest magnitude first, so data near
    1e200 (whose squares overflow float64) standardises like any other; a column whose spread
    underflows (std 0 or not finite) is refused.
    """
    values = series.values
    scale = _pow2_scale(values)
    unit = values / scale
    mean, std = unit.mean(axis=0) * scale, unit.std(axis=0) * scale
    bad = ~(np.isfinite(mean) & np.isfinite(std) & (std > 0))
    if bad.any():
        name = series.names[int(np.argmax(bad))]
        raise InputError(f"column {name!r} cannot be standardised (its spread is too small)")
    return mean, std


def standardised(series: TimeSeries, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """(x - mean) / std as float32, refused (InputError) where it is not within Z_MAX.

    Computed after dividing everything by a power of two near max(|mean|, std), so the
    subtraction cannot overflow; an overflow left means |z| is astronomically large anyway.
    """
    scale = _pow2_scale(np.stack([np.abs(mean), std]))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        z = (series.values / scale - mean / scale) / (std / scale)
    bad = ~(np.abs(z) <= Z_MAX)
    if bad.any():
        t, j = (int(v) for v in np.argwhere(bad)[0])
        raise InputError(
            f"column {series.names[j]!r} at time index {t} lies {abs(z[t, j]):.3g} standard "
            f"deviations from the model's mean (at most {Z_MAX:g}): the data's scale does not "
            "match the model's"
        )
    return z.astype(np.float32)


def prepare(
    series: TimeSeries, max_lag: int, mean: np.ndarray, std: np.ndarray, val_fraction: float
) -> Prepared:
    """Windows of the standardised series, split into a training head and a held-out tail."""
    z = standardised(series, mean, std)
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


def full_config(
    n_vars: int, n_regimes: int, max_lag: int, model_config: ModelConfig | None = None
) -> ModelConfig:
    """The network sizes for this data: the given (or default) sizes with the data's shape,
    validated against the documented limits."""
    raw = ModelConfig(n_vars=2, max_lag=1).to_dict()
    if model_config is not None:
        raw.update(model_config.to_dict())
    raw.update(n_vars=n_vars, max_lag=max_lag, n_regimes=n_regimes)
    problem = config_problem(raw)
    if problem is not None:
        raise InputError(problem)
    return ModelConfig(**raw)


def fit(
    series: TimeSeries,
    max_lag: int,
    config: TrainConfig,
    model_config: ModelConfig | None = None,
    progress: bool = False,
) -> tuple[TrainedModel, Prepared]:
    """Train until the validation MSE stops improving; keep the best weights.

    Everything is validated first (settings, sizes, the memory they imply, the data's scale),
    so what is saved afterwards is always loadable by checkpoint.load.
    """
    cfg = full_config(series.n_vars, len(series.regime_labels), max_lag, model_config)
    check_train_config(config)
    check_run_memory(series.n_steps, cfg, config.batch_size, 0, training=True)
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    mean, std = standardise(series)
    data = prepare(series, max_lag, mean, std, config.val_fraction)
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
            if not (math.isfinite(history["train"][-1]) and math.isfinite(val)):
                raise InputError(
                    f"training diverged (non-finite loss at epoch {epoch}); lower the learning "
                    "rate or check the data"
                )
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
