"""w2c's results in a Jupyter notebook: the HTML behind each ``_repr_html_`` (docs/cli.md).

Each view is a fragment built from the compile report's own pieces (w2c/report/html_page.py),
its CSS scoped to one ``<div>`` so it cannot restyle the notebook around it. Tables are also
offered as plain rows (lists of dicts) and, when pandas is installed, as DataFrames.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from w2c.errors import InputError
from w2c.report.html_page import (
    CSS,
    _badge,
    _e,
    _heads,
    _mlps,
    _num,
    _program,
    _summary,
    _table,
    _verification,
)

SCOPE = "w2c-view"


def scoped_css(scope: str = SCOPE) -> str:
    """The report page's CSS with every selector under ``.scope`` (``body``/``main`` become it)."""

    def prefix(match: re.Match[str]) -> str:
        selectors = []
        for selector in match.group(1).split(","):
            selector = selector.strip()
            if selector in ("body", "main"):
                selectors.append(f".{scope}")
            else:
                selectors.append(f".{scope} {selector}")
        return ", ".join(selectors) + " {"

    return re.sub(r"([^{}]+?)\s*\{", prefix, CSS)


def fragment(title: str, parts: Iterable[str]) -> str:
    """One notebook output: a heading (HTML) and the parts under it, styled like the report."""
    body = "".join(parts)
    return f'<div class="{SCOPE}"><style>{scoped_css()}</style><h3>{title}</h3>{body}</div>'


def rows_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Plain rows as an HTML table (numbers formatted, every value escaped)."""
    return _table(list(columns), ([_num(row.get(c)) for c in columns] for row in rows))


def dataframe(rows: Sequence[Mapping[str, Any]]) -> Any:
    """The rows as a pandas DataFrame (pandas is optional: InputError when it is missing)."""
    try:
        import pandas
    except ImportError:
        raise InputError("a DataFrame needs pandas (pip install pandas)") from None
    return pandas.DataFrame(list(rows))


# --------------------------------------------------------------------------------------------
# The views
# --------------------------------------------------------------------------------------------


def compiled_html(compiled: Any) -> str:
    """A compiled program: its verdict, facts, program, verification, heads and sub-MLPs.

    The attention maps and sub-MLP fits are drawn inline (a fraction of a second each); the
    training curve is not, as a compile in memory need not have its checkpoint's record.
    """
    from w2c.report.compile_doc import compile_document
    from w2c.report.plots import figures
    from w2c.report.stages import mlp_stories, stories

    document = compile_document(compiled)
    values = compiled.traces.values if compiled.traces is not None else {}
    found = mlp_stories(stories(compiled.report.stages)) if values else []
    drawers = figures(document["task"], {}, document["heads"], found, values)
    images = {name: draw() for name, draw in drawers.items() if name != "annealing.png"}
    parts = [
        _summary(document),
        _program(document),
        _verification(document),
        _heads(document, images),
        _mlps(document, images),
    ]
    return fragment(f"w2c program: {_e(document['task'])}{_badge(document)}", parts)


SEARCH_COLUMNS = ("index", "size", "seed", "settings", "outcome", "detail", "seconds")


def search_html(outcome: Any, name: str = "") -> str:
    """The model search: its summary line and every attempt, in plan order."""
    rows = outcome.rows()
    summary = outcome.summary(name or "search")
    table = rows_table(rows, SEARCH_COLUMNS)
    return fragment("w2c model search", [f"<p>{_e(summary)}</p>", table])


EDGE_COLUMNS = ("source", "target", "lag", "score", "confidence", "confident")


def graph_html(graph: Any) -> str:
    """A causal graph: its edges, highest score first."""
    rows = graph.edge_rows()
    facts = (
        f"{len(graph.variables)} variables ({', '.join(graph.variables)}), lags up to "
        f"{graph.max_lag}, score {graph.score}, {len(rows)} edge(s)"
    )
    return fragment("w2c causal graph", [f"<p>{_e(facts)}</p>", rows_table(rows, EDGE_COLUMNS)])


LABEL_COLUMNS = ("label", "name", "steps", "marginal", "initial", "self_loop", "stationary")


def analysis_html(analysis: Any) -> str:
    """A bonds analysis: per label its share of the steps, and the transition matrix."""
    from w2c.frontends.bonds.labels import LABELS

    structure = analysis.structure
    facts = (
        f"{len(analysis.traces)} trace(s), {int(sum(map(len, analysis.labels)))} steps, "
        f"entropy rate {structure.entropy_rate():.3f} bits per step"
    )
    header = ["from \\ to", *LABELS]
    matrix = [
        [_e(a), *(_num(float(p), 3) for p in structure.transitions[i])]
        for i, a in enumerate(LABELS)
    ]
    parts = [
        f"<p>{_e(facts)}</p>",
        rows_table(analysis.label_rows(), LABEL_COLUMNS),
        "<p>P(next label | label)</p>",
        _table(header, matrix),
    ]
    return fragment(f"w2c bonds: {_e(analysis.name)}", parts)
