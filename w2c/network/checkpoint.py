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
import reprlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from w2c.errors import CheckpointError, InputError
from w2c.fileio import write_with
from w2c.limits import check_memory, format_size
from w2c.network.config import ModelConfig
from w2c.network.transformer import DiscreteTransformer
from w2c.tasks import Task, domain_from_dict, is_valid_name, output_grid, task_from_record

FORMAT_NAME = "w2c.discrete-transformer"
FORMAT_VERSION = 2  # version 1 (no output record, one output) is still read
FORMAT = f"{FORMAT_NAME}/{FORMAT_VERSION}"
MAX_BYTES = 64 * 1024 * 1024
MAX_HISTORY = 100_000  # log points
MAX_VERSION_CHARS = 64
MAX_INT = 2**63 - 1  # integer training fields are in 0..MAX_INT
MAX_ATTEMPTS = 10_000  # attempts a training search record may list
SCALE_RANGE = (1e-30, 1e30)  # input_scales and output_scale
PLE_RANGE = (1e-6, 1e6)  # ple_range
# The batch the compiler pushes through the model at once: lowering traces at most 4096
# sequences (every sequence when there are that few, else 2048 random plus at most 64 edge ones)
# and the exhaustive verifier runs the model on chunks of 4096 sequences (docs/checkpoint.md).
COMPILE_BATCH = 4096

TOP_KEYS = {"format", "w2c_version", "config", "state_dict", "task", "training"}
CONFIG_LIMITS: dict[str, tuple[int, int]] = {
    "length": (1, 256),
    "mlp_arity": (1, 4),
    "mlp_hidden": (1, 256),
    "attn_dim": (1, 64),
    "ple_bins": (1, 64),
}
TASK_KEYS_V1 = {"name", "channels", "domains", "length", "feedback", "source_sha256"}
TASK_KEYS = TASK_KEYS_V1 | {"outputs", "output"}
MAX_OUTPUTS = 16
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
    format_version: int = FORMAT_VERSION  # of the file it was read from

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


def from_memory(model: object, task: Task | None) -> Checkpoint:
    """The checkpoint of a model in memory, built and validated as a saved file would be.

    ``model`` is what ``w2c.train`` returns (its delivered model and search record) or one
    training run (``w2c.network.train.RunResult``); ``task`` is the Task it was trained on.
    """
    import w2c
    from w2c.network.outcome import SearchOutcome
    from w2c.network.train import RunResult, run_record

    if task is None:
        raise InputError("a model in memory needs task=... (the Task it was trained on)")
    if isinstance(model, SearchOutcome):
        if model.best is None:
            raise InputError("the search delivered no model to compile")
        network, record = model.best.model, model.training_record()
    elif isinstance(model, RunResult):
        network, record = model.model, run_record(model, model.seconds, 1)
    else:
        raise InputError(
            f"cannot compile a {type(model).__name__}: pass a checkpoint path, a Checkpoint, "
            "what w2c.train returns, or a training run"
        )
    return validate(build(network, task, record, w2c.__version__))


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
    except InputError as exc:  # CheckpointError, or the memory budget's refusal
        raise CheckpointError(f"{file}: {exc}") from None


def validate(data: object, path: Path | None = None) -> Checkpoint:
    """Check every field of a checkpoint dict and rebuild the model from it."""
    if not isinstance(data, dict):
        raise CheckpointError("not a w2c checkpoint (top level is not a dict)")
    format_version = _check_format(data.get("format"))
    missing, extra = TOP_KEYS - set(data), set(data) - TOP_KEYS
    if missing:
        raise CheckpointError(f"missing field {sorted(missing)[0]!r}")
    if extra:
        raise CheckpointError(f"unknown field {_show(sorted(map(str, extra))[0])}")
    version = data["w2c_version"]
    if (
        not isinstance(version, str)
        or len(version) > MAX_VERSION_CHARS
        or not _VERSION.fullmatch(version)
    ):
        raise CheckpointError("field 'w2c_version' is not a version string")
    config = _check_config(data["config"], format_version)
    task = _check_task(data["task"], config, format_version)
    training = _check_training(data["training"])
    check_memory(compile_memory(config), f"compiling a model of this size ({describe(config)})")
    model = DiscreteTransformer(config)
    state = _check_state_dict(data["state_dict"], model)
    model.load_state_dict(state)
    model.eval()
    digest = model_hash(config, state)
    return Checkpoint(path, config, model, task, training, version, digest, format_version)


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxdict, _SHORT.maxlist = 3, 4, 4
_SHORT.maxstring = _SHORT.maxother = _SHORT.maxlong = 30


def _show(value: object) -> str:
    """A short repr of untrusted data (bounded depth and length: never recurses deeply)."""
    text = _SHORT.repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def describe(config: ModelConfig) -> str:
    """``8 layers, 128 heads, 128 sub-MLPs, length 256``: the sizes that drive memory."""
    heads = sum(s.heads for s in config.layers)
    mlps = sum(s.mlps for s in config.layers)
    return (
        f"{len(config.layers)} layer(s), {heads} head(s), {mlps} sub-MLP(s) of hidden "
        f"{config.mlp_hidden}, length {config.length}"
    )


def compile_memory(config: ModelConfig, batch: int = COMPILE_BATCH) -> float:
    """Bytes lowering, tracing and verifying need (docs/checkpoint.md, "Memory"): float64.

    The dominant arrays are one hardened forward pass over ``batch`` sequences (attention
    scores [batch, heads, T, 2T], encodings, sub-MLP hidden activations) plus the trace tables
    the compiler keeps (every variable at every position of every traced sequence).
    """
    return 8.0 * config.forward_elements(batch, keep_traces=True)


def _check_format(value: object) -> int:
    """The format's version (1 or 2), or the reason the file is not one w2c reads."""
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
    return int(version)


def _int_in(value: object, name: str, lo: int, hi: int) -> int:
    if type(value) is not int or not lo <= value <= hi:
        raise CheckpointError(f"config field {name!r} must be an integer in {lo}..{hi}")
    return value


def _number_in(value: object, name: str, lo: float, hi: float) -> float:
    """A real number (int or float, not bool) in [lo, hi]; huge ints are refused, not overflowed."""
    if type(value) is int and abs(value) <= 2**1023:
        value = float(value)
    if type(value) is not float or not lo <= value <= hi:
        raise CheckpointError(f"{name} must be a number in [{lo:g}, {hi:g}]")
    return value


def _check_config(raw: object, format_version: int = FORMAT_VERSION) -> ModelConfig:
    # "outputs" is written only for several output heads (and only from version 2)
    expected = set(ModelConfig.__dataclass_fields__) - {"outputs"}
    if format_version >= 2 and isinstance(raw, dict) and "outputs" in raw:
        expected.add("outputs")
        _int_in(raw["outputs"], "outputs", 2, MAX_OUTPUTS)
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
        _number_in(scale, "every input scale", *SCALE_RANGE)
    _number_in(raw["output_scale"], "config field 'output_scale'", *SCALE_RANGE)
    _number_in(raw["ple_range"], "config field 'ple_range'", *PLE_RANGE)
    layers = raw["layers"]
    if not isinstance(layers, list) or not 1 <= len(layers) <= 8:
        raise CheckpointError("config field 'layers' must be a list of 1..8 [heads, mlps] pairs")
    for layer in layers:
        if not isinstance(layer, list) or len(layer) != 2:
            raise CheckpointError("config field 'layers' must hold [heads, mlps] pairs")
        _int_in(layer[0], "heads", 0, 16)
        _int_in(layer[1], "mlps", 0, 16)
    return ModelConfig.from_dict(raw)


def _check_task(
    raw: object, config: ModelConfig, format_version: int = FORMAT_VERSION
) -> dict[str, Any]:
    """The validated task record; a version-1 record gains its implied outputs (one, ``y``)."""
    keys = TASK_KEYS_V1 if format_version == 1 else TASK_KEYS
    if not isinstance(raw, dict) or set(raw) != keys:
        raise CheckpointError(f"field 'task' must have keys {sorted(keys)}")
    record = dict(raw)
    if format_version == 1:
        record.update(outputs=["y"], output=None)
    if not is_valid_name(record["name"]):
        raise CheckpointError(f"task name {_show(record['name'])} is not a valid identifier")
    channels = record["channels"]
    if (
        not isinstance(channels, list)
        or not 1 <= len(channels) <= len(config.input_names)
        or not all(map(is_valid_name, channels))
    ):
        raise CheckpointError(
            "task field 'channels' must be a list of identifiers, one per model input"
        )
    if not isinstance(record["domains"], list) or len(record["domains"]) != len(channels):
        raise CheckpointError("task field 'domains' must have one domain per channel")
    for domain in record["domains"]:
        try:
            domain_from_dict(domain)
        except InputError as exc:
            raise CheckpointError(f"task domains: {exc}") from None
    outputs = record["outputs"]
    if (
        not isinstance(outputs, list)
        or not 1 <= len(outputs) <= MAX_OUTPUTS
        or not all(map(is_valid_name, outputs))
    ):
        raise CheckpointError(f"task field 'outputs' must be a list of 1..{MAX_OUTPUTS} names")
    if len(outputs) != config.outputs:
        raise CheckpointError(
            f"the task has {len(outputs)} output(s) but the model {config.outputs} output head(s)"
        )
    if record["output"] is not None:
        try:
            domain_from_dict(record["output"], output=True)
        except InputError as exc:
            raise CheckpointError(f"task output domain: {exc}") from None
    if type(record["feedback"]) is not bool:
        raise CheckpointError("task field 'feedback' must be true or false")
    if type(record["length"]) is not int or record["length"] != config.length:
        raise CheckpointError("task length does not match the model's length")
    try:  # the record's names and domains obey the task contract (docs/tasks.md)
        task = task_from_record(record)
    except InputError as exc:
        raise CheckpointError(f"task record: {exc}") from None
    expected = list(task.model_inputs)
    if list(config.input_names) != expected:
        raise CheckpointError(
            f"model inputs {list(config.input_names)} do not match the task's channels {expected}"
        )
    sha = record["source_sha256"]
    if sha is not None and (not isinstance(sha, str) or not _SHA.fullmatch(sha)):
        raise CheckpointError("task field 'source_sha256' must be null or a sha256 hex digest")
    return record


def _check_training(raw: object) -> dict[str, Any]:
    expected = set(TRAINING_SCALARS) | {"history", "size"}
    if not isinstance(raw, dict) or set(raw) - {"search"} != expected:
        raise CheckpointError(
            f"field 'training' must have keys {sorted(expected)} (and optionally 'search')"
        )
    if "search" in raw:
        _check_search(raw["search"])
    for key, kind in TRAINING_SCALARS.items():
        # a float field takes a float, or an int that converts to a finite float
        ok = _is_int(raw[key]) if kind is int else _is_number(raw[key])
        if not ok:
            shown = f"an integer in 0..{MAX_INT}" if kind is int else "a finite number"
            raise CheckpointError(f"training field {key!r} must be {shown}")
    if not _is_text(raw["size"]):
        raise CheckpointError("training field 'size' must be a short printable string")
    history = raw["history"]
    if not isinstance(history, dict) or set(history) != set(HISTORY_KEYS):
        raise CheckpointError(f"training history must have keys {sorted(HISTORY_KEYS)}")
    lengths = set()
    for key, dtype in HISTORY_KEYS.items():
        array = check_tensor(
            history[key], f"training history {key!r}", (dtype,), ndim=1, max_numel=MAX_HISTORY
        )
        lengths.add(array.numel())
    if len(lengths) != 1:
        raise CheckpointError("training history arrays must have one common length")
    return dict(raw)


def _is_int(value: object, lo: int = 0) -> bool:
    return type(value) is int and lo <= value <= MAX_INT


def _is_number(value: object) -> bool:
    return (type(value) is float and math.isfinite(value)) or (
        type(value) is int and abs(value) <= 2**1023
    )


def _is_text(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 200 and value.isprintable()


def _check_search(raw: object) -> None:
    """``training.search``: the model search that produced the model (docs/checkpoint.md)."""
    if not isinstance(raw, dict) or set(raw) != set(SEARCH_KEYS):
        raise CheckpointError(f"training field 'search' must have keys {sorted(SEARCH_KEYS)}")
    for key, check in SEARCH_KEYS.items():
        if not check(raw[key]):
            raise CheckpointError(f"training search field {key!r} is malformed")
    for attempt in raw["attempts"]:
        if not isinstance(attempt, dict) or set(attempt) != set(ATTEMPT_KEYS):
            raise CheckpointError(
                f"each training search attempt must have keys {sorted(ATTEMPT_KEYS)}"
            )
        for key, check in ATTEMPT_KEYS.items():
            if not check(attempt[key]):
                raise CheckpointError(f"training search attempt field {key!r} is malformed")


def _optional_index(value: object) -> bool:
    return value is None or _is_int(value)


SEARCH_KEYS: dict[str, Callable[[object], bool]] = {
    "jobs": lambda v: _is_int(v, 1),
    "budget": lambda v: _is_number(v) and v > 0,  # type: ignore[operator]
    "plan_size": _is_int,
    "accepted": _optional_index,
    "delivered": _optional_index,
    "stopped": _is_text,
    "seconds": _is_number,
    "attempts": lambda v: isinstance(v, list) and len(v) <= MAX_ATTEMPTS,
}
ATTEMPT_KEYS: dict[str, Callable[[object], bool]] = {
    "index": _is_int,
    "size": _is_text,
    "seed": _is_int,
    "settings": _is_text,
    "outcome": _is_text,
    "detail": _is_text,
    "seconds": _is_number,
    "exact_fraction": _is_number,
    "rel_mse": _is_number,
    "pruned": lambda v: isinstance(v, list) and len(v) <= 256 and all(map(_is_text, v)),
    "stopped_early": lambda v: _is_int(v, -1),
}


def check_tensor(
    value: object,
    what: str,
    dtypes: tuple[torch.dtype, ...],
    *,
    shape: tuple[int, ...] | None = None,
    ndim: int | None = None,
    max_numel: int,
) -> torch.Tensor:
    """The one check every tensor of a checkpoint passes before anything reads its values.

    A dense (strided, not nested) CPU tensor of one of ``dtypes`` with the expected rank or
    shape, at most ``max_numel`` elements, whose storage really holds every element once (no
    stride-0 expansion or overlapping views: a 10 KB file must not declare 32 GB of values),
    and, for floating dtypes, only finite values. The size checks come before any elementwise
    operation.
    """
    if not isinstance(value, torch.Tensor):
        raise CheckpointError(f"{what} must be a tensor, not {type(value).__name__}")
    if value.is_nested or value.layout != torch.strided:
        raise CheckpointError(f"{what} must be a dense tensor, not {value.layout}")
    if value.device.type != "cpu":
        raise CheckpointError(f"{what} must be a CPU tensor with data, not on {value.device}")
    if value.dtype not in dtypes:
        allowed = " or ".join(str(d) for d in dtypes)
        raise CheckpointError(f"{what} must be a {allowed} tensor, not {value.dtype}")
    sizes = tuple(value.shape)
    if ndim is not None and len(sizes) != ndim:
        raise CheckpointError(f"{what} must be a {ndim}-D tensor, got shape {_show(sizes)}")
    if shape is not None and sizes != shape:
        raise CheckpointError(f"{what} has shape {sizes}, expected {shape} from the config")
    numel = math.prod(sizes)
    if numel > max_numel:
        raise CheckpointError(f"{what} has {numel} elements, more than the {max_numel} allowed")
    _check_storage(value, what, sizes, numel)
    if value.is_floating_point() and not bool(torch.isfinite(value).all()):
        raise CheckpointError(f"{what} has NaN or infinite values")
    return value


def _check_storage(value: torch.Tensor, what: str, sizes: tuple[int, ...], numel: int) -> None:
    """Every element has its own bytes in the tensor's storage (no expanded/overlapping view)."""
    if numel == 0:
        return
    strides = value.stride()
    dims = sorted((st, n) for st, n in zip(strides, sizes, strict=True) if n > 1)
    reach = 1  # a sufficient condition for no overlap: each stride steps past the inner dims
    for stride, size in dims:
        if stride < reach:
            raise CheckpointError(
                f"{what} is an expanded or overlapping view (strides {strides}); "
                "save a contiguous copy (tensor.contiguous().clone())"
            )
        reach = stride * size
    itemsize = value.element_size()
    last = value.storage_offset() + sum((n - 1) * st for st, n in zip(strides, sizes, strict=True))
    stored = value.untyped_storage().nbytes()
    if numel * itemsize > stored or (last + 1) * itemsize > stored:
        raise CheckpointError(
            f"{what} declares {format_size(numel * itemsize)} but its storage holds "
            f"{format_size(stored)}"
        )


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
        shape = tuple(reference.shape)
        tensor = check_tensor(
            raw[name],
            f"state_dict entry {name!r}",
            (torch.float32, torch.float64),
            shape=shape,
            max_numel=math.prod(shape),
        )
        state[name] = tensor.to(torch.float32)
    return state


# --------------------------------------------------------------------------------------------
# Matching a checkpoint to a task
# --------------------------------------------------------------------------------------------


def _comparable(signature: dict[str, Any]) -> dict[str, Any]:
    """What the model's behaviour depends on: names, domains, length, feedback, outputs and
    the grid its fed-back and compared outputs use (a version-1 record implies its grid)."""
    keys = ("name", "channels", "domains", "length", "feedback", "outputs")
    comparable = {k: signature[k] for k in keys}
    domains = [domain_from_dict(d) for d in signature["domains"]]
    output = signature["output"]
    declared = None if output is None else domain_from_dict(output, output=True)
    comparable["output grid"] = output_grid(declared, all(d.discrete for d in domains))
    return comparable


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
