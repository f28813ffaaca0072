"""The Discrete Transformer (arXiv 2601.05770 §3), vectorised per layer.

Residual stream: a list of named scalars per position that grows by concatenation.
Every operand is read through a row of logits over the current variables and S(., tau).
A head reads query, key and value scalars; query and key are lifted by a piecewise-linear
encoding (fixed bin edges, learned linear map), scored with a learned relative-position bias,
and the attention weights go through the same S, so a trained head is a hard pointer. The keys
include ``pad`` zero slots before position 0, so out-of-range history reads 0. A sub-MLP reads
``mlp_arity`` scalars, has one ReLU hidden layer and writes one scalar. A linear head with a
bias reads every variable.

Training may *prune* a head or sub-MLP (``prune``): its value becomes 0 and no later read can
select it. ``bake_pruning`` writes that into the weights (read logits far below the row's, output
weight 0), so a saved model needs no mask and the compiler's ``prune`` pass removes the node.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from w2c.network.config import ModelConfig
from w2c.network.sampler import Mode, select
from w2c.tasks import quantise


def ple_linear(
    values: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, bins: int, limit: float
) -> torch.Tensor:
    """``weight @ PLE(values) + bias`` per head without materialising the encoding.

    PLE(x) has one ramp per bin over [-limit, limit] (1 left of x's bin, a fraction inside it,
    0 right of it) plus x itself, so the product is the running sum of the left bins' columns,
    plus the fraction times x's bin column, plus x times the last column. values[..., H],
    weight[H, d, bins + 1], bias[H, d] -> [..., H, d].
    """
    width = 2.0 * limit / bins
    position = (values + limit) / width
    index = position.detach().floor().clamp(0, bins - 1).long()
    fraction = (position - index).clamp(0.0, 1.0)
    columns = weight.transpose(1, 2)  # [H, bins + 1, d]
    zero = torch.zeros_like(columns[:, :1])
    running = torch.cat([zero, torch.cumsum(columns[:, :bins], dim=1)], dim=1)  # [H, bins+1, d]
    heads = torch.arange(weight.shape[0]).expand_as(index)
    out = running[heads, index] + fraction.unsqueeze(-1) * columns[heads, index]
    return out + values.unsqueeze(-1) * columns[:, bins] + bias


@dataclass
class LayerTrace:
    """What one layer did on a batch (hard mode): the compiler's trace tables come from here."""

    head_reads: torch.Tensor | None  # [H, 3] variable index of query, key, value
    attention: torch.Tensor | None  # [B, H, T] key slot chosen per query (slot - pad = time)
    head_operands: torch.Tensor | None  # [B, T, H, 3]
    mlp_reads: torch.Tensor | None  # [M, k]
    mlp_inputs: torch.Tensor | None  # [B, T, M, k]
    outputs: torch.Tensor  # [B, T, H + M] the layer's new variables


class DiscreteTransformer(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        feats = config.ple_bins + 1
        d = config.attn_dim
        distances = config.length + config.pad
        self.layers = nn.ModuleList()
        for index, spec in enumerate(config.layers):
            layer = nn.Module()
            width = config.width_before(index)
            if spec.heads:
                h = spec.heads
                layer.head_read = nn.Parameter(0.1 * torch.randn(h, 3, width))
                layer.q_weight = nn.Parameter(0.1 * torch.randn(h, d, feats) / math.sqrt(feats))
                layer.q_bias = nn.Parameter(torch.zeros(h, d))
                layer.k_weight = nn.Parameter(0.1 * torch.randn(h, d, feats) / math.sqrt(feats))
                layer.k_bias = nn.Parameter(torch.zeros(h, d))
                layer.rel_bias = nn.Parameter(torch.zeros(h, distances))
            if spec.mlps:
                m, k, hid = spec.mlps, config.mlp_arity, config.mlp_hidden
                layer.mlp_read = nn.Parameter(0.1 * torch.randn(m, k, width + spec.heads))
                layer.w1 = nn.Parameter(torch.randn(m, k, hid) / math.sqrt(k))
                layer.b1 = nn.Parameter(0.1 * torch.randn(m, hid))
                layer.w2 = nn.Parameter(torch.randn(m, hid) / math.sqrt(hid))
                layer.b2 = nn.Parameter(torch.zeros(m))
            self.layers.append(layer)
        heads = () if config.outputs == 1 else (config.outputs,)  # one head: the v1 shapes
        self.out_weight = nn.Parameter(0.1 * torch.randn(*heads, config.width))
        self.out_bias = nn.Parameter(torch.zeros(heads))
        distance = (
            torch.arange(config.length)[:, None]
            + config.pad
            - torch.arange(config.length + config.pad)[None, :]
        )
        self.register_buffer("distance", distance, persistent=False)
        extra = config.width - config.n_inputs
        self.register_buffer("alive", torch.ones(extra), persistent=False)
        self.pruned = False  # any variable pruned: only then do the masks enter the forward

    # ---- pruning -------------------------------------------------------------------------

    def variable_names(self) -> list[str]:
        """The IR's names of the heads and sub-MLPs, in stream order (w2c/network/lower.py)."""
        names: list[str] = []
        for index, spec in enumerate(self.config.layers):
            names += [f"attn_L{index}H{h}" for h in range(spec.heads)]
            names += [f"mlp_L{index}M{m}" for m in range(spec.mlps)]
        return names

    def prune(self, variable: int, dead: bool = True) -> None:
        """Mask (or, with ``dead=False``, restore) stream variable ``variable`` (>= n_inputs)."""
        self.alive[variable - self.config.n_inputs] = 0.0 if dead else 1.0
        self.pruned = bool((self.alive == 0).any())

    def dead_variables(self) -> list[int]:
        n = self.config.n_inputs
        return [n + int(i) for i in torch.nonzero(self.alive == 0).flatten()]

    def _read_bias(self, width: int) -> torch.Tensor:
        """0 for live variables among the first ``width``, -inf for pruned ones."""
        mask = torch.cat([self.alive.new_ones(self.config.n_inputs), self.alive])[:width]
        return torch.where(mask > 0, 0.0, float("-inf"))

    def _masked(self, values: torch.Tensor, first: int) -> torch.Tensor:
        """``values[..., j]`` (stream variables first, first+1, ...) times their live flags."""
        n = self.config.n_inputs
        return values * self.alive[first - n : first - n + values.shape[-1]]

    @torch.no_grad()
    def bake_pruning(self) -> None:
        """Make pruned variables unreadable and unused in the weights themselves, drop the mask."""
        dead = self.dead_variables()
        if not dead:
            return
        for layer in self.layers:
            for name in ("head_read", "mlp_read"):
                if hasattr(layer, name):
                    logits = getattr(layer, name)
                    columns = [v for v in dead if v < logits.shape[-1]]
                    if columns:
                        logits[..., columns] = logits.min() - 30.0
        self.out_weight[..., dead] = 0.0  # [width] or [outputs, width]
        self.alive.fill_(1.0)
        self.pruned = False

    # ---- pieces --------------------------------------------------------------------------

    def read_logits(self) -> list[torch.Tensor]:
        """Every operand-read logit matrix, in a fixed order (for agreement A(e))."""
        rows: list[torch.Tensor] = []
        for layer in self.layers:
            if hasattr(layer, "head_read"):
                rows.append(layer.head_read.reshape(-1, layer.head_read.shape[-1]))
            if hasattr(layer, "mlp_read"):
                rows.append(layer.mlp_read.reshape(-1, layer.mlp_read.shape[-1]))
        return rows

    def pointers(self) -> torch.Tensor:
        """Concatenated argmax of every read row (padding-free integer vector)."""
        rows = [r.detach().argmax(-1) for r in self.read_logits()]
        return torch.cat(rows) if rows else torch.zeros(0, dtype=torch.long)

    def attention_scores(self, layer: nn.Module, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """Raw scores a[b, h, t, s] over pad + T key slots, causally masked with -inf."""
        cfg = self.config
        batch = k.shape[0]
        k_pad = torch.cat([k.new_zeros(batch, cfg.pad, k.shape[2]), k], dim=1)
        qv = ple_linear(q, layer.q_weight, layer.q_bias, cfg.ple_bins, cfg.ple_range)
        kv = ple_linear(k_pad, layer.k_weight, layer.k_bias, cfg.ple_bins, cfg.ple_range)
        scores = qv.permute(0, 2, 1, 3) @ kv.permute(0, 2, 3, 1) / math.sqrt(cfg.attn_dim)
        t = q.shape[1]
        dist = self.distance[:t, : t + cfg.pad]
        causal = dist >= 0
        bias = layer.rel_bias[:, dist.clamp_min(0)]  # [H,T,S]
        scores = scores + bias[None]
        return scores.masked_fill(~causal[None, None], float("-inf"))

    # ---- forward -------------------------------------------------------------------------

    def forward(
        self,
        x: torch.Tensor,
        tau: float = 1.0,
        mode: Mode = "hard",
        noise: bool = False,
        traces: list[LayerTrace] | None = None,
    ) -> torch.Tensor:
        """x[B, T, n_inputs] in task units -> y[B, T] (y[B, T, K] for K outputs), task units."""
        stream = self.residual_stream(x, tau, mode, noise, traces)
        return (
            stream @ self.out_weight.transpose(0, -1) + self.out_bias
        ) * self.config.output_scale

    def residual_stream(
        self,
        x: torch.Tensor,
        tau: float = 1.0,
        mode: Mode = "hard",
        noise: bool = False,
        traces: list[LayerTrace] | None = None,
    ) -> torch.Tensor:
        """Every variable at every position, [B, T, width], in the network's scaled units."""
        cfg = self.config
        scale = torch.tensor(cfg.input_scales, dtype=x.dtype)
        stream = x / scale
        for index, spec in enumerate(cfg.layers):
            layer = self.layers[index]
            new: list[torch.Tensor] = []
            trace = LayerTrace(None, None, None, None, None, stream.new_zeros(0))
            first = stream.shape[-1]
            if spec.heads:
                logits = layer.head_read
                if self.pruned:
                    logits = logits + self._read_bias(logits.shape[-1])
                reads = select(logits, tau, mode, noise)  # [H,3,N]
                ops = torch.einsum("btn,hrn->bthr", stream, reads)
                q, k, v = ops.unbind(-1)  # [B,T,H]
                scores = self.attention_scores(layer, q, k)
                weights = select(scores, tau, mode, noise)  # [B,H,T,S]
                v_pad = torch.cat([v.new_zeros(v.shape[0], cfg.pad, v.shape[2]), v], dim=1)
                out = torch.einsum("bhts,bsh->bth", weights, v_pad)
                if self.pruned:
                    out = self._masked(out, first)
                new.append(out)
                stream = torch.cat([stream, out], dim=-1)
                if traces is not None:
                    trace.head_reads = layer.head_read.argmax(-1)
                    trace.attention = scores.argmax(-1)
                    trace.head_operands = ops
            if spec.mlps:
                logits = layer.mlp_read
                if self.pruned:
                    logits = logits + self._read_bias(logits.shape[-1])
                reads = select(logits, tau, mode, noise)  # [M,k,N]
                u = torch.einsum("btn,mkn->btmk", stream, reads)
                hidden = torch.relu(torch.einsum("btmk,mkh->btmh", u, layer.w1) + layer.b1)
                out = torch.einsum("btmh,mh->btm", hidden, layer.w2) + layer.b2
                if self.pruned:
                    out = self._masked(out, first + spec.heads)
                new.append(out)
                stream = torch.cat([stream, out], dim=-1)
                if traces is not None:
                    trace.mlp_reads = layer.mlp_read.argmax(-1)
                    trace.mlp_inputs = u
            if traces is not None:  # a layer without heads or sub-MLPs adds no variable
                trace.outputs = torch.cat(new, dim=-1) if new else stream[..., :0]
                traces.append(trace)
        return stream

    @torch.no_grad()
    def run_closed_loop(self, x: torch.Tensor, feedback: bool, grid: int | None) -> torch.Tensor:
        """The hardened model on task inputs x[B,T,C]; feedback tasks feed their own outputs.

        Fed-back outputs go through the task's output grid (w2c.tasks.quantise; None: as
        computed), as the task's outputs are compared.
        """
        if not feedback:
            return self(x, mode="hard")
        batch, steps, _ = x.shape
        outputs = self.config.outputs
        prev = x.new_zeros(batch, steps, outputs)
        y = x.new_zeros(batch, steps, outputs)
        for t in range(steps):
            out = self(torch.cat([x[:, : t + 1], prev[:, : t + 1]], dim=-1), mode="hard")
            y[:, t] = out[:, t].reshape(batch, outputs)
            if t + 1 < steps:
                prev[:, t + 1] = torch.from_numpy(quantise(y[:, t].numpy(), grid))
        return y[..., 0] if outputs == 1 else y
