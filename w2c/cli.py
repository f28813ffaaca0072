"""The ``w2c`` command line (docs/cli.md).

Every command raises :class:`w2c.errors.W2CError` for anything the user can fix; ``main`` turns
it into one line on stderr and the documented exit code, and turns anything unexpected into exit
70 with the traceback saved to a log file. Heavy imports (torch, sympy) happen inside commands.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from pathlib import Path

import typer

from w2c.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, W2CError

app = typer.Typer(
    name="w2c",
    help="Compile trained Discrete Transformers into verified Python programs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
corpus_app = typer.Typer(help="The shipped task corpus and its models.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")


def _register_frontends() -> None:
    from w2c.frontends.causal.cli import register as register_causal
    from w2c.frontends.cot.cli import register as register_cot

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
    try:
        result = app(args=argv, prog_name="w2c", standalone_mode=False)
    except W2CError as exc:
        _error(str(exc))
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
        return 130
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
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
