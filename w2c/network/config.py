"""Sizes and hyper-parameters of a Discrete Transformer; torch-free so the IR side can read them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class LayerSpec:
    """One layer: attention heads write first, then sub-MLPs read the extended stream."""

    heads: int
    mlps: int


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the network from a state_dict (docs/checkpoint.md).

    ``input_names`` are the residual-stream inputs: the task's channels and, for feedback
    tasks, ``y_prev`` (y_{t-1}, appended by w2c). Each input is divided by its scale and the
    output head's value is multiplied by ``output_scale``, so the network works at O(1).
    ``outputs`` is the number of output heads (one per output channel of the task).
    """

    input_names: tuple[str, ...]
    input_scales: tuple[float, ...]
    output_scale: float
    length: int
    layers: tuple[LayerSpec, ...]
    mlp_arity: int = 2
    mlp_hidden: int = 8
    attn_dim: int = 8
    ple_bins: int = 16
    ple_range: float = 3.0
    outputs: int = 1

    @property
    def n_inputs(self) -> int:
        return len(self.input_names)

    @property
    def pad(self) -> int:
        """Zero slots before position 0 so every offset up to length-1 reads a 0."""
        return self.length

    def width_before(self, layer: int) -> int:
        """Number of stream variables a layer's heads read."""
        return self.n_inputs + sum(s.heads + s.mlps for s in self.layers[:layer])

    @property
    def width(self) -> int:
        return self.width_before(len(self.layers))

    def forward_elements(
        self, batch: int, steps: int | None = None, *, keep_traces: bool = False
    ) -> float:
        """Elements one hardened forward pass over ``batch`` sequences holds at its peak.

        An estimate of the dominant arrays (docs/checkpoint.md, "Memory"): per layer the head
        operands [B, T, H, 3], the query/key encodings (~4 arrays of [B, T + S, H, D], S = T +
        pad key slots), the attention scores and their masked/selected copies (3 x [B, H, T, S])
        and the sub-MLP activations (3 x [B, T, M, hidden]); the residual stream (2 x [B, T,
        width]) throughout. Layers run one after another, so the largest layer counts;
        ``keep_traces`` adds what the compiler keeps of every layer (operands, chosen keys,
        outputs) for its trace tables. A float, so hostile sizes cannot overflow.
        """
        b = float(batch)
        t = float(self.length if steps is None else steps)
        s = t + self.pad
        d, k, hidden = self.attn_dim, self.mlp_arity, self.mlp_hidden
        largest = kept = 0.0
        for spec in self.layers:
            h, m = spec.heads, spec.mlps
            heads = b * t * h * 3 + 4 * b * (t + s) * h * d + 3 * b * h * t * s
            mlps = b * t * m * k + 3 * b * t * m * hidden
            largest = max(largest, heads, mlps)
            kept += b * t * (4 * h + m * (k + 1))
        return largest + 2 * b * t * self.width + (kept if keep_traces else 0.0)

    def training_elements(self, batch: int) -> float:
        """Elements one training step keeps for backpropagation (every layer's activations).

        Relaxed selections hold several copies of the scores (noise, logs, softmax, the
        straight-through mix): ~8 x [B, H, T, S] per layer, plus the encodings and sub-MLP
        activations of every layer, plus the stream.
        """
        b, t = float(batch), float(self.length)
        s = t + self.pad
        d, k, hidden = self.attn_dim, self.mlp_arity, self.mlp_hidden
        total = 0.0
        for spec in self.layers:
            h, m = spec.heads, spec.mlps
            total += b * t * h * 6 + 8 * b * (t + s) * h * d + 8 * b * h * t * s
            total += b * t * m * k * 2 + 4 * b * t * m * hidden
        return total + 2 * b * t * self.width * len(self.layers)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["input_names"] = list(self.input_names)
        data["input_scales"] = list(self.input_scales)
        data["layers"] = [[s.heads, s.mlps] for s in self.layers]
        if self.outputs == 1:  # one output: the version-1 config, so its model hash stays
            del data["outputs"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        values = dict(data)
        values["input_names"] = tuple(values["input_names"])
        values["input_scales"] = tuple(float(v) for v in values["input_scales"])
        values["layers"] = tuple(LayerSpec(int(h), int(m)) for h, m in values["layers"])
        return cls(**values)


@dataclass(frozen=True)
class ModelSize:
    """The part of the config an attempt of the model search varies."""

    layers: tuple[tuple[int, int], ...]
    mlp_hidden: int = 8
    mlp_arity: int = 2

    def describe(self) -> str:
        layers = " ".join(f"{h}h{m}m" for h, m in self.layers)
        arity = f" arity={self.mlp_arity}" if self.mlp_arity != 2 else ""
        return f"{layers} hidden={self.mlp_hidden}{arity}"

    @property
    def trainable(self) -> bool:
        """Does this size have anything besides the closed-form output head to train?"""
        return any(h or m for h, m in self.layers)


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation hyper-parameters of one training run (docs/cli.md, "w2c train")."""

    steps: int = 1500
    batch: int = 512
    lr: float = 3e-2
    read_lr_scale: float = 0.1
    # Relaxed (Gumbel-softmax) selections until this fraction of the steps, then
    # straight-through (hard forward, soft gradient): 0 = straight-through throughout.
    straight_from: float = 0.25
    weight_decay: float = 1e-4
    tau_start: float = 10.0
    tau_end: float = 0.1
    log_every: int = 50
    polish_steps: int = 800
    eval_batch: int = 2048
    # Sparsity pressure while annealing: this weight times the summed RMS contribution of every
    # head and sub-MLP to the output (a group L1), so a variable the task does not need fades.
    sparsity: float = 1e-3

    def describe(self) -> str:
        """The schedule in a few words (the search's listing and record)."""
        reads = "" if self.read_lr_scale == 0.1 else f", reads x{self.read_lr_scale:g}"
        return (
            f"{self.steps}+{self.polish_steps} steps of {self.batch}, "
            f"tau {self.tau_start:g}->{self.tau_end:g}{reads}"
        )


@dataclass(frozen=True)
class Attempt:
    """One attempt of the model search: a size, its settings and the run's seed."""

    size: ModelSize
    settings: TrainSettings
    seed: int

    def describe(self) -> str:
        return f"{self.size.describe()}, {self.settings.describe()}, seed {self.seed}"
