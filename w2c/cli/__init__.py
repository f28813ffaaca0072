"""The ``w2c`` command line (docs/cli.md).

Every command raises :class:`w2c.errors.W2CError` for anything the user can fix; ``main`` turns
it into one line on stderr and the documented exit code, and turns anything unexpected into exit
70 with the traceback saved to a log file. Heavy imports (torch, sympy) happen inside commands.

The app lives in :mod:`w2c.cli.app`; each command group is one module here (``compile``,
``inspect``, ``train``, ``bench``, ``causal``, ``bonds``) with a ``register(app)`` that
``register_commands`` calls.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
import traceback

import typer

from w2c.cli.app import app, corpus_app, existing_file
from w2c.errors import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    UserCodeStopped,
    W2CError,
)

__all__ = ["app", "corpus_app", "existing_file", "main", "register_commands", "run"]


class Interrupted(BaseException):
    """Ctrl-C. Not a KeyboardInterrupt: typer would turn that into a silent exit 130."""


def _on_interrupt(signum: int, frame: object) -> None:
    raise Interrupted


_registered: list[bool] = []


def register_commands() -> None:
    """Attach every command to ``app`` (once per process): each module's ``register(app)``.

    The order is the order ``w2c --help`` lists them in.
    """
    if _registered:
        return
    from w2c.cli import bench, bonds, causal, compile, inspect, train

    for module in (compile, inspect, train, bench, causal, bonds):
        module.register(app)
    _registered.append(True)


# Typer >= 0.26 vendors click; find its exception base through a public class, whichever it is.
_CLICK_EXCEPTION: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


def _error(message: str) -> None:
    typer.echo(f"w2c: error: {message}", err=True)


def _internal_error(exc: BaseException) -> int:
    fd, log = tempfile.mkstemp(prefix="w2c-crash-", suffix=".log")
    with os.fdopen(fd, "w") as handle:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=handle)
    summary = " ".join(str(exc).split())[:200]
    _error(f"internal error: {type(exc).__name__}: {summary} (traceback in {log})")
    return EXIT_INTERNAL


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (no sys.exit: usable from tests)."""
    register_commands()
    from w2c.limits import set_memory_budget

    ours = threading.current_thread() is threading.main_thread() and (
        signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    previous = signal.signal(signal.SIGINT, _on_interrupt) if ours else None
    try:
        return _run(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        set_memory_budget(None)


def _run(argv: list[str] | None) -> int:
    try:
        result = app(args=argv, prog_name="w2c", standalone_mode=False)
    except W2CError as exc:
        _error(str(exc))
        return exc.exit_code
    except UserCodeStopped as exc:  # a task file or a program that exited or hung
        verdict = "NOT VERIFIED: " if exc.exit_code == EXIT_CHECK_FAILED else ""
        _error(f"{verdict}{exc.message}")
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code)
    except _CLICK_EXCEPTION as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # typer already printed the help
            return 0
        _error(" ".join(exc.format_message().split()))  # type: ignore[attr-defined]
        return EXIT_BAD_INPUT
    except typer.Abort:
        _error("aborted")
        return EXIT_INTERRUPTED
    except (KeyboardInterrupt, Interrupted):
        _error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # the one place that catches everything: exit 70 + log
        return _internal_error(exc)
    return result if isinstance(result, int) else 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:]))
