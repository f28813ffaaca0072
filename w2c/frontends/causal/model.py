"""A small decoder-only transformer over (variable, lag) tokens that forecasts the next step.

One token per observation x_{j,t-l} (value projection + variable embedding + lag embedding), in
time order (all variables of t-L, then t-L+1, ...), under a causal mask; then one query token per
variable at time t (its variable embedding + the lag-0 embedding) that sees every observation but
no other query, so prediction i depends on the past only. The graph is read from the gradients
of the predictions with respect to the observation values.

``relevance=True`` runs the same network with the attention probabilities and the LayerNorm
scales detached, so the input gradient times the input is a conservative LRP relevance (the
"CP-LRP" rule) without any extra dependency.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

# Documented bounds of every config field (docs/causal.md, "Limits"); a checkpoint or an API
# caller outside them is refused before anything is built.
LIMITS = {
    "n_vars": (2, 10_000),
    "max_lag": (1, 10_000),
    "n_regimes": (0, 100_000),
    "d_model": (1, 4096),
    "n_heads": (1, 64),
    "n_layers": (1, 64),
    "d_ff": (1, 16384),
}
FLOAT_BYTES = 4  # the network runs in float32


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of the network; saved in the checkpoint."""

    n_vars: int
    max_lag: int
    n_regimes: int = 0
    d_model: int = 32
    n_heads: int = 4
    n_layers: int = 2
    d_ff: int = 64

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def config_problem(cfg: dict[str, object]) -> str | None:
    """Why a config (as a dict) is outside the documented limits, or None when it is inside."""
    if set(cfg) != set(LIMITS):
        return f"config must have exactly the fields {sorted(LIMITS)}"
    for key, (low, high) in LIMITS.items():
        value = cfg[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"config {key} must be an integer in [{low}, {high}], got {value!r}"
    if cfg["d_model"] % cfg["n_heads"]:  # type: ignore[operator]
        return "config d_model must be a multiple of n_heads"
    return None


def state_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor in ``CausalTransformer(cfg).state_dict()``, built from the
    config alone (no tensor is allocated), so a checkpoint can be checked before a model is."""
    d, ff = cfg.d_model, cfg.d_ff
    shapes: dict[str, tuple[int, ...]] = {
        "value.weight": (d, 1),
        "value.bias": (d,),
        "var_emb.weight": (cfg.n_vars, d),
        "lag_emb.weight": (cfg.max_lag + 1, d),
        "regime_emb.weight": (max(cfg.n_regimes, 1), d),
    }
    for i in range(cfg.n_layers):
        block = {
            "norm1.weight": (d,),
            "norm1.bias": (d,),
            "qkv.weight": (3 * d, d),
            "qkv.bias": (3 * d,),
            "proj.weight": (d, d),
            "proj.bias": (d,),
            "norm2.weight": (d,),
            "norm2.bias": (d,),
            "ff1.weight": (ff, d),
            "ff1.bias": (ff,),
            "ff2.weight": (d, ff),
            "ff2.bias": (d,),
        }
        shapes.update({f"blocks.{i}.{name}": shape for name, shape in block.items()})
    shapes.update(
        {"norm.weight": (d,), "norm.bias": (d,), "head.weight": (1, d), "head.bias": (1,)}
    )
    return shapes


def n_parameters(cfg: ModelConfig) -> float:
    """How many floats the weights hold (a float: products of declared sizes stay exact enough)."""
    return float(sum(math.prod(float(n) for n in shape) for shape in state_shapes(cfg).values()))


def n_tokens(cfg: ModelConfig) -> int:
    """Sequence length: one token per (variable, lag) observation plus one query per variable."""
    return cfg.n_vars * (cfg.max_lag + 1)


def model_bytes(cfg: ModelConfig) -> float:
    """Memory a built model holds: its weights (and the state dict they came from) plus the
    token-by-token attention mask and index buffers."""
    tokens = float(n_tokens(cfg))
    return 2 * FLOAT_BYTES * n_parameters(cfg) + tokens * tokens + 16 * tokens


def batch_bytes(cfg: ModelConfig, batch: int, relevance: bool) -> float:
    """Peak memory of one forward + backward pass over ``batch`` windows.

    Activations kept for the backward pass (about 8 d_model + 2 d_ff floats per token and layer)
    plus the attention matrices: one batch x heads x tokens^2 matrix for the fused kernel, about
    five per layer for the explicit-softmax (LRP) path, as measured on CPU torch.
    """
    tokens = float(n_tokens(cfg))
    per_token = (8 * cfg.d_model + 2 * cfg.d_ff) * cfg.n_layers
    attention = float(batch) * cfg.n_heads * tokens * tokens * FLOAT_BYTES
    attention *= 5 * cfg.n_layers if relevance else 1
    return float(batch) * tokens * per_token * FLOAT_BYTES + attention


class _LayerNorm(nn.Module):
    """LayerNorm whose scale (1/std) can be detached for LRP."""

    def __init__(self, d: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d))
        self.eps = eps

    def forward(self, x: torch.Tensor, relevance: bool = False) -> torch.Tensor:
        if not relevance:  # the fused kernel: same function, fewer ops
            return nn.functional.layer_norm(x, x.shape[-1:], self.weight, self.bias, self.eps)
        centred = x - x.mean(-1, keepdim=True)
        std = torch.sqrt(centred.pow(2).mean(-1, keepdim=True) + self.eps).detach()
        return centred / std * self.weight + self.bias


class _Block(nn.Module):
    """Pre-LN attention + GELU MLP, residual."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.n_heads = cfg.n_heads
        self.norm1 = _LayerNorm(cfg.d_model)
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.norm2 = _LayerNorm(cfg.d_model)
        self.ff1 = nn.Linear(cfg.d_model, cfg.d_ff)
        self.ff2 = nn.Linear(cfg.d_ff, cfg.d_model)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, relevance: bool) -> torch.Tensor:
        b, s, d = x.shape
        h = self.norm1(x, relevance)
        q, k, v = self.qkv(h).view(b, s, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        if relevance:  # explicit softmax so its probabilities can be detached
            logits = q @ k.transpose(-1, -2) / math.sqrt(d // self.n_heads)
            probs = torch.softmax(logits.masked_fill(~mask, float("-inf")), dim=-1).detach()
            mixed = probs @ v
        else:
            mixed = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = x + self.proj(mixed.transpose(1, 2).reshape(b, s, d))
        h = self.norm2(x, relevance)
        return x + self.ff2(nn.functional.gelu(self.ff1(h)))


class CausalTransformer(nn.Module):
    """Maps windows ``x[batch, L, p]`` (oldest first) to next-step predictions ``[batch, p]``."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        if cfg.d_model % cfg.n_heads:
            raise ValueError("d_model must be a multiple of n_heads")
        self.cfg = cfg
        p, lag = cfg.n_vars, cfg.max_lag
        self.value = nn.Linear(1, cfg.d_model)
        self.var_emb = nn.Embedding(p, cfg.d_model)
        self.lag_emb = nn.Embedding(lag + 1, cfg.d_model)  # row 0: the query tokens at time t
        self.regime_emb = nn.Embedding(max(cfg.n_regimes, 1), cfg.d_model)
        self.blocks = nn.ModuleList(_Block(cfg) for _ in range(cfg.n_layers))
        self.norm = _LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, 1)
        n_obs = p * lag
        allowed = torch.ones(n_obs + p, n_obs + p).tril().bool()
        allowed[n_obs:, n_obs:] = torch.eye(p, dtype=torch.bool)
        self.register_buffer("mask", allowed, persistent=False)
        lags = torch.arange(lag, 0, -1).repeat_interleave(p)  # token order: t-L block first
        self.register_buffer(
            "token_lag", torch.cat([lags, torch.zeros(p, dtype=torch.long)]), persistent=False
        )
        self.register_buffer("token_var", torch.arange(p).repeat(lag + 1), persistent=False)

    def forward(
        self, x: torch.Tensor, regime: torch.Tensor | None = None, relevance: bool = False
    ) -> torch.Tensor:
        b = x.shape[0]
        p = self.cfg.n_vars
        values = torch.cat([x.reshape(b, -1), x.new_zeros(b, p)], dim=1)
        h = self.value(values.unsqueeze(-1))
        h = h * self._observed() + self.var_emb(self.token_var) + self.lag_emb(self.token_lag)
        if self.cfg.n_regimes:
            if regime is None:
                raise ValueError("this model needs a regime index")
            h = h + self.regime_emb(regime).unsqueeze(1)
        for block in self.blocks:
            h = block(h, self.mask, relevance)
        return self.head(self.norm(h[:, -p:], relevance)).squeeze(-1)

    def _observed(self) -> torch.Tensor:
        """1 on observation tokens, 0 on query tokens (they carry no value)."""
        return (self.token_lag > 0).to(self.value.weight.dtype).unsqueeze(-1)


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
