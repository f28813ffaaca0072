"""`w2c compile` and `w2c verify` (docs/cli.md)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer

from w2c.cli.app import existing_file
from w2c.errors import InputError

TaskOption = Annotated[
    str | None,
    typer.Option("--task", help="FILE.py:VAR (or a corpus name) whose oracle checks correctness."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout.")]


def register(app: typer.Typer) -> None:
    """Attach `compile` and `verify` to the main app."""
    app.command("compile")(compile_command)
    app.command("verify")(verify_command)


def _err(text: str) -> None:
    typer.echo(text, err=True)


def _timings_table(timings: tuple[tuple[str, float], ...], verify_seconds: float) -> str:
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    table = Table(title="pass timings")
    table.add_column("pass")
    table.add_column("seconds", justify="right")
    for name, seconds in timings:
        table.add_row(name, f"{seconds:.3f}")
    table.add_row("(total passes)", f"{sum(s for _, s in timings):.3f}")
    table.add_row("(verification)", f"{verify_seconds:.3f}")
    buffer = StringIO()
    Console(file=buffer, width=60).print(table)
    return buffer.getvalue().rstrip()


def compile_command(
    model: Annotated[Path, typer.Argument(help="A model.pt checkpoint.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Program path [default: ./<stem>.py]")
    ] = None,
    task: TaskOption = None,
    passes: Annotated[
        str | None, typer.Option("--passes", help="Comma-separated pipeline (emit is appended).")
    ] = None,
    print_ir_after: Annotated[
        list[str] | None,
        typer.Option("--print-ir-after", help="Print the IR after this pass, or 'all'."),
    ] = None,
    timings: Annotated[bool, typer.Option("--timings", help="Print per-pass timings.")] = False,
    sr_backend: Annotated[
        str, typer.Option("--sr-backend", help="library (default), operon or pysr.")
    ] = "library",
    numpy_twin: Annotated[
        bool,
        typer.Option(
            "--numpy-twin", help="Also emit program_numpy(xs): program() over a NumPy batch."
        ),
    ] = False,
    emit_tests: Annotated[
        bool, typer.Option("--emit-tests", help="Also write test_<stem>.py beside the program.")
    ] = False,
    report_html: Annotated[
        Path | None,
        typer.Option("--report", help="Also write a self-contained HTML compile report."),
    ] = None,
    as_json: JsonOption = False,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Compile MODEL to a verified Python program (exit 1 not verified, 3 partial, 4 checked)."""
    from w2c.compiler import compile_model
    from w2c.fileio import check_output, check_outputs, write_all
    from w2c.task_loader import load_task, task_file

    existing_file(model, "model")
    target = output if output is not None else Path(f"{model.stem}.py")
    check_output(target, force, [model])  # a folder or an empty name is refused first
    tests_path = target.with_name(f"test_{target.stem}.py")
    outputs = [target, *([tests_path] if emit_tests else [])]
    outputs += [report_html] if report_html is not None else []
    inputs = [model, *filter(None, [task_file(task)])]
    check_outputs(outputs, force, inputs)
    override = load_task(task) if task is not None else None
    progress = None if (quiet or as_json) else (lambda message: _err(f"w2c: {message}"))
    compiled = compile_model(
        model,
        task=override,
        passes=passes,
        sr_backend=sr_backend,
        print_after=print_ir_after or (),
        numpy_twin=numpy_twin,
        progress=progress,
    )
    report = compiled.report
    files: list[tuple[Path, bytes]] = [(target, compiled.source.encode())]
    if emit_tests:
        from w2c.report.test_file import render_test_file

        test_source = render_test_file(target, model, task or report.task)
        files.append((tests_path, test_source.encode()))
    document = None
    if as_json or report_html is not None:
        from w2c.report.compile_doc import compile_document

        paths = {"program": str(target)}
        paths.update({"tests": str(tests_path)} if emit_tests else {})
        paths.update({"report": str(report_html)} if report_html is not None else {})
        document = compile_document(compiled, **paths)
    if report_html is not None:
        from w2c.report.html_report import page_for

        files.append((report_html, page_for(compiled, document, model).encode()))
    write_all(files, force)  # all of them or none
    show = _err if as_json else typer.echo
    for name, text in report.snapshots:
        show(f"; ---- IR after {name} ----\n{text}")
    if timings:
        show(_timings_table(report.timings, report.verify_seconds))
    if as_json:
        typer.echo(json.dumps(document, indent=2, sort_keys=True))
    else:
        written = [str(target), *([str(tests_path)] if emit_tests else [])]
        written += [str(report_html)] if report_html is not None else []
        typer.echo(
            f"wrote {', '.join(written[:-1])}{' and ' if len(written) > 1 else ''}{written[-1]}"
        )
        if report.rule is None:
            typer.echo("no update rule: the pipeline did not run simplify")
        elif len(compiled.ir.outputs) > 1:  # the rule text names each output
            typer.echo(report.rule)
        else:
            typer.echo(f"y[t] = {report.rule}")
        if report.correctness_source.startswith("no oracle"):
            typer.echo(f"correctness not checked: {report.correctness_source}")
        for text in report.verification.lines() if report.verification else []:
            typer.echo(text)
        if report.fallbacks:
            typer.echo(f"partial: NumPy fallbacks for {', '.join(report.fallbacks)}")
    raise typer.Exit(report.exit_code)


def verify_command(
    program: Annotated[Path, typer.Argument(help="A program file defining program(xs).")],
    model: Annotated[Path, typer.Argument(help="The model.pt it was compiled from.")],
    task: TaskOption = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            help="Stop the program's calls after this many seconds in all (NOT VERIFIED, exit 1).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Verify PROGRAM against MODEL (fidelity) and the task's oracle (correctness).

    Exit 0 VERIFIED, 4 CHECKED (nothing failed, but a claim is only sampled), 1 NOT VERIFIED.

    A program_numpy in the file (--numpy-twin) is checked against program() as well.
    """
    from w2c.compiler import task_for
    from w2c.errors import EXIT_CHECK_FAILED, EXIT_CHECKED, EXIT_OK
    from w2c.network.checkpoint import load
    from w2c.task_loader import load_task
    from w2c.usercode import Budget
    from w2c.verify import load_functions, program_source, verify

    if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
        raise InputError("--timeout must be a positive number of seconds")
    existing_file(program, "program")
    checkpoint = load(model)
    resolved, source = task_for(checkpoint, load_task(task) if task is not None else None)
    function, twin = load_functions(program, Budget(timeout))
    progress = None if as_json else (lambda message: _err(f"w2c: {message}"))
    text = program_source(function)
    report = verify(
        function, resolved, model=checkpoint.model, source=text, twin=twin, progress=progress
    )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    else:
        if source.startswith("no oracle"):
            typer.echo(f"correctness not checked: {source}")
        for text in report.lines():
            typer.echo(text)
    sys.stdout.flush()
    codes = {"VERIFIED": EXIT_OK, "CHECKED": EXIT_CHECKED, "NOT VERIFIED": EXIT_CHECK_FAILED}
    raise typer.Exit(codes[report.verdict])
