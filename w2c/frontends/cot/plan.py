"""Synthesis plans (the first half of Mole-Syn): random walks on a corpus's transition graph.

Each plan is a behaviour sequence drawn from the estimated Markov chain: the first behaviour from
the corpus's first-step distribution (or a fixed one: the paper starts from E), each next one from
P(·|current), and the length resampled from the corpus's trace lengths. Each behaviour comes with
an instruction template, so any instruction-following LLM can realise the plan step by step into
a synthetic long chain of thought; that realisation is outside w2c.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from w2c.frontends.cot.labels import INDEX, LABELS, NAMES
from w2c.frontends.cot.structure import Structure

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
    lengths: Sequence[int],
    count: int,
    rng: np.random.Generator,
    start: str | None = None,
    length: int | None = None,
) -> list[list[str]]:
    """`count` behaviour sequences sampled from the chain (seeded by `rng`)."""
    if start is not None and start not in INDEX:
        raise ValueError(f"start must be one of {', '.join(LABELS)}")
    p = structure.transitions
    initial = structure.initial
    pool = np.asarray([n for n in lengths if n > 0] or [1])
    plans = []
    for _ in range(count):
        steps = length if length is not None else int(rng.choice(pool))
        state = INDEX[start] if start is not None else int(rng.choice(len(LABELS), p=initial))
        sequence = [state]
        for _ in range(steps - 1):
            state = int(rng.choice(len(LABELS), p=p[state]))
            sequence.append(state)
        plans.append([LABELS[i] for i in sequence])
    return plans


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
