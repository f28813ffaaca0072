"""Pictures and pages: the transfer graph PNG, the comparison PNG and the HTML trace view.

Figures are drawn on a bare matplotlib ``Figure`` with the Agg canvas (no pyplot, no global
backend switch), so rendering works headless and leaves the caller's matplotlib state alone.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from w2c.frontends.bonds.labels import LABELS, NAMES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

COLOURS = {"N": "#9e9e9e", "D": "#1f77b4", "R": "#2ca02c", "E": "#ff7f0e"}
_POSITIONS = {"N": (0.0, 1.0), "D": (1.0, 1.0), "R": (1.0, 0.0), "E": (0.0, 0.0)}
_LOOP_OFFSET = {"N": (-0.28, 0.2), "D": (0.28, 0.2), "R": (0.28, -0.2), "E": (-0.28, -0.2)}


def _figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def draw_graph(
    ax: Axes, transitions: np.ndarray, marginals: np.ndarray, title: str, observed: np.ndarray
) -> None:
    """Four behaviour nodes (area ∝ π) and edges b→b' (width ∝ P(b'|b), labelled if ≥ 0.05).

    Rows of P with no observed transition (`observed[i]` false) are uniform by convention and
    are not drawn: a picture should only show what the corpus contains.
    """
    import networkx as nx  # noqa: PLC0415

    graph = nx.DiGraph()
    graph.add_nodes_from(LABELS)
    for i, a in enumerate(LABELS):
        for j, b in enumerate(LABELS):
            if observed[i] and transitions[i, j] > 0.005:
                graph.add_edge(a, b, p=float(transitions[i, j]))
    sizes = [600 + 4000 * float(marginals[LABELS.index(n)]) for n in graph.nodes]
    colours = [COLOURS[n] for n in graph.nodes]
    nx.draw_networkx_nodes(graph, _POSITIONS, ax=ax, node_size=sizes, node_color=colours)
    nx.draw_networkx_labels(graph, _POSITIONS, ax=ax, font_color="white", font_weight="bold")
    between = [(a, b) for a, b in graph.edges if a != b]
    nx.draw_networkx_edges(
        graph,
        _POSITIONS,
        edgelist=between,
        ax=ax,
        node_size=sizes,
        width=[0.5 + 9 * graph.edges[e]["p"] for e in between],
        edge_color=[COLOURS[a] for a, _ in between],
        alpha=0.75,
        arrowsize=14,
        connectionstyle="arc3,rad=0.15",
    )
    nx.draw_networkx_edge_labels(
        graph,
        _POSITIONS,
        ax=ax,
        connectionstyle="arc3,rad=0.15",
        font_size=7,
        edge_labels={
            e: f"{graph.edges[e]['p']:.2f}" for e in between if graph.edges[e]["p"] >= 0.05
        },
    )
    for label in LABELS:  # self-loops as rings with their probability
        i = LABELS.index(label)
        p = float(transitions[i, i])
        if p < 0.005 or not observed[i]:
            continue
        x, y = _POSITIONS[label]
        dx, dy = _LOOP_OFFSET[label]
        ax.add_patch(_ring((x + dx * 0.55, y + dy * 0.55), 0.5 + 9 * p, COLOURS[label]))
        ax.annotate(
            f"{p:.2f}", (x + dx * 1.05, y + dy * 1.05), ha="center", va="center", fontsize=7
        )
    ax.set_xlim(-0.55, 1.55)
    ax.set_ylim(-0.5, 1.5)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=10)
    ax.axis("off")


def _ring(centre: tuple[float, float], width: float, colour: str) -> Circle:
    from matplotlib.patches import Circle  # noqa: PLC0415

    return Circle(centre, 0.1, fill=False, linewidth=width, edgecolor=colour, alpha=0.75)


def graph_png(
    transitions: np.ndarray, marginals: np.ndarray, title: str, transition_counts: np.ndarray
) -> bytes:
    """The behaviour transfer graph of one corpus as PNG bytes."""
    figure = _figure(5.2, 5.0)
    observed = np.asarray(transition_counts).sum(axis=1) > 0
    draw_graph(figure.add_subplot(1, 1, 1), transitions, marginals, title, observed)
    legend = "   ".join(f"{b}: {NAMES[b]} (π={marginals[i]:.2f})" for i, b in enumerate(LABELS))
    figure.text(0.5, 0.02, legend, ha="center", fontsize=7)
    return _png(figure)


def comparison_png(a: dict, b: dict, comparison: dict, names: tuple[str, str]) -> bytes:
    """Both transfer graphs, the marginals side by side and the stability curves."""
    from matplotlib.ticker import NullFormatter  # noqa: PLC0415

    figure = _figure(11, 9)
    for slot, (structure, name) in enumerate(zip((a, b), names, strict=True)):
        draw_graph(
            figure.add_subplot(2, 2, slot + 1),
            _matrix(structure["transitions"]),
            _vector(structure["marginals"]),
            name,
            _matrix(structure["transition_counts"]).sum(axis=1) > 0,
        )
    bars = figure.add_subplot(2, 2, 3)
    x = np.arange(len(LABELS))
    bars.bar(x - 0.2, _vector(a["marginals"]), 0.4, label=names[0], color="#4c72b0")
    bars.bar(x + 0.2, _vector(b["marginals"]), 0.4, label=names[1], color="#dd8452")
    bars.set_xticks(x, [f"{b}\n{NAMES[b]}" for b in LABELS], fontsize=8)
    bars.set_ylabel("π (share of steps)")
    metrics = comparison["metrics"]
    r = metrics["pearson"]
    bars.set_title(
        f"r={_fmt(r)}  r_lift={_fmt(metrics['pearson_lift'])}  "
        f"JS(π)={_fmt(metrics['js_marginals'])}  JS(P)={_fmt(metrics['js_transitions'])}",
        fontsize=9,
    )
    bars.legend(fontsize=8)
    curve = figure.add_subplot(2, 2, 4)
    for key, label in (("a", names[0]), ("b", names[1]), ("a_vs_b", "between")):
        points = [p for p in comparison["stability"][key] if p["mean_r"] is not None]
        if points:
            xs = [p["traces"] for p in points]
            mean = np.array([p["mean_r"] for p in points])
            sd = np.array([p["sd_r"] for p in points])
            curve.plot(xs, mean, marker="o", label=label)
            curve.fill_between(xs, mean - sd, mean + sd, alpha=0.15)
    curve.set_xscale("log")
    sizes = sorted(
        {p["traces"] for key in comparison["stability"] for p in comparison["stability"][key]}
    )
    curve.set_xticks(sizes, [str(x) for x in sizes])
    curve.xaxis.set_minor_formatter(NullFormatter())
    curve.set_xlabel("traces per sample")
    curve.set_ylabel("Pearson r between disjoint samples")
    curve.axhline(0.9, color="grey", linestyle=":", linewidth=1)
    curve.set_title("stability vs sample size (mean ± sd)", fontsize=9)
    if curve.get_legend_handles_labels()[0]:  # no curve at all when r is undefined everywhere
        curve.legend(fontsize=8)
    return _png(figure)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _matrix(rows: dict) -> np.ndarray:
    return np.array([[rows[a][b] for b in LABELS] for a in LABELS])


def _vector(values: dict) -> np.ndarray:
    return np.array([values[b] for b in LABELS])


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 60em; }
pre { white-space: pre-wrap; font-size: 0.95em; line-height: 1.45; }
.gap { color: #888; }
.part { font-size: 0.8em; font-weight: bold; color: #555; }
.step { border-radius: 3px; padding: 1px 0; }
.tag { font-size: 0.7em; font-weight: bold; vertical-align: super; margin-right: 0.2em; }
.legend span { display: inline-block; padding: 0.1em 0.6em; margin-right: 0.5em; }
"""


def _tint(colour: str) -> str:
    return colour + "33"  # ~20 % opacity for the background of a step


def trace_html(
    trace_id: str,
    origin: str,
    sections: Sequence[tuple[str, str, Sequence[tuple[int, int]], Sequence[str]]],
) -> str:
    """A standalone page showing a trace's source strings with each step coloured by label.

    `sections` holds one (field, source, steps, labels) per part of the trace (the reasoning,
    the answer, one per chat turn): each source string is shown whole, steps numbered across.
    """
    parts = []
    number = 0
    for field, source, steps, labels in sections:
        if len(sections) > 1:
            parts.append(f'<span class="part">{html.escape(field)}</span>\n')
        cursor = 0
        for (start, end), label in zip(steps, labels, strict=True):
            number += 1
            if start > cursor:
                parts.append(f'<span class="gap">{html.escape(source[cursor:start])}</span>')
            colour = COLOURS[label]
            parts.append(
                f'<span class="step" style="background:{_tint(colour)};border-left:3px solid '
                f'{colour}" title="step {number}: {label} {NAMES[label]} [{start}:{end}]">'
                f'<span class="tag" style="color:{colour}">{label}{number}</span>'
                f"{html.escape(source[start:end])}</span>"
            )
            cursor = end
        if cursor < len(source):
            parts.append(f'<span class="gap">{html.escape(source[cursor:])}</span>')
        if len(sections) > 1:
            parts.append("\n\n")
    field = ", ".join(section[0] for section in sections)
    sequence = "".join(label for section in sections for label in section[3])
    legend = "".join(
        f'<span style="background:{_tint(COLOURS[b])};border-left:3px solid {COLOURS[b]}">'
        f"{b} {NAMES[b]}</span>"
        for b in LABELS
    )
    title = html.escape(f"w2c bonds: {trace_id}")
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{_STYLE}</style></head><body>\n<h1>{html.escape(trace_id)}</h1>\n"
        f"<p>{html.escape(origin)} · field <code>{html.escape(field)}</code> · "
        f"{number} steps · sequence <code>{sequence}</code></p>\n"
        f"<p class='legend'>{legend}</p>\n<pre>{''.join(parts)}</pre>\n</body></html>\n"
    )
