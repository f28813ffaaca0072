"""Synthesis plans (the first half of Mole-Syn): random walks on a corpus's transition graph.

Each plan is a behaviour sequence drawn from the estimated Markov chain: the first behaviour from
the corpus's first-step distribution (or a fixed one: the paper starts from E), each next one from
P(·|current), and the length resampled from the corpus's trace lengths. Each behaviour comes with
an instruction template, so any instruction-following LLM can realise the plan step by step into
a synthetic long chain of thought; that realisation is outside w2c.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence

import numpy as np

from w2c.frontends.bonds.labels import INDEX, LABELS, NAMES
from w2c.frontends.bonds.structure import Structure

#: One instruction per behaviour, paraphrasing the intent of the paper's four prompts.
INSTRUCTIONS = {
    "D": "Deepen the reasoning: derive the next consequence that follows directly from the "
    "previous step, with an explicit justification.",
    "R": "Reflect: go back to an earlier step, re-check its computation or assumption, and "
    "confirm it or correct it.",
    "E": "Explore: open a new line of attack (another method, a new case or a hypothesis to "
    "test) that the previous steps did not commit to.",
    "N": "Carry out an ordinary operation: restate what is known, set up notation, do routine "
    "bookkeeping or arithmetic, or state the answer.",
}
HEADER = (
    "Continue the solution of the problem below one step at a time. Write each step as one "
    "paragraph and follow the instruction given for it."
)


def walk(
    structure: Structure,
    lengths: Sequence[int] | Mapping[int, int],
    count: int,
    rng: np.random.Generator,
    start: str | None = None,
    length: int | None = None,
) -> list[list[str]]:
    """`count` behaviour sequences sampled from the chain (seeded by `rng`).

    `lengths` is the corpus's trace lengths, one per trace, or a histogram {length: traces}
    (a report's, never expanded into a list). Draws are those of ``rng.choice`` (one uniform
    integer per plan length, one uniform float per behaviour) made without its per-call
    overhead, so the same seed gives the same plans as before.
    """
    if start is not None and start not in INDEX:
        raise ValueError(f"start must be one of {', '.join(LABELS)}")
    pairs = lengths.items() if isinstance(lengths, Mapping) else ((n, 1) for n in lengths)
    values, cumulative, total = [], [], 0
    for n, c in pairs:
        if n > 0 and c > 0:
            total += int(c)
            values.append(int(n))
            cumulative.append(total)
    if not values:
        values, cumulative, total = [1], [1], 1
    rows = [_cdf(row) for row in structure.transitions]
    initial = _cdf(structure.initial)
    plans = []
    for _ in range(count):
        if length is not None:
            steps = length
        else:
            steps = values[bisect.bisect_right(cumulative, int(rng.integers(0, total)))]
        state = INDEX[start] if start is not None else bisect.bisect_right(initial, rng.random())
        sequence = [state]
        for _ in range(steps - 1):
            state = bisect.bisect_right(rows[state], rng.random())
            sequence.append(state)
        plans.append([LABELS[i] for i in sequence])
    return plans


def _cdf(p: np.ndarray) -> list[float]:
    """The cumulative distribution numpy's Generator.choice searches (normalised by its end)."""
    p = np.asarray(p, dtype=float)
    if p.shape != (len(LABELS),) or not np.isfinite(p).all() or (p < 0).any() or p.sum() <= 0:
        raise ValueError("behaviour probabilities must be finite, non-negative, not all zero")
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return cdf.tolist()


def render_plan(index: int, behaviours: Sequence[str]) -> dict:
    """A JSONL-ready plan: the sequence, per-step instructions and one ready-to-send prompt."""
    steps = [
        {"step": i + 1, "behaviour": b, "name": NAMES[b], "instruction": INSTRUCTIONS[b]}
        for i, b in enumerate(behaviours)
    ]
    lines = [HEADER, "", "Problem: {problem}", ""]
    lines += [f"Step {s['step']} ({s['behaviour']}): {s['instruction']}" for s in steps]
    return {
        "id": f"plan-{index + 1:05d}",
        "behaviours": "".join(behaviours),
        "steps": steps,
        "prompt": "\n".join(lines),
    }
