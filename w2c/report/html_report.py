"""The figures of one compile, drawn and rendered into the HTML report page (`w2c compile
--report`). Apart from w2c/report/html_page.py, which renders plain data only, so that the
notebook views can share its pieces without loading a checkpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def page_for(compiled: Any, document: Mapping[str, Any], model: Any) -> str:
    """Draw the figures of a compile (its checkpoint's training, heads, sub-MLPs) and render."""
    from w2c import __version__
    from w2c.network.checkpoint import load
    from w2c.report.html_page import render
    from w2c.report.plots import figures
    from w2c.report.stages import mlp_stories, stories

    training = load(model).training
    values = compiled.traces.values if compiled.traces is not None else {}
    drawers = figures(
        document["task"],
        training,
        document["heads"],
        mlp_stories(stories(compiled.report.stages)) if values else [],
        values,
    )
    images = {name: draw() for name, draw in drawers.items()}
    return render(document, images, training, __version__)
