"""The model search on stderr: one rich progress bar per running attempt, a line per result.

Each bar shows the paper's training-dynamics quantities (docs/cli.md, "w2c train"): τ, the soft
and hard losses, Δ = hard − soft and the read pointers' agreement with the previous log point.
The display refreshes only when the search calls it (no refresh thread), so forking an
attempt's process never copies a thread that holds a lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]  # one search event (w2c.network.search)
EventHook = Callable[[Event], None]


class SearchDisplay:
    """``on_event`` for :func:`w2c.network.search.train`: bars while attempts run."""

    def __init__(self, name: str, plan_size: int, jobs: int, budget: float) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("step {task.completed}/{task.total}"),
            TextColumn("τ={task.fields[tau]} soft={task.fields[soft]} hard={task.fields[hard]}"),
            TextColumn("Δ={task.fields[delta]} agree={task.fields[agree]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            auto_refresh=False,
        )
        self.bars: dict[int, Any] = {}
        self.header = (
            f"{name}: model search, {plan_size} attempt(s) in plan order, {jobs} at a time, "
            f"budget {budget:g} s"
        )
        self.last_refresh = 0.0

    def start(self) -> None:
        self.progress.start()
        self.progress.console.print(self.header)

    def stop(self) -> None:
        self.progress.refresh()
        self.progress.stop()

    def on_event(self, event: Event) -> None:
        kind, index = event["event"], event.get("index")
        if kind == "start":
            attempt = event["attempt"]
            self.bars[index] = self.progress.add_task(
                f"#{index} {attempt.size.describe()}",
                total=attempt.settings.steps,
                **dict.fromkeys(("tau", "soft", "hard", "delta", "agree"), "-"),
            )
        elif kind == "log" and index in self.bars:
            self.progress.update(
                self.bars[index],
                completed=event["step"] + 1,
                tau=f"{event['tau']:.3g}",
                soft=f"{event['soft']:.2e}",
                hard=f"{event['hard']:.2e}",
                delta=f"{event['hard'] - event['soft']:+.1e}",
                agree=f"{event['agreement']:.2f}",
            )
        elif kind in ("done", "retry"):
            bar = self.bars.pop(index, None)
            if bar is not None:
                self.progress.remove_task(bar)
            again = ", running it once more" if kind == "retry" else ""
            self.progress.console.print(f"  {event['result'].line()}{again}")
        now = time.monotonic()
        if kind != "log" or now - self.last_refresh > 0.2:
            self.progress.refresh()
            self.last_refresh = now
