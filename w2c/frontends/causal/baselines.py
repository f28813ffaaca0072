"""Baselines on the same [target, source, lag-1] layout: PCMCI (tigramite, ParCorr) and random.

tigramite is an optional extra (``pip install w2c[baselines]``), imported only here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from w2c.errors import InputError


@dataclass
class BaselineResult:
    """Continuous scores (higher = more likely an edge) and the method's own graph, if any."""

    scores: np.ndarray
    graph: np.ndarray | None = None


def pcmci_parcorr(data: np.ndarray, max_lag: int, alpha: float = 0.05) -> BaselineResult:
    """PCMCI, partial correlation, tau 1..L: scores |partial corr.|, graph p < alpha."""
    try:
        from tigramite import data_processing as pp
        from tigramite.independence_tests.parcorr import ParCorr
        from tigramite.pcmci import PCMCI
    except ImportError:
        raise InputError("PCMCI needs tigramite: pip install 'w2c[baselines]'") from None
    frame = pp.DataFrame(np.asarray(data, dtype=np.float64))
    pcmci = PCMCI(dataframe=frame, cond_ind_test=ParCorr(), verbosity=0)
    result = pcmci.run_pcmci(tau_min=1, tau_max=max_lag, pc_alpha=alpha)
    # tigramite: [source, target, tau] with tau 0..L -> ours: [target, source, lag-1]
    values = np.abs(result["val_matrix"]).transpose(1, 0, 2)[:, :, 1:]
    pvalues = result["p_matrix"].transpose(1, 0, 2)[:, :, 1:]
    return BaselineResult(scores=values, graph=pvalues < alpha)


def random_guess(n_vars: int, max_lag: int, seed: int) -> BaselineResult:
    """Uniform random scores: with top-k per target, a sparse random guess of k parents each."""
    rng = np.random.default_rng(seed)
    return BaselineResult(scores=rng.random((n_vars, n_vars, max_lag)))
