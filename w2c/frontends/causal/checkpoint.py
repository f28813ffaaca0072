"""The trained causal forecaster on disk: "w2c.causal-transformer/1" (docs/causal.md).

Same rules as model.pt (docs/checkpoint.md): one torch.save'd dict of tensors and plain containers,
read only with ``torch.load(weights_only=True)``; every field, dtype and shape is checked
against a freshly built model before any weight is used, and the first problem is one line.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from w2c.errors import CheckpointError, InputError
from w2c.frontends.causal.model import (
    CausalTransformer,
    ModelConfig,
    config_problem,
    model_bytes,
    state_shapes,
)
from w2c.frontends.causal.train import (
    TrainConfig,
    TrainedModel,
    config_dict,
    train_config_problem,
)
from w2c.limits import check_memory
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


def to_bytes(trained: TrainedModel) -> bytes:
    """The checkpoint file's bytes, re-read through the loader's own checks first: what w2c
    writes is always something ``load`` accepts."""
    buffer = io.BytesIO()
    torch.save(to_dict(trained), buffer)
    data = buffer.getvalue()
    from_dict(torch.load(io.BytesIO(data), map_location="cpu", weights_only=True), "model")
    return data


def save(trained: TrainedModel, path: str | Path, force: bool = False) -> Path:
    """Write atomically (never over an existing file without force)."""
    from w2c.fileio import write_bytes

    return write_bytes(path, to_bytes(trained), force)


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
    """Every field within the documented LIMITS, and the model they describe within the memory
    budget, before anything is built."""
    problem = config_problem(raw) if isinstance(raw, dict) else "config must be a dict"
    if problem is not None:
        _fail(where, problem)
    cfg = ModelConfig(**raw)
    try:
        check_memory(
            model_bytes(cfg),
            f"{where}: the model its config declares (d_model {cfg.d_model} x "
            f"{cfg.n_layers} layers, d_ff {cfg.d_ff}, {cfg.n_vars} variables x lag {cfg.max_lag})",
        )
    except InputError as exc:
        raise CheckpointError(str(exc)) from None
    return cfg


def _tensor(value: Any, name: str, dtype: torch.dtype, shape: tuple[int, ...], where: str) -> None:
    """A plain dense CPU tensor of exactly this dtype and shape, holding only finite values.

    The layout, device, dtype and shape are checked before anything reads the values: a sparse
    or meta tensor, or a stride-0 expanded one that claims billions of elements, is refused
    before torch.isfinite could allocate for it.
    """
    if not isinstance(value, torch.Tensor):
        _fail(where, f"{name} must be a tensor, got {type(value).__name__}")
    if value.layout != torch.strided or value.is_meta or value.device.type != "cpu":
        _fail(where, f"{name} must be a dense CPU tensor (layout {value.layout}, {value.device})")
    if value.dtype != dtype:
        _fail(where, f"{name} must be a {dtype} tensor of shape {list(shape)}, got {value.dtype}")
    if tuple(value.shape) != shape:
        _fail(where, f"{name} has shape {list(value.shape)}, expected {list(shape)}")
    if value.numel() != int(np.prod(shape, dtype=np.float64)):  # pragma: no cover - same shape
        _fail(where, f"{name} has the wrong number of elements")
    if not bool(torch.isfinite(value).all()):
        _fail(where, f"{name} holds non-finite values")


def _check_state(cfg: ModelConfig, state: Any, where: str) -> None:
    """Names, layouts, dtypes, shapes and values, against the shapes the config implies."""
    expected = state_shapes(cfg)
    if not isinstance(state, dict) or set(state) != set(expected):
        extra = sorted(map(str, set(state) - set(expected))) if isinstance(state, dict) else []
        missing = sorted(set(expected) - set(state)) if isinstance(state, dict) else []
        _fail(
            where,
            "state_dict does not match the model its config describes "
            f"(unexpected {extra[:3]}, missing {missing[:3]})",
        )
    for name, shape in expected.items():
        _tensor(state[name], f"state_dict[{name!r}]", torch.float32, shape, where)


def _vector(obj: dict[str, Any], key: str, n: int, where: str) -> np.ndarray:
    _tensor(obj[key], key, torch.float64, (n,), where)
    return obj[key].numpy().copy()


def _finite_float(value: Any) -> bool:
    return isinstance(value, float) and np.isfinite(value)


def _check_training(raw: Any, where: str) -> tuple[TrainConfig, dict[str, Any]]:
    fields = set(TrainConfig.__dataclass_fields__)
    if not isinstance(raw, dict) or not fields | {"best_epoch", "seconds", "history"} == set(raw):
        _fail(where, "training must hold the training settings, best_epoch, seconds, history")
    problem = train_config_problem(raw)
    if problem is not None:
        _fail(where, problem)
    config = TrainConfig(**{key: raw[key] for key in fields})
    history = raw["history"]
    if (
        not isinstance(history, dict)
        or set(history) != {"train", "val"}
        or not all(isinstance(v, list) and all(map(_finite_float, v)) for v in history.values())
    ):
        _fail(where, "training history must be lists of finite floats for 'train' and 'val'")
    if len(history["val"]) > config.max_epochs:
        _fail(where, "training history is longer than max_epochs")
    if not _int(raw["best_epoch"]) or not 0 <= raw["best_epoch"] <= len(history["val"]):
        _fail(where, "training best_epoch must be an integer within the history")
    if not _finite_float(raw["seconds"]) or raw["seconds"] < 0:
        _fail(where, "training seconds must be a finite float >= 0")
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
        or not all(_finite_float(v) for v in labels)
        or len(set(labels)) != len(labels)
    ):
        _fail(where, f"regime_labels must be {cfg.n_regimes} distinct finite floats")
    train_config, training = _check_training(obj["training"], where)
    if not isinstance(obj["w2c_version"], str):
        _fail(where, "w2c_version must be a string")
    _check_state(cfg, obj["state_dict"], where)
    model = CausalTransformer(cfg)  # built only now: every size and tensor has been checked
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
