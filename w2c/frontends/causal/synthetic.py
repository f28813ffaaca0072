"""Synthetic lagged systems with a known graph, for tests and benchmarks (docs/causal.md).

Every parameter is pinned here and documented in docs/causal.md, so a (mechanism, sizes, seed)
triple names one dataset forever. The graph: each target gets ``in_degree`` distinct source
variables (not itself unless ``self_lags``), each at a uniform random lag in 1..L. The last
``n_roots`` variables get no parents at all (the "parentless" check).

Mechanisms, for parent values u = x_{j,t-l}:
- linear: sum_j a_j u_j, |a| ~ U[0.3, 0.6], random sign, each row rescaled to sum |a| <= 0.9
  (a contraction, so the process is stationary).
- monotonic: sum_j a_j tanh(b_j u_j), |a| ~ U[0.6, 1.2], b ~ U[0.7, 1.5].
- piecewise: piecewise-linear + monotonic: even edges a*kink(u) with a continuous kink at
  c ~ U[-0.5, 0.5] and slope s ~ U[0, 0.3] below it, odd edges a*tanh(b u); rows as linear.
- mlp_add: a random MLP of the parents (16 tanh units, input weights N(0, 1.5^2/k), biases
  N(0, 0.5^2), output weights N(0, 1.5^2/16)) plus noise.
- mlp_cat: the same MLP with the noise concatenated as one more input (non-additive noise).
- nonmonotonic: sum_j a_j g_j(u_j) with g = cos(w u) (w ~ U[1.5, 2.5]) on even edges and
  tanh(u)^2 on odd ones, |a| ~ U[0.6, 1.2].
Noise (unit variance before scaling): gaussian, uniform, mixed (Gaussian, uniform or Laplace per
variable) or hetero (Gaussian with scale exp(0.5 tanh(first parent))). ``noise_scale`` = 1.
Non-stationary: ``n_regimes`` equal contiguous blocks, each with its own graph and mechanisms;
the true graph is their union and the regime index is returned. Hidden confounders:
``n_hidden`` AR(1) latent series (coefficient 0.8), each an extra parent (at lag 1) of two
observed variables, then dropped from the data (not from the dynamics).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from w2c.errors import InputError

MECHANISMS = ("linear", "monotonic", "piecewise", "mlp_add", "mlp_cat", "nonmonotonic")
NOISES = ("gaussian", "uniform", "mixed", "hetero")
HIDDEN_UNITS = 16
BURN_IN = 500


@dataclass
class SyntheticSystem:
    """Data ``[T, p]`` and the true lagged graph ``graph[target, source, lag-1]``."""

    data: np.ndarray
    graph: np.ndarray
    names: tuple[str, ...]
    regimes: np.ndarray | None = None
    params: dict[str, object] = field(default_factory=dict)

    @property
    def in_degree(self) -> int:
        return int(self.params["in_degree"])


@dataclass
class _Regime:
    """One set of structural equations for ``n`` variables (observed + hidden)."""

    src: np.ndarray  # (n, k) source variable per parent slot
    lag: np.ndarray  # (n, k) lag per slot
    used: np.ndarray  # (n, k) bool: slot holds a parent
    coef: np.ndarray  # (n, k)
    shape: np.ndarray  # (n, k) per-edge shape parameter (b, w or slope)
    kink: np.ndarray  # (n, k)
    w1: np.ndarray  # (n, H, k+1) MLP input weights (last column: noise for mlp_cat)
    b1: np.ndarray  # (n, H)
    w2: np.ndarray  # (n, H)


def _sample_regime(
    rng: np.random.Generator,
    mechanism: str,
    n_obs: int,
    n_hidden: int,
    max_lag: int,
    in_degree: int,
    n_roots: int,
    self_lags: bool,
) -> _Regime:
    n = n_obs + n_hidden
    k = in_degree + 2  # room for hidden-confounder slots
    src = np.zeros((n, k), dtype=np.int64)
    lag = np.ones((n, k), dtype=np.int64)
    used = np.zeros((n, k), dtype=bool)
    for i in range(n_obs - n_roots):
        pool = [j for j in range(n_obs) if self_lags or j != i]
        chosen = rng.choice(pool, size=in_degree, replace=False)
        src[i, :in_degree] = chosen
        lag[i, :in_degree] = rng.integers(1, max_lag + 1, size=in_degree)
        used[i, :in_degree] = True
    for h in range(n_hidden):
        latent = n_obs + h
        src[latent, 0], lag[latent, 0], used[latent, 0] = latent, 1, True
        for i in rng.choice(n_obs, size=min(2, n_obs), replace=False):
            free = np.flatnonzero(~used[i, in_degree:])
            if free.size:
                slot = in_degree + int(free[0])
                src[i, slot], lag[i, slot], used[i, slot] = latent, 1, True
    sign = rng.choice([-1.0, 1.0], size=(n, k))
    if mechanism in ("linear", "piecewise"):
        coef = sign * rng.uniform(0.3, 0.6, size=(n, k)) * used
        total = np.abs(coef).sum(axis=1, keepdims=True)
        coef = coef * np.minimum(1.0, 0.9 / np.maximum(total, 1e-12))
    else:
        coef = sign * rng.uniform(0.6, 1.2, size=(n, k)) * used
    shape = {
        "monotonic": rng.uniform(0.7, 1.5, (n, k)),
        "piecewise": rng.uniform(0.0, 0.3, (n, k)),
        "nonmonotonic": rng.uniform(1.5, 2.5, (n, k)),
    }.get(mechanism, np.ones((n, k)))
    kink = rng.uniform(-0.5, 0.5, size=(n, k))
    w1 = rng.normal(0.0, 1.5 / np.sqrt(in_degree), size=(n, HIDDEN_UNITS, k + 1))
    b1 = rng.normal(0.0, 0.5, size=(n, HIDDEN_UNITS))
    w2 = rng.normal(0.0, 1.5 / np.sqrt(HIDDEN_UNITS), size=(n, HIDDEN_UNITS))
    for h in range(n_hidden):  # latents are AR(1)
        latent = n_obs + h
        coef[latent] = 0.0
        coef[latent, 0] = 0.8
    return _Regime(src, lag, used, coef, shape, kink, w1, b1, w2)


def _edge_terms(mechanism: str, reg: _Regime, u: np.ndarray) -> np.ndarray:
    """Per-edge contributions a * g(u) for the additive mechanisms, shape (n, k)."""
    even = (np.arange(u.shape[1]) % 2 == 0)[None, :]
    if mechanism == "linear":
        g = u
    elif mechanism == "monotonic":
        g = np.tanh(reg.shape * u)
    elif mechanism == "piecewise":
        kinked = np.where(u >= reg.kink, u, reg.shape * u + (1 - reg.shape) * reg.kink)
        g = np.where(even, kinked, np.tanh(u))
    else:  # nonmonotonic
        g = np.where(even, np.cos(reg.shape * u), np.tanh(u) ** 2)
    return reg.coef * g


def _noise_draw(rng: np.random.Generator, kind: str, per_var: np.ndarray, size: int) -> np.ndarray:
    if kind == "uniform":
        return rng.uniform(-np.sqrt(3), np.sqrt(3), size=size)
    if kind == "mixed":
        gauss = rng.normal(size=size)
        unif = rng.uniform(-np.sqrt(3), np.sqrt(3), size=size)
        lap = rng.laplace(scale=1 / np.sqrt(2), size=size)
        return np.choose(per_var, [gauss, unif, lap])
    return rng.normal(size=size)


def _step(
    mechanism: str, reg: _Regime, history: np.ndarray, t: int, eps: np.ndarray, n_obs: int
) -> np.ndarray:
    u = history[t - reg.lag, reg.src] * reg.used  # (n, k)
    if mechanism in ("mlp_add", "mlp_cat"):
        concatenated = mechanism == "mlp_cat"
        inputs = np.concatenate([u, (eps if concatenated else 0 * eps)[:, None]], axis=1)
        hidden = np.tanh(np.einsum("nhk,nk->nh", reg.w1, inputs) + reg.b1)
        out = np.einsum("nh,nh->n", reg.w2, hidden) + (0.0 if concatenated else eps)
        out[n_obs:] = (reg.coef * u)[n_obs:].sum(axis=1) + eps[n_obs:]  # latents: AR(1)
        return out
    return _edge_terms(mechanism, reg, u).sum(axis=1) + eps


def generate(
    mechanism: str = "linear",
    n_vars: int = 10,
    max_lag: int = 5,
    n_steps: int = 20_000,
    in_degree: int = 3,
    noise: str = "gaussian",
    n_regimes: int = 1,
    n_hidden: int = 0,
    n_roots: int = 0,
    self_lags: bool = False,
    noise_scale: float = 1.0,
    seed: int = 0,
) -> SyntheticSystem:
    """Simulate one system; the same arguments always give the same data."""
    if mechanism not in MECHANISMS:
        raise InputError(f"unknown mechanism {mechanism!r} (one of {', '.join(MECHANISMS)})")
    if noise not in NOISES:
        raise InputError(f"unknown noise {noise!r} (one of {', '.join(NOISES)})")
    if n_vars < 2 or max_lag < 1 or n_steps < 1 or n_regimes < 1 or n_hidden < 0:
        raise InputError("need n_vars >= 2, max_lag >= 1, n_steps >= 1, n_regimes >= 1")
    if not 0 <= n_roots < n_vars or in_degree > n_vars - (0 if self_lags else 1):
        raise InputError(f"in_degree {in_degree} / n_roots {n_roots} impossible for {n_vars} vars")
    rng = np.random.default_rng(seed)
    n = n_vars + n_hidden
    regimes = [
        _sample_regime(rng, mechanism, n_vars, n_hidden, max_lag, in_degree, n_roots, self_lags)
        for _ in range(n_regimes)
    ]
    noise_kind = rng.integers(0, 3, size=n)
    total = BURN_IN + n_steps
    # the burn-in runs in regime 0; the kept steps split into equal regime blocks
    block = np.concatenate(
        [np.zeros(BURN_IN, dtype=np.int64), np.arange(n_steps) * n_regimes // n_steps]
    )
    history = np.zeros((total + max_lag, n))
    history[:max_lag] = rng.normal(size=(max_lag, n))
    for step in range(total):
        t = step + max_lag
        reg = regimes[block[step]]
        eps = noise_scale * _noise_draw(rng, noise, noise_kind, n)
        if noise == "hetero":
            first = history[t - reg.lag[:, 0], reg.src[:, 0]] * reg.used[:, 0]
            eps = eps * np.exp(0.5 * np.tanh(first))
        history[t] = _step(mechanism, reg, history, t, eps, n_vars)
    data = history[max_lag + BURN_IN :, :n_vars]
    graph = np.zeros((n_vars, n_vars, max_lag), dtype=bool)
    for reg in regimes:
        for i in range(n_vars):
            for slot in np.flatnonzero(reg.used[i]):
                if reg.src[i, slot] < n_vars:
                    graph[i, reg.src[i, slot], reg.lag[i, slot] - 1] = True
    params = dict(
        mechanism=mechanism,
        n_vars=n_vars,
        max_lag=max_lag,
        n_steps=n_steps,
        in_degree=in_degree,
        noise=noise,
        n_regimes=n_regimes,
        n_hidden=n_hidden,
        n_roots=n_roots,
        self_lags=self_lags,
        noise_scale=noise_scale,
        seed=seed,
    )
    return SyntheticSystem(
        data=data,
        graph=graph,
        names=tuple(f"x{j}" for j in range(n_vars)),
        regimes=block[BURN_IN:].copy() if n_regimes > 1 else None,
        params=params,
    )
