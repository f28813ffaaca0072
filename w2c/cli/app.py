"""The ``w2c`` typer app and the ``corpus`` group: what every command module attaches to.

Kept apart from :mod:`w2c.cli` (which runs the app and registers the commands) so the command
modules can import it without importing the registration back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    name="w2c",
    help="Compile trained Discrete Transformers into verified Python programs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
corpus_app = typer.Typer(help="The shipped task corpus and its models.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")


def group(parent: typer.Typer, name: str) -> typer.Typer:
    """The command group ``name`` already added to ``parent`` (``corpus`` on the main app)."""
    for info in parent.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    raise LookupError(f"no command group {name!r}")


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
            help="Memory a file may make w2c allocate, e.g. 512M or 8G (default 2G, or "
            "$W2C_MAX_MEMORY).",
        ),
    ] = None,
) -> None:
    """Compile trained Discrete Transformers into verified Python programs."""
    from w2c.limits import set_memory_budget

    set_memory_budget(max_memory)


def existing_file(path: Path, what: str) -> Path:
    """A readable input file or an InputError naming it."""
    from w2c.errors import InputError

    if not path.exists():
        raise InputError(f"{what} not found: {path}")
    if not path.is_file():
        raise InputError(f"{what} is not a file: {path}")
    return path
