"""The ``w2c`` command line (docs/cli.md).

Every command raises :class:`w2c.errors.W2CError` for anything the user can fix; ``main`` turns
it into one line on stderr and the documented exit code, and turns anything unexpected into exit
70 with the traceback saved to a log file. Heavy imports (torch, sympy) happen inside commands.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Annotated

import typer

from w2c.errors import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    UserCodeStopped,
    W2CError,
)

app = typer.Typer(
    name="w2c",
    help="Compile trained Discrete Transformers into verified Python programs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
corpus_app = typer.Typer(help="The shipped task corpus and its models.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")


def _show_version(value: bool) -> None:
    if value:
        from w2c import __version__

        typer.echo(f"w2c {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_show_version, help="Print the version and exit."
        ),
    ] = False,
    max_memory: Annotated[
        str | None,
        typer.Option(
            "--max-memory",
            metavar="SIZE",
            help="Memory a file may make w2c allocate (e.g. 512M, 8G) [default: 2G or "
            "$W2C_MAX_MEMORY].",
        ),
    ] = None,
) -> None:
    """Compile trained Discrete Transformers into verified Python programs."""
    from w2c.limits import set_memory_budget

    set_memory_budget(max_memory)


class Interrupted(BaseException):
    """Ctrl-C. Not a KeyboardInterrupt: typer would turn that into a silent exit 130."""


def _on_interrupt(signum: int, frame: object) -> None:
    raise Interrupted


def _register_frontends() -> None:
    from w2c.frontends.bonds.cli import register as register_cot
    from w2c.frontends.causal.cli import register as register_causal

    register_causal(app)
    register_cot(app)


def _commands() -> None:
    """Import the command modules so their decorators attach to ``app``."""
    from w2c import commands  # noqa: F401


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
    _commands()
    _register_frontends()
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


def existing_file(path: Path, what: str) -> Path:
    """A readable input file or an InputError naming it."""
    from w2c.errors import InputError

    if not path.exists():
        raise InputError(f"{what} not found: {path}")
    if not path.is_file():
        raise InputError(f"{what} is not a file: {path}")
    return path
