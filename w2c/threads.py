"""One place that pins torch's thread count for a block of work, then restores it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def torch_threads(n: int = 1) -> Iterator[None]:
    """Run with a fixed torch thread count, then restore it.

    One thread by default: w2c's models are tiny, so a second thread buys little, and on a busy
    2-core machine oversubscribed threads made training and verification several times slower.
    A fixed count also keeps float reductions, and so trained weights, identical from machine to
    machine whatever its core count.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
