"""Constants of the task/program contract, each defined here once (torch-free, no imports).

Training, the checkpoint format, lowering, the passes and the verifier all rely on them; a
value changed here changes every one of them together.
"""

from __future__ import annotations

# A feedback task's extra model input: y[t-1], appended after the task's channels
# (docs/tasks.md "Feedback tasks", docs/checkpoint.md `config.input_names`). A channel may not
# take this name (docs/tasks.md, reserved names).
FEEDBACK_INPUT = "y_prev"

# The exhaustive check's budget: the longest length L whose |domain|^L input sequences stay
# within it is enumerated completely (docs/verification.md "exhaustive"). Training holds a
# discrete model to the same bar before it is delivered.
EXHAUSTIVE_BUDGET = 10**6

# How closely a compiler rewrite must reproduce the hardened model's traces on a real-valued
# task: relMSE <= this for attention candidates and simplified rules, and the output-term
# pruning threshold relative to max|y| (docs/compiler.md, passes table and "Attention patterns").
REAL_TRACE_TOLERANCE = 1e-9
