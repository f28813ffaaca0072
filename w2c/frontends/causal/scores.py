"""Edge scores read off the trained forecaster, on held-out windows.

- energy: the score-gradient energy of the digest's Gaussian reduction,
  H[i, j, l] = E[(d mu_i / d x_{j,t-l})^2] / sigma_i^2, in standardised units (so sources of
  different units compete fairly) with sigma_i^2 the held-out MSE of target i.
- lrp: E|R| / sigma_i with R = x * (d mu_i / d x) taken through the network with attention
  probabilities and LayerNorm scales detached (CP-LRP).
Each comes with a block standard error over the (time-ordered) windows.

The p-value behind each edge's confidence is a paired permutation test on the same windows: does
target i's held-out squared error grow when x_{j,t-l} is replaced by the value of another
window? A dependence the model learnt from noise does not help on held-out data, so under "no
edge" the expected growth is exactly zero, whatever the size of the spurious gradient. That is
the noise floor that lets a parentless variable report no confident parents even under top-k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from w2c.frontends.causal.model import (
    FLOAT_BYTES,
    CausalTransformer,
    ModelConfig,
    batch_bytes,
    batched_predict,
    n_tokens,
)

N_BLOCKS = 40  # batch means for standard errors: windows overlap, so single windows are not iid
N_PERMUTATIONS = 3  # per input, averaged in the confidence test


@dataclass
class Scores:
    """Arrays indexed ``[target, source, lag-1]``."""

    energy: np.ndarray
    energy_se: np.ndarray
    lrp: np.ndarray
    lrp_se: np.ndarray
    pvalue: np.ndarray
    residual_var: np.ndarray
    n_windows: int

    def get(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """The score array and its standard error for ``energy`` or ``lrp``."""
        if kind == "energy":
            return self.energy, self.energy_se
        if kind == "lrp":
            return self.lrp, self.lrp_se
        raise ValueError(f"unknown score {kind!r}")


def scoring_batch(cfg: ModelConfig) -> int:
    """Windows per scoring batch: keep the attention matrices of one batch near 20M floats."""
    tokens = n_tokens(cfg)
    return max(8, min(1024, int(2e7 / (cfg.n_heads * tokens * tokens))))


def scoring_bytes(cfg: ModelConfig, n_windows: int) -> float:
    """Peak memory of compute_scores on ``n_windows`` held-out windows.

    The gradient arrays [window, target, lag, source] exist as float32 and float64 copies (about
    24 bytes per entry at the peak), plus one LRP forward + backward batch and the permuted copy
    of the windows.
    """
    entries = float(n_windows) * cfg.n_vars * cfg.n_vars * cfg.max_lag
    windows = float(n_windows) * cfg.max_lag * cfg.n_vars * FLOAT_BYTES
    return 24 * entries + batch_bytes(cfg, scoring_batch(cfg), relevance=True) + 2 * windows


def _batch_size(model: CausalTransformer) -> int:
    return scoring_batch(model.cfg)


def _block_mean_se(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over axis 0 and its standard error from contiguous block means."""
    n = values.shape[0]
    blocks = max(2, min(N_BLOCKS, n // 4))
    means = np.stack([chunk.mean(axis=0) for chunk in np.array_split(values, blocks)])
    return values.mean(axis=0), means.std(axis=0, ddof=1) / math.sqrt(blocks)


def _to_lag_order(arr: np.ndarray) -> np.ndarray:
    """[window, target, time-position, source] -> [window, target, source, lag-1]."""
    return arr[:, :, ::-1, :].transpose(0, 1, 3, 2)


def _input_gradients(
    model: CausalTransformer, x: torch.Tensor, r: torch.Tensor | None, relevance: bool
) -> np.ndarray:
    """d mu_i / d x for every window and target: [window, target, time-position, source]."""
    parts = []
    for start in range(0, x.shape[0], _batch_size(model)):
        xb = x[start : start + _batch_size(model)].clone().requires_grad_(True)
        rb = None if r is None else r[start : start + xb.shape[0]]
        out = model(xb, rb, relevance=relevance)
        grads = [
            torch.autograd.grad(out[:, i].sum(), xb, retain_graph=i + 1 < out.shape[1])[0]
            for i in range(out.shape[1])
        ]
        parts.append(torch.stack(grads, dim=1).detach().numpy())
    return np.concatenate(parts)


def _predict(model: CausalTransformer, x: torch.Tensor, r: torch.Tensor | None) -> torch.Tensor:
    return batched_predict(model, x, r, _batch_size(model))


def _upper_tail(z: np.ndarray) -> np.ndarray:
    """P(N(0,1) > z), elementwise."""
    return np.array([0.5 * math.erfc(v / math.sqrt(2)) for v in np.ravel(z)]).reshape(z.shape)


def permutation_pvalues(
    model: CausalTransformer, x: torch.Tensor, y: torch.Tensor, r: torch.Tensor | None, seed: int
) -> np.ndarray:
    """One-sided p-values that permuting x_{j,t-l} raises target i's held-out squared error."""
    generator = torch.Generator().manual_seed(seed)
    base = (_predict(model, x, r) - y) ** 2
    n, lags, p = x.shape
    pvalues = np.ones((p, p, lags))
    for position in range(lags):
        for source in range(p):
            diff = np.zeros((n, p))
            for _ in range(N_PERMUTATIONS):  # averaging permutations removes their own noise
                shuffled = x.clone()
                perm = torch.randperm(n, generator=generator)
                shuffled[:, position, source] = x[perm, position, source]
                diff += ((_predict(model, shuffled, r) - y) ** 2 - base).numpy()
            mean, se = _block_mean_se(diff / N_PERMUTATIONS)
            z = mean / np.maximum(se, 1e-12)
            pvalues[:, source, lags - 1 - position] = _upper_tail(z)
    return pvalues


def compute_scores(
    model: CausalTransformer,
    x: torch.Tensor,
    y: torch.Tensor,
    r: torch.Tensor | None = None,
    max_windows: int = 2000,
    seed: int = 0,
) -> Scores:
    """All scores on (up to ``max_windows`` of the last) held-out windows."""
    if x.shape[0] > max_windows:
        x, y = x[-max_windows:], y[-max_windows:]
        r = None if r is None else r[-max_windows:]
    model.eval()
    residual = ((_predict(model, x, r) - y) ** 2).mean(dim=0).numpy().astype(np.float64)
    residual = np.maximum(residual, 1e-8)
    grads = _to_lag_order(_input_gradients(model, x, r, relevance=False)).astype(np.float64)
    energy, energy_se = _block_mean_se(grads**2)
    scale = residual[:, None, None]
    rel_grads = _input_gradients(model, x, r, relevance=True)
    xs = x.numpy()[:, None, :, :]
    relevance = np.abs(_to_lag_order(rel_grads * xs)).astype(np.float64)
    lrp, lrp_se = _block_mean_se(relevance)
    return Scores(
        energy=energy / scale,
        energy_se=energy_se / scale,
        lrp=lrp / np.sqrt(scale),
        lrp_se=lrp_se / np.sqrt(scale),
        pvalue=permutation_pvalues(model, x, y, r, seed),
        residual_var=residual,
        n_windows=int(x.shape[0]),
    )
