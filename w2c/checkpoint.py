"""The model.pt format (docs/checkpoint.md): build, save, load and validate.

A checkpoint is untrusted data. It is read with ``torch.load(weights_only=True)`` (no code runs)
and every field, dtype, shape and name is validated before anything uses it; the first problem
is reported in one line as a CheckpointError (exit 2 from the CLI).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from w2c.errors import CheckpointError, InputError
from w2c.fileio import write_with
from w2c.model.config import ModelConfig
from w2c.model.network import DiscreteTransformer
from w2c.tasks import Task, domain_from_dict, is_valid_name

FORMAT_NAME = "w2c.discrete-transformer"
FORMAT_VERSION = 1
FORMAT = f"{FORMAT_NAME}/{FORMAT_VERSION}"
MAX_BYTES = 64 * 1024 * 1024
FEEDBACK_INPUT = "y_prev"

TOP_KEYS = {"format", "w2c_version", "config", "state_dict", "task", "training"}
CONFIG_LIMITS: dict[str, tuple[int, int]] = {
    "length": (1, 256),
    "mlp_arity": (1, 4),
    "mlp_hidden": (1, 256),
    "attn_dim": (1, 64),
    "ple_bins": (1, 64),
}
TASK_KEYS = {"name", "channels", "domains", "length", "feedback", "source_sha256"}
TRAINING_SCALARS = {
    "seed": int,
    "steps": int,
    "polish_steps": int,
    "batch": int,
    "lr": float,
    "tau_start": float,
    "tau_end": float,
    "seconds": float,
    "attempts": int,
    "final_soft_loss": float,
    "final_hard_loss": float,
    "exact_fraction": float,
    "rel_mse": float,
}
HISTORY_KEYS = {
    "step": torch.int64,
    "tau": torch.float64,
    "soft_loss": torch.float64,
    "hard_loss": torch.float64,
    "discrepancy": torch.float64,
    "agreement_prev": torch.float64,
    "agreement_final": torch.float64,
}
_VERSION = re.compile(r"[0-9]+(\.[0-9]+){0,3}([a-z0-9.+-]{0,32})")
_SHA = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Checkpoint:
    """A validated checkpoint: the rebuilt model plus its records."""

    path: Path | None
    config: ModelConfig
    model: DiscreteTransformer
    task: dict[str, Any]
    training: dict[str, Any]
    w2c_version: str
    model_hash: str

    @property
    def task_name(self) -> str:
        return str(self.task["name"])


# --------------------------------------------------------------------------------------------
# Hash and build
# --------------------------------------------------------------------------------------------


def model_hash(config: ModelConfig, state_dict: dict[str, torch.Tensor]) -> str:
    """sha256 over the canonical JSON config and every tensor's name, dtype, shape and bytes."""
    digest = hashlib.sha256()
    digest.update(json.dumps(config.to_dict(), sort_keys=True, separators=(",", ":")).encode())
    for name in sorted(state_dict):
        tensor = state_dict[name].detach().contiguous().cpu()
        digest.update(f"\n{name}:{tensor.dtype}:{tuple(tensor.shape)}\n".encode())
        digest.update(tensor.numpy().astype(tensor.numpy().dtype.newbyteorder("<")).tobytes())
    return digest.hexdigest()


def build(
    model: DiscreteTransformer, task: Task, training: dict[str, Any], version: str
) -> dict[str, Any]:
    """The checkpoint dict (plain containers and tensors only)."""
    state = {k: v.detach().to(torch.float32).clone() for k, v in model.state_dict().items()}
    return {
        "format": FORMAT,
        "w2c_version": version,
        "config": model.config.to_dict(),
        "state_dict": state,
        "task": task.signature(),
        "training": training,
    }


def save(data: dict[str, Any], path: str | Path, force: bool = False) -> Path:
    """Validate, then write atomically (never clobbering without ``force``)."""
    validate(data)
    return write_with(path, lambda handle: torch.save(data, handle), force)


# --------------------------------------------------------------------------------------------
# Load and validate
# --------------------------------------------------------------------------------------------


def load(path: str | Path) -> Checkpoint:
    """Read and validate a checkpoint file; every problem is a one-line CheckpointError."""
    file = Path(path)
    if not file.exists():
        raise CheckpointError(f"model not found: {file}")
    if not file.is_file():
        raise CheckpointError(f"model path is not a file: {file}")
    size = file.stat().st_size
    if size > MAX_BYTES:
        raise CheckpointError(f"{file}: {size} bytes is larger than a w2c checkpoint can be")
    try:
        data = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle payloads, truncation, not-a-zip: all one message
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise CheckpointError(f"{file}: not a readable w2c checkpoint ({reason})") from None
    try:
        return validate(data, file)
    except CheckpointError as exc:
        raise CheckpointError(f"{file}: {exc}") from None


def validate(data: object, path: Path | None = None) -> Checkpoint:
    """Check every field of a checkpoint dict and rebuild the model from it."""
    if not isinstance(data, dict):
        raise CheckpointError("not a w2c checkpoint (top level is not a dict)")
    _check_format(data.get("format"))
    missing, extra = TOP_KEYS - set(data), set(data) - TOP_KEYS
    if missing:
        raise CheckpointError(f"missing field {sorted(missing)[0]!r}")
    if extra:
        raise CheckpointError(f"unknown field {_show(sorted(map(str, extra))[0])}")
    version = data["w2c_version"]
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise CheckpointError("field 'w2c_version' is not a version string")
    config = _check_config(data["config"])
    task = _check_task(data["task"], config)
    training = _check_training(data["training"])
    model = DiscreteTransformer(config)
    state = _check_state_dict(data["state_dict"], model)
    model.load_state_dict(state)
    model.eval()
    digest = model_hash(config, state)
    return Checkpoint(path, config, model, task, training, version, digest)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_format(value: object) -> None:
    if not isinstance(value, str):
        raise CheckpointError("not a w2c checkpoint (no 'format' string)")
    name, _, version = value.partition("/")
    if name != FORMAT_NAME or not version.isdigit():
        raise CheckpointError(f"not a w2c discrete-transformer checkpoint (format {_show(value)})")
    if int(version) > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint format version {int(version)} is newer than this w2c reads "
            f"({FORMAT_VERSION}); upgrade w2c"
        )
    if int(version) < 1:
        raise CheckpointError(f"unknown checkpoint format version {_show(version)}")


def _int_in(value: object, name: str, lo: int, hi: int) -> int:
    if type(value) is not int or not lo <= value <= hi:
        raise CheckpointError(f"config field {name!r} must be an integer in {lo}..{hi}")
    return value


def _positive_float(value: object, name: str) -> float:
    if type(value) not in (int, float) or not math.isfinite(value) or value <= 0:  # type: ignore[arg-type]
        raise CheckpointError(f"{name} must be a finite positive number")
    return float(value)  # type: ignore[arg-type]


def _check_config(raw: object) -> ModelConfig:
    expected = set(ModelConfig.__dataclass_fields__)
    if not isinstance(raw, dict) or set(raw) != expected:
        got = sorted(map(str, raw)) if isinstance(raw, dict) else type(raw).__name__
        raise CheckpointError(f"field 'config' must have keys {sorted(expected)}, got {_show(got)}")
    for key, (lo, hi) in CONFIG_LIMITS.items():
        _int_in(raw[key], key, lo, hi)
    names = raw["input_names"]
    if not isinstance(names, list) or not 1 <= len(names) <= 16:
        raise CheckpointError("config field 'input_names' must be a list of 1..16 names")
    for name in names:
        if not is_valid_name(name):
            raise CheckpointError(f"input name {_show(name)} is not a valid identifier")
    if len(set(names)) != len(names):
        raise CheckpointError("config field 'input_names' has duplicates")
    scales = raw["input_scales"]
    if not isinstance(scales, list) or len(scales) != len(names):
        raise CheckpointError("config field 'input_scales' must have one number per input")
    for scale in scales:
        _positive_float(scale, "every input scale")
    _positive_float(raw["output_scale"], "config field 'output_scale'")
    _positive_float(raw["ple_range"], "config field 'ple_range'")
    layers = raw["layers"]
    if not isinstance(layers, list) or not 1 <= len(layers) <= 8:
        raise CheckpointError("config field 'layers' must be a list of 1..8 [heads, mlps] pairs")
    for layer in layers:
        if not isinstance(layer, list) or len(layer) != 2:
            raise CheckpointError("config field 'layers' must hold [heads, mlps] pairs")
        _int_in(layer[0], "heads", 0, 16)
        _int_in(layer[1], "mlps", 0, 16)
    return ModelConfig.from_dict(raw)


def _check_task(raw: object, config: ModelConfig) -> dict[str, Any]:
    if not isinstance(raw, dict) or set(raw) != TASK_KEYS:
        raise CheckpointError(f"field 'task' must have keys {sorted(TASK_KEYS)}")
    if not is_valid_name(raw["name"]):
        raise CheckpointError(f"task name {_show(raw['name'])} is not a valid identifier")
    channels = raw["channels"]
    if not isinstance(channels, list) or not channels or not all(map(is_valid_name, channels)):
        raise CheckpointError("task field 'channels' must be a list of identifiers")
    if not isinstance(raw["domains"], list) or len(raw["domains"]) != len(channels):
        raise CheckpointError("task field 'domains' must have one domain per channel")
    for domain in raw["domains"]:
        try:
            domain_from_dict(domain)
        except InputError:
            raise CheckpointError(f"task domain {_show(domain)} is malformed") from None
    if type(raw["feedback"]) is not bool:
        raise CheckpointError("task field 'feedback' must be true or false")
    if raw["length"] != config.length or type(raw["length"]) is not int:
        raise CheckpointError("task length does not match the model's length")
    expected = list(channels) + ([FEEDBACK_INPUT] if raw["feedback"] else [])
    if list(config.input_names) != expected:
        raise CheckpointError(
            f"model inputs {list(config.input_names)} do not match the task's channels {expected}"
        )
    sha = raw["source_sha256"]
    if sha is not None and (not isinstance(sha, str) or not _SHA.fullmatch(sha)):
        raise CheckpointError("task field 'source_sha256' must be null or a sha256 hex digest")
    return dict(raw)


def _check_training(raw: object) -> dict[str, Any]:
    expected = set(TRAINING_SCALARS) | {"history", "size"}
    if not isinstance(raw, dict) or set(raw) != expected:
        raise CheckpointError(f"field 'training' must have keys {sorted(expected)}")
    for key, kind in TRAINING_SCALARS.items():
        value = raw[key]
        ok = type(value) is int if kind is int else type(value) in (int, float)
        if not ok or (kind is float and not math.isfinite(value)):
            raise CheckpointError(f"training field {key!r} must be a finite {kind.__name__}")
    size = raw["size"]
    if not isinstance(size, str) or len(size) > 200 or not size.isprintable():
        raise CheckpointError("training field 'size' must be a short printable string")
    history = raw["history"]
    if not isinstance(history, dict) or set(history) != set(HISTORY_KEYS):
        raise CheckpointError(f"training history must have keys {sorted(HISTORY_KEYS)}")
    lengths = set()
    for key, dtype in HISTORY_KEYS.items():
        array = history[key]
        if not isinstance(array, torch.Tensor) or array.dtype != dtype or array.dim() != 1:
            raise CheckpointError(f"training history {key!r} must be a 1-D {dtype} tensor")
        if array.is_floating_point() and not bool(torch.isfinite(array).all()):
            raise CheckpointError(f"training history {key!r} has non-finite values")
        lengths.add(array.numel())
    if len(lengths) != 1 or lengths.pop() > 100_000:
        raise CheckpointError("training history arrays must have one common length")
    return dict(raw)


def _check_state_dict(raw: object, model: DiscreteTransformer) -> dict[str, torch.Tensor]:
    expected = model.state_dict()
    if not isinstance(raw, dict):
        raise CheckpointError("field 'state_dict' must be a dict of tensors")
    missing, extra = set(expected) - set(raw), set(raw) - set(expected)
    if missing:
        raise CheckpointError(f"state_dict is missing {sorted(missing)[0]!r}")
    if extra:
        raise CheckpointError(
            f"state_dict has unexpected entry {_show(sorted(map(str, extra))[0])}"
        )
    state = {}
    for name, reference in expected.items():
        tensor = raw[name]
        if not isinstance(tensor, torch.Tensor) or tensor.dtype not in (
            torch.float32,
            torch.float64,
        ):
            raise CheckpointError(f"state_dict entry {name!r} must be a float tensor")
        if tuple(tensor.shape) != tuple(reference.shape):
            raise CheckpointError(
                f"state_dict entry {name!r} has shape {tuple(tensor.shape)}, "
                f"expected {tuple(reference.shape)} from the config"
            )
        if not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"state_dict entry {name!r} has NaN or infinite weights")
        state[name] = tensor.to(torch.float32)
    return state


# --------------------------------------------------------------------------------------------
# Matching a checkpoint to a task
# --------------------------------------------------------------------------------------------


def _comparable(signature: dict[str, Any]) -> dict[str, Any]:
    return {k: signature[k] for k in ("name", "channels", "domains", "length", "feedback")}


def task_mismatch(checkpoint: Checkpoint, task: Task) -> str | None:
    """Why ``task`` is not the task the checkpoint was trained on, or None if it is."""
    mine, theirs = _comparable(checkpoint.task), _comparable(task.signature())
    for key in mine:
        if mine[key] != theirs[key]:
            return (
                f"{key} is {_show(theirs[key])} but the model was trained with {_show(mine[key])}"
            )
    return None


def resolve_task(checkpoint: Checkpoint, override: Task | None = None) -> Task | None:
    """The task to check correctness against: ``override``, else the corpus task of that name.

    A user task (trained from a file) has no corpus oracle; without ``override`` it gives None.
    """
    if override is not None:
        problem = task_mismatch(checkpoint, override)
        if problem:
            raise InputError(f"--task does not match the checkpoint's task: {problem}")
        return override
    if checkpoint.task["source_sha256"] is not None:
        return None
    from w2c.corpus import TASKS

    task = TASKS.get(checkpoint.task_name)
    if task is None or task_mismatch(checkpoint, task):
        return None
    return task
