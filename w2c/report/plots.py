"""PNG figures of a model: annealing curves, attention maps, each sub-MLP next to its fit.

Drawn with matplotlib's object API on the Agg canvas (no pyplot state, no display), at fixed
sizes and DPI, with the "Software" metadata dropped, so the same inputs give the same bytes.
``figures`` returns {file name: PNG bytes}; callers write them (atomically) or inline them.
A checkpoint without annealing log points (an empty history: allowed by the format) still gets
an ``annealing.png``, saying so instead of drawing curves.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np
import sympy

from w2c.compiler.ir import SubMLP, sym
from w2c.report.stages import NodeStory, fit_expression

DPI = 100
GRID = 121  # points per axis of function grids
MAX_POINTS = 4000  # traced points drawn per scatter
DELTA_LINEAR = 1e-6  # the discrepancy axis is linear within +-1e-6, logarithmic beyond


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# annealing (the paper's Figure 5 for one model)
# --------------------------------------------------------------------------------------------


def annealing_png(training: Mapping[str, Any], title: str) -> bytes:
    """Soft/hard loss, discrepancy and agreement against the temperature (falling left to right).

    The polish phase runs at the final temperature, so its log point (a step past the annealing
    steps) is drawn as markers at the right edge instead of a vertical line.
    """
    full = {k: np.asarray(v, dtype=float) for k, v in training["history"].items()}
    drawable = full["tau"] > 0  # the temperature axis is logarithmic
    annealing = (full["step"] < float(training.get("steps", np.inf))) & drawable
    history = {k: v[annealing] for k, v in full.items()}
    polished = {k: v[~annealing & drawable] for k, v in full.items()}
    tau = history["tau"]
    if not tau.size:
        return _no_history_png(title, int(full["step"].size))
    figure = _figure(7.0, 7.0)
    losses, delta, agree = figure.subplots(3, 1, sharex=True, height_ratios=(3, 2, 2))
    floor = 1e-16
    losses.plot(tau, np.maximum(history["soft_loss"], floor), label="soft loss", color="C0")
    losses.plot(tau, np.maximum(history["hard_loss"], floor), label="hard loss", color="C3")
    if polished["tau"].size:
        for key, color, marker in (("soft_loss", "C0", "o"), ("hard_loss", "C3", "*")):
            losses.scatter(
                polished["tau"],
                np.maximum(polished[key], floor),
                color=color,
                marker=marker,
                s=60,
                zorder=3,
                label=f"{key.split('_')[0]} loss after polish",
            )
    losses.set_yscale("log")
    losses.set_ylabel("normalised MSE")
    losses.legend(loc="upper right", fontsize=8)
    delta.plot(tau, history["discrepancy"], color="C1", label="Δ = hard − soft")
    delta.axhline(0.0, color="0.6", linewidth=0.8)
    delta.set_yscale("symlog", linthresh=DELTA_LINEAR)
    delta.set_yticks(_symlog_ticks(history["discrepancy"]))
    delta.set_ylabel("discrepancy Δ")
    delta.legend(loc="upper right", fontsize=8)
    agree.plot(tau, history["agreement_final"], color="C2", label="A(e): with final pointers")
    agree.plot(
        tau, history["agreement_prev"], color="C4", linestyle="--", label="with previous log point"
    )
    agree.set_ylim(-0.05, 1.05)
    agree.set_ylabel("agreement")
    agree.legend(loc="lower left", fontsize=8)
    agree.set_xscale("log")
    right = float(tau.min()) / (1.2 if polished["tau"].size else 1.0)  # room for the markers
    agree.set_xlim(float(tau.max()), right)  # training runs left to right
    agree.set_xlabel("temperature τ (annealed, log scale)")
    for axis in (losses, delta, agree):
        axis.grid(True, alpha=0.3)
    figure.suptitle(title, fontsize=11)
    return _png(figure)


def _no_history_png(title: str, points: int) -> bytes:
    """The annealing figure of a checkpoint that recorded no annealing log point."""
    figure = _figure(7.0, 3.0)
    axis = figure.subplots()
    axis.set_axis_off()
    note = "no training history recorded" if not points else "no annealing log point to draw"
    axis.text(0.5, 0.5, note, ha="center", va="center", fontsize=12, transform=axis.transAxes)
    figure.suptitle(title, fontsize=11)
    return _png(figure)


def _symlog_ticks(values: np.ndarray) -> list[float]:
    """0 and every third decade from the linear threshold up, on the sides the data reaches."""
    top = max(float(np.max(np.abs(values))), DELTA_LINEAR)
    decades = [
        10.0**e for e in range(int(np.log10(DELTA_LINEAR)), int(np.ceil(np.log10(top))) + 1, 3)
    ]
    ticks = [0.0]
    if (values > 0).any():
        ticks += decades
    if (values < 0).any():
        ticks += [-d for d in decades]
    return sorted(ticks)


# --------------------------------------------------------------------------------------------
# attention maps
# --------------------------------------------------------------------------------------------


def attention_png(head: Mapping[str, Any], title: str) -> bytes:
    """Query position x key position (zero pads left of the line), shaded by attended fraction."""
    matrix = np.asarray(head["attention"]["map"], dtype=float)
    first = int(head["attention"]["first_key"])
    steps, width = matrix.shape
    figure = _figure(7.0, 3.9)
    axis = figure.subplots()
    image = axis.imshow(matrix, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    axis.axvline(-first - 0.5, color="C3", linewidth=1.2)
    axis.set_xticks(range(width), [str(first + j) for j in range(width)], fontsize=7)
    axis.set_yticks(range(steps), [str(t) for t in range(steps)], fontsize=7)
    axis.set_xlabel("key position j (left of the red line: zero pads before the sequence)")
    axis.set_ylabel("query position t")
    figure.colorbar(image, ax=axis, label="fraction of traced inputs")
    agreement = head.get("agreement")
    shown = f", agreement {agreement:.3f}" if agreement is not None else ""
    axis.set_title(f"{title}\n{head['name']} → {head['pattern']}{shown}", fontsize=10)
    return _png(figure)


# --------------------------------------------------------------------------------------------
# sub-MLPs against their symbolic fits
# --------------------------------------------------------------------------------------------


def _evaluate_fit(expr: sympy.Expr | None, operands: tuple[str, ...], grids: list[np.ndarray]):  # type: ignore[no-untyped-def]
    if expr is None:
        return None
    function = sympy.lambdify([sym(o) for o in operands], expr, modules="numpy")
    with np.errstate(all="ignore"):
        values = np.asarray(function(*grids), dtype=float)
    return np.broadcast_to(values, grids[0].shape)


def _mlp_on(op: SubMLP, operands: tuple[str, ...], grids: list[np.ndarray]) -> np.ndarray:
    by_name = dict(zip(operands, grids, strict=True))
    return op.apply(*[by_name[name] for name in op.inputs])


def _traced_points(operands: tuple[str, ...], values: Mapping[str, np.ndarray]) -> np.ndarray:
    points = np.unique(np.stack([values[o].ravel() for o in operands], axis=1), axis=0)
    if len(points) > MAX_POINTS:
        points = points[np.linspace(0, len(points) - 1, MAX_POINTS).astype(int)]
    return points


def _span(column: np.ndarray) -> tuple[float, float]:
    lo, hi = float(column.min()), float(column.max())
    margin = 0.05 * (hi - lo) if hi > lo else 0.5
    return lo - margin, hi + margin


def mlp_png(story: NodeStory, values: Mapping[str, np.ndarray], title: str) -> bytes:
    """One input: lines and residuals; two: heatmaps and residuals at the traced inputs."""
    op = story.lowered.op
    assert isinstance(op, SubMLP)
    operands = tuple(dict.fromkeys(op.inputs))
    expr = fit_expression(story)
    points = _traced_points(operands, values)
    columns = [points[:, i] for i in range(len(operands))]
    learned = _mlp_on(op, operands, columns)
    fitted = _evaluate_fit(expr, operands, columns)
    residual = learned - fitted if fitted is not None else np.full_like(learned, np.nan)
    status = "accepted" if story.node.resolved else "rejected: error above tolerance"
    fit_text = f"fit ({status}): {expr}" if expr is not None else "no symbolic fit"
    heading = "\n".join(
        [title, *textwrap.wrap(f"{story.lowered.name}({', '.join(op.inputs)}): {fit_text}", 110)]
    )
    if len(operands) == 1:
        figure = _mlp_line(op, operands, expr, points, residual)
    elif len(operands) == 2:
        figure = _mlp_surface(op, operands, expr, points, residual)
    else:
        figure = _mlp_scatter(op, operands, points, residual)
    figure.suptitle(heading, fontsize=9)
    return _png(figure)


def _mlp_line(op, operands, expr, points, residual):  # type: ignore[no-untyped-def]
    figure = _figure(7.0, 5.0)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    grid = np.linspace(*_span(points[:, 0]), GRID)
    top.plot(grid, _mlp_on(op, operands, [grid]), color="C0", label="sub-MLP (hardened weights)")
    fitted = _evaluate_fit(expr, operands, [grid])
    if fitted is not None:
        top.plot(grid, fitted, color="C3", linestyle="--", label="symbolic fit")
    top.plot(
        points[:, 0], _mlp_on(op, operands, [points[:, 0]]), "o", color="k", markersize=3,
        label="traced inputs",
    )  # fmt: skip
    top.set_ylabel("output")
    top.legend(fontsize=8)
    top.grid(True, alpha=0.3)
    bottom.axhline(0.0, color="0.6", linewidth=0.8)
    if fitted is not None:
        bottom.plot(points[:, 0], residual, "o", color="C3", markersize=3)
    bottom.set_ylabel("MLP − fit")
    bottom.set_xlabel(operands[0])
    bottom.grid(True, alpha=0.3)
    return figure


def _mlp_surface(op, operands, expr, points, residual):  # type: ignore[no-untyped-def]
    figure = _figure(12.0, 4.2)
    panels = figure.subplots(1, 3)
    (x_lo, x_hi), (y_lo, y_hi) = _span(points[:, 0]), _span(points[:, 1])
    gx, gy = np.meshgrid(np.linspace(x_lo, x_hi, GRID), np.linspace(y_lo, y_hi, GRID))
    learned = _mlp_on(op, operands, [gx, gy])
    fitted = _evaluate_fit(expr, operands, [gx, gy])
    finite = learned if fitted is None else np.concatenate([learned, fitted])
    low, high = float(np.nanmin(finite)), float(np.nanmax(finite))
    extent = (x_lo, x_hi, y_lo, y_hi)
    for axis, data, name in ((panels[0], learned, "sub-MLP"), (panels[1], fitted, "symbolic fit")):
        axis.set_title(name, fontsize=9)
        axis.set_xlabel(operands[0])
        axis.set_ylabel(operands[1])
        if data is None:
            axis.text(0.5, 0.5, "no fit", ha="center", va="center", transform=axis.transAxes)
            continue
        image = axis.imshow(
            data, origin="lower", extent=extent, aspect="auto", cmap="viridis", vmin=low,
            vmax=high,
        )  # fmt: skip
        axis.plot(points[:, 0], points[:, 1], ".", color="w", markersize=1)
    figure.colorbar(image, ax=panels[:2], label="output")
    bound = float(np.nanmax(np.abs(residual))) if np.isfinite(residual).any() else 0.0
    bound = bound if bound > 0 else 1e-12
    scatter = panels[2].scatter(
        points[:, 0], points[:, 1], c=residual, cmap="RdBu_r", vmin=-bound, vmax=bound, s=12
    )
    panels[2].set_xlim(x_lo, x_hi)
    panels[2].set_ylim(y_lo, y_hi)
    panels[2].set_title(f"MLP − fit at traced inputs (max |r| {bound:.2g})", fontsize=9)
    panels[2].set_xlabel(operands[0])
    figure.colorbar(scatter, ax=panels[2], label="residual")
    return figure


def _mlp_scatter(op, operands, points, residual):  # type: ignore[no-untyped-def]
    figure = _figure(7.0, 4.5)
    axis = figure.subplots()
    learned = _mlp_on(op, operands, [points[:, i] for i in range(len(operands))])
    axis.plot(learned, residual, "o", markersize=3, color="C3")
    axis.set_xlabel("sub-MLP output at traced inputs")
    axis.set_ylabel("MLP − fit")
    axis.grid(True, alpha=0.3)
    return figure


# --------------------------------------------------------------------------------------------
# all figures of a model
# --------------------------------------------------------------------------------------------


def figures(
    title: str,
    training: Mapping[str, Any],
    heads: list[dict[str, Any]],
    mlps: list[NodeStory],
    values: Mapping[str, np.ndarray],
) -> dict[str, Callable[[], bytes]]:
    """{file name: draw() -> PNG}: annealing.png, attention_<head>.png, mlp_<node>.png.

    Drawing is deferred so a caller can check every target file before any work.
    """
    found: dict[str, Callable[[], bytes]] = {
        "annealing.png": lambda: annealing_png(training, f"{title}: training dynamics")
    }
    for head in heads:
        found[f"attention_{head['name']}.png"] = partial(attention_png, head, title)
    for story in mlps:
        found[f"mlp_{story.lowered.name}.png"] = partial(mlp_png, story, values, title)
    return found
