"""Throughput of `w2c bonds analyze` on a synthetic corpus resampled from the example traces.

Each synthetic trace joins the reasoning paragraphs of 1-3 randomly chosen example traces and is
written in a randomly chosen one of four shapes (chat messages with <think>, ShareGPT
conversations with <think>, a reasoning field, a text field), so reading, think-extraction,
segmentation, labelling, statistics and the JSON report are all exercised.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from w2c.frontends.bonds.api import analyze
from w2c.frontends.bonds.reader import read_traces
from w2c.frontends.bonds.segment import segment

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "bonds"
SOURCES = ("r1_math.jsonl", "sharegpt_logic.jsonl", "qwq_code.jsonl", "text_mixed.jsonl")


def _paragraph_pool() -> list[list[str]]:
    traces = read_traces([EXAMPLES / name for name in SOURCES]).traces
    return [[t.source[a:b] for a, b in segment(t.source, t.start, t.end)] for t in traces]


def _wrap(index: int, body: str, shape: int) -> dict:
    if shape == 0:
        content = f"<think>\n{body}\n</think>\n\nThe answer is above."
        return {
            "id": f"s{index}",
            "messages": [
                {"role": "user", "content": "Q"},
                {"role": "assistant", "content": content},
            ],
        }
    if shape == 1:
        value = f"<think>\n{body}\n</think>\n\nDone."
        return {
            "id": f"s{index}",
            "conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": value}],
        }
    if shape == 2:
        return {"id": f"s{index}", "reasoning": body}
    return {"text": body}


def synthetic_corpus(path: Path, count: int, seed: int = 0) -> None:
    """Write `count` resampled traces to `path` as JSONL."""
    rng = np.random.default_rng(seed)
    pool = _paragraph_pool()
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            parts = rng.choice(len(pool), size=int(rng.integers(1, 4)), replace=False)
            body = "\n\n".join(p for i in parts for p in pool[i])
            handle.write(json.dumps(_wrap(index, body, int(rng.integers(0, 4)))) + "\n")


def throughput_table(count: int = 10_000) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "synthetic.jsonl"
        synthetic_corpus(path, count)
        size = path.stat().st_size
        start = time.perf_counter()
        analysis = analyze(path)
        analysed = time.perf_counter()
        text = json.dumps(analysis.report())
        done = time.perf_counter()
    steps = sum(map(len, analysis.labels))
    total = done - start
    return "\n".join(
        [
            f"throughput: {count} synthetic traces ({size / 1e6:.1f} MB, {steps} steps), "
            f"one process, labeller {analysis.settings['labeller']}",
            f"  read + segment + label + stats   {analysed - start:7.2f} s",
            f"  JSON report ({len(text) / 1e6:.1f} MB)             {done - analysed:7.2f} s",
            f"  total                            {total:7.2f} s   "
            f"({count / total:,.0f} traces/s; target: 10,000 in < 60 s)",
        ]
    )
