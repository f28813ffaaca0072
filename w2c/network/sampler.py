"""The annealed selection function S(logits, tau) shared by operand reads and attention.

``soft``: softmax(logits / tau + g) with Gumbel noise g: as tau falls the logits dominate the
noise, so the relaxed selection sharpens *and* its samples become deterministic.
``hard``: one-hot argmax (the deterministic, hardened model the compiler reads).
``straight``: hard forward, soft gradient (straight-through), used in the polish phase.
Ties in argmax go to the lowest index (torch.argmax), which the lowering relies on.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

Mode = Literal["soft", "hard", "straight"]


def one_hot_argmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    index = logits.argmax(dim=dim, keepdim=True)
    return torch.zeros_like(logits).scatter_(dim, index, 1.0)


def select(
    logits: torch.Tensor,
    tau: float,
    mode: Mode,
    noise: bool = True,
    generator: torch.Generator | None = None,
    dim: int = -1,
) -> torch.Tensor:
    """Row-wise distributions over the last axis, relaxed or hard per ``mode``."""
    if mode == "hard":
        return one_hot_argmax(logits, dim)
    scaled = logits / tau
    if noise:
        uniform = torch.rand(logits.shape, generator=generator, dtype=logits.dtype)
        exponential = (-torch.log(uniform.clamp_min(1e-10))).clamp_min(1e-10)
        scaled = scaled - torch.log(exponential)
    soft = F.softmax(scaled, dim=dim)
    if mode == "soft":
        return soft
    hard = one_hot_argmax(soft.detach(), dim)
    return hard - soft.detach() + soft
