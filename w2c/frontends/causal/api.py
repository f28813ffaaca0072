"""``discover``: data in, CausalGraph out; the one function the CLI and ``w2c.causal`` share."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from w2c.errors import InputError
from w2c.frontends.causal.data import SizeCheck, TimeSeries, check_max_lag, from_array, load
from w2c.frontends.causal.graph import (
    SCORES,
    CausalGraph,
    Selection,
    candidate_mask,
    confidence_from_pvalues,
)
from w2c.frontends.causal.model import ModelConfig
from w2c.frontends.causal.scores import Scores
from w2c.frontends.causal.train import (
    MAX_SEED,
    TRAIN_LIMITS,
    TrainConfig,
    TrainedModel,
    check_run_memory,
    check_train_config,
    fit,
    full_config,
    prepare,
)
from w2c.threads import torch_threads

MAX_K = 10**9  # a larger --top-k / --global-top-k is refused (it would keep every candidate)


def _series(
    data: Any,
    names: Any,
    regimes: Any,
    time_col: str | None,
    regime_col: str | None,
    check: SizeCheck | None = None,
) -> TimeSeries:
    if isinstance(data, TimeSeries):
        return data
    if isinstance(data, str | os.PathLike):
        return load(Path(data), time_col, regime_col, check)
    return from_array(np.asarray(data), names, regimes)


def _integer(value: Any, name: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{name} must be an integer in [{low}, {high}], got {value!r}")


def _finite(value: float) -> float | None:
    """A metric for JSON: undefined (NaN) becomes None, written as null."""
    return float(value) if math.isfinite(value) else None


def selection_from(
    top_k: int | None,
    global_top_k: int | None,
    threshold: float | None,
    exclude_self: bool,
    min_confidence: float,
) -> Selection:
    """At most one explicit rule; with none, the graph is the confident edges."""
    given = [
        (rule, v)
        for rule, v in (("top-k", top_k), ("global-top-k", global_top_k), ("threshold", threshold))
        if v is not None
    ]
    if len(given) > 1:
        raise InputError("give at most one of --top-k, --global-top-k, --threshold")
    for rule, v in given:
        if rule != "threshold" and isinstance(v, int) and not isinstance(v, bool) and v > MAX_K:
            raise InputError(f"{rule} must be at most {MAX_K}, got {v}")
    rule, value = given[0] if given else ("confident", 0.0)
    return Selection(rule, float(value), exclude_self, min_confidence)


def _regimes_for_model(series: TimeSeries, trained: TrainedModel) -> TimeSeries:
    """Map a new file's regime labels onto the ones the model was trained with."""
    if not trained.regime_labels:
        if series.regimes is not None:
            raise InputError("this model was trained without a regime column")
        return series
    if series.regimes is None:
        raise InputError("this model needs the regime column it was trained with")
    labels = np.array(series.regime_labels)[series.regimes]
    known = np.array(trained.regime_labels)
    if not np.all(np.isin(labels, known)):
        raise InputError("the data has regime labels the model never saw")
    return TimeSeries(
        series.values, series.names, np.searchsorted(known, labels), trained.regime_labels
    )


def discover(
    data: Any,
    max_lag: int,
    *,
    names: list[str] | None = None,
    regimes: Any = None,
    time_col: str | None = None,
    regime_col: str | None = None,
    score: str = "energy",
    top_k: int | None = None,
    global_top_k: int | None = None,
    threshold: float | None = None,
    exclude_self: bool = False,
    min_confidence: float = 0.95,
    seed: int = 0,
    epochs: int = TrainConfig.max_epochs,
    train_config: TrainConfig | None = None,
    model_config: ModelConfig | None = None,
    model: TrainedModel | str | os.PathLike[str] | None = None,
    eval_windows: int = 2000,
    truth: str | os.PathLike[str] | None = None,
    threads: int = 1,
    progress: bool = False,
) -> CausalGraph:
    """Learn the lagged causal graph of a multivariate series.

    ``data`` is a CSV/.npy path, an array [time, variable] or a TimeSeries. Trains a fresh
    forecaster (or reuses ``model``, a TrainedModel or a checkpoint path), scores every
    (source, lag) -> target entry on held-out windows and binarises with one rule: ``top_k``
    per target, ``global_top_k``, ``threshold``, or (default) the confident edges. ``truth``
    (a graph JSON path) adds ``info["evaluation"]``.

    Validation order (docs/causal.md): the options; the checkpoint (``model``); the data's
    sizes and the memory the run needs (before its values are read); the data; the model
    against the data; the truth file against the data's variables and max-lag. Only then does
    training start.
    """
    if score not in SCORES:
        raise InputError(f"unknown score {score!r} (one of {', '.join(SCORES)})")
    if isinstance(eval_windows, bool) or not isinstance(eval_windows, int) or eval_windows < 16:
        raise InputError("eval-windows must be an integer >= 16")
    check_max_lag(max_lag)
    _integer(seed, "seed", 0, MAX_SEED)
    if model is None and train_config is None:
        _integer(epochs, "epochs", 1, int(TRAIN_LIMITS["max_epochs"][1]))
    config = train_config or TrainConfig(seed=seed, max_epochs=epochs)
    if model is None:
        check_train_config(config)
        full_config(2, 0, max_lag, model_config)  # the sizes alone, before the data
    selection = selection_from(top_k, global_top_k, threshold, exclude_self, min_confidence)
    trained = None
    if model is not None:
        from w2c.frontends.causal import checkpoint

        trained = model if isinstance(model, TrainedModel) else checkpoint.load(model)

    def plan(n_steps: int, n_vars: int) -> None:
        """The memory the whole run needs, from the data's declared sizes."""
        if n_vars < 2:  # from_array says why, with the file's own words
            return
        cfg = (
            trained.model.cfg
            if trained is not None
            else full_config(n_vars, 0, max_lag, model_config)
        )
        check_run_memory(n_steps, cfg, config.batch_size, eval_windows, trained is None)

    series = _series(data, names, regimes, time_col, regime_col, plan)
    check_max_lag(max_lag, series.n_steps)
    if trained is not None:
        if trained.names != series.names or trained.max_lag != max_lag:
            raise InputError(
                f"the model was trained on variables {list(trained.names)} with max-lag "
                f"{trained.max_lag}; the data has {list(series.names)} and max-lag {max_lag}"
            )
        series = _regimes_for_model(series, trained)
    known = None
    if truth is not None:
        from w2c.frontends.causal.metrics import load_truth

        known = load_truth(str(truth), series.names, max_lag)
    plan(series.n_steps, series.n_vars)  # exact sizes (arrays and TimeSeries too)
    with torch_threads(threads):
        graph = _discover(
            series,
            max_lag,
            score,
            selection,
            seed,
            config,
            model_config,
            trained,
            eval_windows,
            progress,
        )
    if known is not None:
        from w2c.frontends.causal.metrics import evaluate

        metrics = evaluate(known, graph.adjacency, graph.scores)
        graph.info["evaluation"] = {key: _finite(value) for key, value in metrics.items()}
    return graph


def _discover(
    series: TimeSeries,
    max_lag: int,
    score: str,
    selection: Selection,
    seed: int,
    config: TrainConfig,
    model_config: ModelConfig | None,
    trained: TrainedModel | None,
    eval_windows: int,
    progress: bool,
) -> CausalGraph:
    if trained is not None:
        prepared = prepare(
            series, max_lag, trained.mean, trained.std, trained.train_config.val_fraction
        )
    else:
        trained, prepared = fit(series, max_lag, config, model_config, progress)
    return score_graph(trained, prepared, score, selection, eval_windows, seed)


def score_graph(
    trained: TrainedModel,
    prepared: Any,
    score: str,
    selection: Selection,
    eval_windows: int,
    seed: int,
) -> CausalGraph:
    """Scores on the held-out windows -> graph."""
    import torch

    from w2c.frontends.causal.scores import compute_scores

    torch.manual_seed(seed)
    scores = compute_scores(
        trained.model, prepared.x_val, prepared.y_val, prepared.r_val, eval_windows, seed
    )
    return graph_from_scores(trained, scores, score, selection)


def graph_from_scores(
    trained: TrainedModel, scores: Scores, score: str, selection: Selection
) -> CausalGraph:
    """One binarised graph from computed scores (several graphs can share one scoring)."""
    values, spread = scores.get(score)
    arrays = (values, spread, scores.pvalue, scores.residual_var)
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise InputError(
            "the model's scores on this data are not finite (its predictions overflow); "
            "retrain on data of this scale"
        )
    p, lags = trained.model.cfg.n_vars, trained.max_lag
    candidates = candidate_mask(p, lags, selection.exclude_self)
    info = {
        "seed": trained.train_config.seed,
        "epochs_run": len(trained.history.get("val", [])),
        "best_epoch": trained.best_epoch,
        "train_seconds": round(trained.seconds, 3),
        "val_mse": [float(v) for v in scores.residual_var],
        "eval_windows": scores.n_windows,
        "regimes": len(trained.regime_labels),
    }
    return CausalGraph(
        variables=trained.names,
        max_lag=lags,
        score=score,
        scores=values,
        scores_se=spread,
        confidence=confidence_from_pvalues(scores.pvalue, candidates),
        selection=selection,
        info=info,
        trained=trained,
    )
