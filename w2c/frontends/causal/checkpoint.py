"""The trained causal forecaster on disk: "w2c.causal-transformer/1" (docs/causal.md).

Same rules as model.pt (DESIGN §3): one torch.save'd dict of tensors and plain containers,
read only with ``torch.load(weights_only=True)``; every field, dtype and shape is checked
against a freshly built model before any weight is used, and the first problem is one line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from w2c.errors import CheckpointError
from w2c.frontends.causal.model import CausalTransformer, ModelConfig
from w2c.frontends.causal.train import TrainConfig, TrainedModel, config_dict
from w2c.tasks import is_valid_name

FORMAT_NAME = "w2c.causal-transformer"
FORMAT_VERSION = 1
FORMAT = f"{FORMAT_NAME}/{FORMAT_VERSION}"
KEYS = {
    "format",
    "config",
    "state_dict",
    "variables",
    "mean",
    "std",
    "regime_labels",
    "training",
    "w2c_version",
}
LIMITS = {
    "n_vars": (2, 10_000),
    "max_lag": (1, 10_000),
    "n_regimes": (0, 100_000),
    "d_model": (1, 4096),
    "n_heads": (1, 64),
    "n_layers": (1, 64),
    "d_ff": (1, 16384),
}


def to_dict(trained: TrainedModel) -> dict[str, Any]:
    """The checkpoint object: tensors, strings, numbers, lists and dicts only."""
    from w2c import __version__

    return {
        "format": FORMAT,
        "config": trained.model.cfg.to_dict(),
        "state_dict": {k: v.detach().clone() for k, v in trained.model.state_dict().items()},
        "variables": list(trained.names),
        "mean": torch.tensor(trained.mean, dtype=torch.float64),
        "std": torch.tensor(trained.std, dtype=torch.float64),
        "regime_labels": [float(v) for v in trained.regime_labels],
        "training": {
            **config_dict(trained.train_config),
            "best_epoch": int(trained.best_epoch),
            "seconds": float(trained.seconds),
            "history": {k: [float(v) for v in vals] for k, vals in trained.history.items()},
        },
        "w2c_version": __version__,
    }


def save(trained: TrainedModel, path: str | Path, force: bool = False) -> Path:
    """Write atomically (never over an existing file without force)."""
    from w2c.fileio import write_with

    obj = to_dict(trained)
    return write_with(path, lambda handle: torch.save(obj, handle), force)


def _fail(where: str, message: str) -> None:
    raise CheckpointError(f"{where}: {message}")


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_format(obj: Any, where: str) -> None:
    if not isinstance(obj, dict):
        _fail(where, "not a w2c causal checkpoint (expected a dict)")
    fmt = obj.get("format")
    match = re.fullmatch(re.escape(FORMAT_NAME) + r"/(\d+)", fmt) if isinstance(fmt, str) else None
    if match is None:
        _fail(where, f"not a {FORMAT_NAME} checkpoint (format {fmt!r})")
    if int(match.group(1)) > FORMAT_VERSION:
        _fail(where, f"format {fmt} is newer than this w2c reads ({FORMAT}); upgrade w2c")
    if int(match.group(1)) != FORMAT_VERSION:
        _fail(where, f"unsupported format {fmt}")
    if set(obj) != KEYS:
        extra, missing = sorted(set(obj) - KEYS), sorted(KEYS - set(obj))
        _fail(where, f"unexpected fields {extra} / missing fields {missing}")


def _check_config(raw: Any, where: str) -> ModelConfig:
    if not isinstance(raw, dict) or set(raw) != set(LIMITS):
        _fail(where, f"config must have exactly the fields {sorted(LIMITS)}")
    for key, (low, high) in LIMITS.items():
        if not _int(raw[key]) or not low <= raw[key] <= high:
            _fail(where, f"config {key} must be an integer in [{low}, {high}]")
    if raw["d_model"] % raw["n_heads"]:
        _fail(where, "config d_model must be a multiple of n_heads")
    return ModelConfig(**raw)


def _check_state(model: CausalTransformer, state: Any, where: str) -> None:
    expected = model.state_dict()
    if not isinstance(state, dict) or set(state) != set(expected):
        _fail(where, "state_dict does not match the model its config describes")
    for name, ref in expected.items():
        value = state[name]
        if not isinstance(value, torch.Tensor) or value.dtype != ref.dtype:
            _fail(where, f"state_dict[{name!r}] must be a {ref.dtype} tensor")
        if value.shape != ref.shape:
            _fail(
                where,
                f"state_dict[{name!r}] has shape {list(value.shape)}, expected {list(ref.shape)}",
            )
        if not torch.isfinite(value).all():
            _fail(where, f"state_dict[{name!r}] holds non-finite values")


def _vector(obj: dict[str, Any], key: str, n: int, where: str) -> np.ndarray:
    value = obj[key]
    if not isinstance(value, torch.Tensor) or value.dtype != torch.float64 or value.shape != (n,):
        _fail(where, f"{key} must be a float64 tensor of shape [{n}]")
    array = value.numpy().copy()
    if not np.all(np.isfinite(array)):
        _fail(where, f"{key} holds non-finite values")
    return array


def _check_training(raw: Any, where: str) -> tuple[TrainConfig, dict[str, Any]]:
    fields = set(TrainConfig.__dataclass_fields__)
    if not isinstance(raw, dict) or not fields | {"best_epoch", "seconds", "history"} == set(raw):
        _fail(where, "training must hold the training settings, best_epoch, seconds, history")
    defaults = TrainConfig()
    for key in fields:
        kind = type(getattr(defaults, key))
        if type(raw[key]) is not kind or (kind is float and not np.isfinite(raw[key])):
            _fail(where, f"training setting {key} must be a finite {kind.__name__}")
    config = TrainConfig(**{key: raw[key] for key in fields})
    history = raw["history"]
    if (
        not isinstance(history, dict)
        or set(history) != {"train", "val"}
        or not all(
            isinstance(v, list) and all(isinstance(x, float) for x in v) for v in history.values()
        )
    ):
        _fail(where, "training history must be lists of floats for 'train' and 'val'")
    if not _int(raw["best_epoch"]) or not isinstance(raw["seconds"], float):
        _fail(where, "training best_epoch/seconds have the wrong types")
    return config, raw


def from_dict(obj: Any, where: str = "checkpoint") -> TrainedModel:
    """Validate a loaded object completely, then build the model."""
    _check_format(obj, where)
    cfg = _check_config(obj["config"], where)
    names = obj["variables"]
    if (
        not isinstance(names, list)
        or len(names) != cfg.n_vars
        or not all(map(is_valid_name, names))
        or len(set(names)) != len(names)
    ):
        _fail(where, f"variables must be {cfg.n_vars} unique valid names")
    mean = _vector(obj, "mean", cfg.n_vars, where)
    std = _vector(obj, "std", cfg.n_vars, where)
    if np.any(std <= 0):
        _fail(where, "std must be positive")
    labels = obj["regime_labels"]
    if (
        not isinstance(labels, list)
        or len(labels) != cfg.n_regimes
        or not all(isinstance(v, float) for v in labels)
    ):
        _fail(where, f"regime_labels must be {cfg.n_regimes} floats")
    train_config, training = _check_training(obj["training"], where)
    if not isinstance(obj["w2c_version"], str):
        _fail(where, "w2c_version must be a string")
    model = CausalTransformer(cfg)
    _check_state(model, obj["state_dict"], where)
    model.load_state_dict(obj["state_dict"])
    model.eval()
    return TrainedModel(
        model=model,
        names=tuple(names),
        mean=mean,
        std=std,
        regime_labels=tuple(labels),
        train_config=train_config,
        history=training["history"],
        best_epoch=training["best_epoch"],
        seconds=training["seconds"],
    )


def load(path: str | Path) -> TrainedModel:
    """Read and validate a causal checkpoint (never unpickles arbitrary objects)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"model file not found: {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # any unreadable / unsafe file is the user's input problem
        summary = " ".join(str(exc).split())[:160]
        raise CheckpointError(
            f"{path}: cannot be read as a weights-only checkpoint ({type(exc).__name__}: {summary})"
        ) from None
    return from_dict(obj, str(path))
