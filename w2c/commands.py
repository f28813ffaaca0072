"""Compiler-side commands: train, corpus train, inspect, compile, verify."""

from __future__ import annotations

from w2c.cli import app

__all__ = ["app"]
