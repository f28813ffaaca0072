"""Every output target is checked before work (docs/cli.md, "Output files").

Special files are never replaced (tested with FIFOs made in a temporary folder, never with the
machine's own /dev files), an input is never an output, two outputs never share a path.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from helpers import checkpoint_dict, pointer_model
from w2c.cli import run
from w2c.corpus import TASKS
from w2c.errors import InputError
from w2c.fileio import check_outputs, write_text
from w2c.network.checkpoint import save

TASK = TASKS["prev2"]


@pytest.fixture()
def model(tmp_path: Path) -> Path:
    return save(checkpoint_dict(pointer_model(TASK, [(0, 2)]), TASK), tmp_path / "prev2.pt")


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err and "Traceback" not in "\n".join(err)
    assert err[-1].startswith("w2c: error: "), err[-1]
    return err[-1]


def snapshot(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry's file type and (for regular files) content."""
    found = {}
    for entry in sorted(folder.iterdir()):
        mode = entry.lstat().st_mode
        found[entry.name] = (stat.S_IFMT(mode), entry.read_bytes() if entry.is_file() else None)
    return found


def test_fifo_output_is_refused_even_with_force(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "out.py"
    os.mkfifo(fifo)
    before = snapshot(tmp_path)
    assert run(["compile", str(model), "-o", str(fifo), "--force", "-q"]) == 2
    assert "not a regular file" in error_line(capsys)
    assert snapshot(tmp_path) == before
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_symlink_to_a_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "link.py"
    link.symlink_to(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        check_outputs([link], force=True)
    with pytest.raises(InputError, match="not a regular file"):
        write_text(link, "x", force=True)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_the_input_checkpoint_is_never_an_output(
    model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = model.read_bytes()
    assert run(["compile", str(model), "-o", str(model), "--force", "-q"]) == 2
    assert "is an input of this command" in error_line(capsys)
    assert model.read_bytes() == before


def test_program_and_report_at_one_path_are_refused(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "x.py"
    for extra in ([], ["--force"]):
        assert run(["compile", str(model), "-o", str(target), "--report", str(target), *extra]) == 2
        assert "named as two outputs" in error_line(capsys)
        assert not target.exists()


def test_existing_report_target_with_force_keeps_the_program_apart(
    model: Path, tmp_path: Path
) -> None:
    target, page = tmp_path / "x.py", tmp_path / "x.html"
    page.write_text("old")
    # 0 = VERIFIED: prev2's correctness and fidelity are proved
    assert run(["compile", str(model), "-o", str(target), "--report", str(page), "--force"]) == 0
    assert target.read_text().startswith('"""Program compiled by w2c')
    assert page.read_text().lstrip().lower().startswith("<!doctype html")


def test_task_file_is_never_an_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tasks = tmp_path / "tasks.py"
    tasks.write_text("from w2c.corpus import TASKS\ntask = TASKS['prev2']\n")
    before = tasks.read_bytes()
    assert run(["train", f"{tasks}:task", "-o", str(tasks), "--force", "-q"]) == 2
    assert "is an input of this command" in error_line(capsys)
    assert tasks.read_bytes() == before


def test_unwritable_folder_is_found_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder that cannot take a file (a read-only one, simulated by a file in its place)."""
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    assert run(["train", "prev2", "-o", str(blocked / "m.pt"), "-q"]) == 2
    assert "output folder does not exist" in error_line(capsys)


def test_probe_leaves_no_file_and_refuses_a_read_only_folder(tmp_path: Path) -> None:
    check_outputs([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert list(tmp_path.iterdir()) == []
    if os.geteuid() == 0:  # root writes anywhere: permission bits cannot simulate read-only
        pytest.skip("running as root: a read-only folder cannot be made with chmod")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InputError, match="cannot write into"):
            check_outputs([locked / "a.txt"])
    finally:
        locked.chmod(0o700)


def test_inspect_plot_refuses_a_fifo_among_its_pngs(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plots = tmp_path / "plots"
    plots.mkdir()
    os.mkfifo(plots / "annealing.png")
    assert run(["inspect", str(model), "--plot", str(plots), "--force"]) == 2
    assert "not a regular file" in error_line(capsys)
    assert [p.name for p in plots.iterdir()] == ["annealing.png"]


def test_version_and_memory_option(capsys: pytest.CaptureFixture[str]) -> None:
    from w2c import __version__

    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"w2c {__version__}"
    assert run(["--max-memory", "lots", "inspect", "x.pt"]) == 2
    assert "is not a memory size" in error_line(capsys)


def _terminal_sigint() -> None:
    """A terminal's Ctrl-C in the child: SIGINT at its default and not blocked, whatever this
    test worker inherited (a Ray driver in the same worker may ignore or block it)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_interrupt_exits_130_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    out = tmp_path / "m.pt"
    child = subprocess.Popen(
        [sys.executable, "-m", "w2c", "train", "sum_last2", "-o", str(out)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        cwd=tmp_path,
        preexec_fn=_terminal_sigint,
    )
    assert child.stderr is not None
    seen = b""
    while b"attempt" not in seen:  # training has started: the progress line is out
        chunk = child.stderr.read1(4096)
        assert chunk, f"w2c ended before training started: {seen!r}"
        seen += chunk
    child.send_signal(signal.SIGINT)
    rest = child.stderr.read()
    assert child.wait(timeout=120) == 130
    lines = (seen + rest).decode().strip().splitlines()
    assert lines[-1].strip() == "w2c: error: interrupted"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("target", ["", "."])
def test_a_folder_or_empty_name_as_program_is_refused(
    model: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    target: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    assert run(["compile", str(model), "-o", target, "-q"]) == 2
    assert "output path is a folder" in error_line(capsys)
    assert snapshot(tmp_path) == before
