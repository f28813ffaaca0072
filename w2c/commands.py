"""Attach the compiler-side commands to the CLI app (imported by w2c.cli.run)."""

from __future__ import annotations

from w2c import compile_cli, inspect_cli, training_cli
from w2c.report import bench_cli

__all__ = ["bench_cli", "compile_cli", "inspect_cli", "training_cli"]
