"""w2c in a notebook: the HTML views, their plain-data tables, and the example notebook runs."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import w2c
from w2c.corpus import TASKS, model_path
from w2c.frontends.bonds.api import analyze
from w2c.frontends.bonds.labels import LABELS
from w2c.frontends.causal.graph import CausalGraph, Selection
from w2c.network.outcome import CLEAN, INEXACT, STOPPED, AttemptResult, SearchOutcome
from w2c.network.plan import search_plan
from w2c.report.notebook import SCOPE, scoped_css

ROOT = Path(__file__).resolve().parents[1]


class Tables(HTMLParser):
    """Every table's rows as lists of cell texts; and whether a <script> element appeared."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.scripts = 0
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def test_the_css_is_scoped_to_the_view() -> None:
    rules = [r.split("{")[0] for r in scoped_css().split("}") if "{" in r]
    assert rules and all(
        sel.strip().startswith(f".{SCOPE}") for rule in rules for sel in rule.split(",")
    )


def test_the_search_view_lists_every_attempt_and_escapes_details() -> None:
    plan = search_plan(TASKS["prev2"])[:3]
    attempts = [
        AttemptResult(0, plan[0], INEXACT, "<script>alert(1)</script>", 1.5),
        AttemptResult(1, plan[1], CLEAN, "exact", 2.25),
        AttemptResult(2, plan[2], STOPPED, "an earlier attempt is clean", 0.5),
    ]
    outcome = SearchOutcome(None, attempts, 1, "accepted", 4.0, 2, 60.0, 27, 1, "prev2")
    parsed = Tables(outcome._repr_html_())
    assert parsed.scripts == 0
    [table] = parsed.tables
    header, *rows = table
    assert header[:5] == ["index", "size", "seed", "settings", "outcome"]
    assert [r[0] for r in rows] == ["0", "1", "2"]
    assert [r[4] for r in rows] == [INEXACT, CLEAN, STOPPED]
    assert rows[0][5] == "<script>alert(1)</script>"  # shown as text, not run
    assert [r["seed"] for r in outcome.rows()] == [a.seed for a in plan]
    assert list(outcome.to_dataframe()["outcome"]) == [INEXACT, CLEAN, STOPPED]


def test_the_causal_view_is_the_edge_table() -> None:
    scores = np.zeros((2, 2, 1))
    scores[0, 1, 0] = 0.75  # x1 -> x0 at lag 1
    confidence = np.zeros_like(scores)
    confidence[0, 1, 0] = 1.0
    graph = CausalGraph(("x0", "x1"), 1, "energy", scores, scores / 10, confidence, Selection())
    [table] = Tables(graph._repr_html_()).tables
    assert table[1:] == [["x1", "x0", "1", "0.75", "1", "True"]]
    assert graph.edge_rows() == graph.to_dict()["edges"]
    assert graph.to_dataframe()["source"].tolist() == ["x1"]


def test_the_bonds_view_has_one_row_per_label_and_the_transitions() -> None:
    analysis = analyze(ROOT / "examples" / "bonds" / "r1_math.jsonl")
    counts, matrix = Tables(analysis._repr_html_()).tables
    assert [r[0] for r in counts[1:]] == list(LABELS)
    steps = [int(r[2].replace(",", "")) for r in counts[1:]]
    assert sum(steps) == sum(map(len, analysis.labels))
    assert matrix[0] == ["from \\ to", *LABELS] and len(matrix) == 1 + len(LABELS)
    shares = [row["marginal"] for row in analysis.label_rows()]
    assert shares == pytest.approx([s / sum(steps) for s in steps])


def test_a_compiled_program_shows_its_verdict_program_and_head_plots() -> None:
    compiled = w2c.compile_model(model_path("and_last2"))
    html = compiled._repr_html_()
    assert "VERIFIED" in html and 'src="data:image/png;base64,' in html  # a head's map
    text = "".join(Tables(html).text)
    assert compiled.source.splitlines()[-1].strip() in text  # the program, highlighted
    assert "def program(" in text and compiled.to_dict()["source"] == compiled.source


# ---- the example notebook -------------------------------------------------------------------


def test_the_example_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(ROOT / "examples" / "notebook.ipynb", as_version=4)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the kernel inherits them
    monkeypatch.setenv("MKL_NUM_THREADS", "1")
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()  # raises CellExecutionError naming the cell that failed
    html = [
        output["data"]["text/html"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "text/html" in output.get("data", {})
    ]
    assert any("w2c program: and_last2" in h for h in html)
    assert any("w2c model search" in h for h in html)
