"""The PNG heat-map of a graph: targets x (source, lag) blocks, as in the paper's figures.

Binarised edges are boxed, solid when confident and dashed otherwise, so the picture carries the
same two facts as the JSON.
"""

from __future__ import annotations

import io

from w2c.frontends.causal.graph import CausalGraph


def heatmap_png(graph: CausalGraph) -> bytes:
    """Render the heat-map and return the PNG bytes (written atomically by the caller)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    p, lags = len(graph.variables), graph.max_lag
    matrix = graph.scores.reshape(p, p * lags)  # column j*L + (lag-1)
    width = min(24.0, 2.5 + 0.22 * p * lags)
    height = min(16.0, 1.8 + 0.35 * p)
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    image = ax.imshow(matrix, aspect="auto", cmap="viridis", interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01, label=f"{graph.score} score")
    for j in range(1, p):
        ax.axvline(j * lags - 0.5, color="white", linewidth=0.8)
    ax.set_xticks([j * lags + (lags - 1) / 2 for j in range(p)])
    ax.set_xticklabels(graph.variables, rotation=90 if p > 12 else 0)
    ax.set_yticks(range(p))
    ax.set_yticklabels(graph.variables)
    ax.set_xlabel(f"source (lags 1..{lags} left to right within each block)")
    ax.set_ylabel("target")
    for edge in graph.edges:
        row = graph.variables.index(edge.target)
        col = graph.variables.index(edge.source) * lags + edge.lag - 1
        ax.add_patch(
            Rectangle(
                (col - 0.5, row - 0.5),
                1,
                1,
                fill=False,
                edgecolor="red",
                linewidth=1.5,
                linestyle="-" if edge.confident else "--",
            )
        )
    ax.set_title(
        f"{graph.score} scores; boxes: edges ({graph.selection.rule}), dashed: not confident",
        fontsize=9,
    )
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
