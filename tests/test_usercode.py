"""User code never decides w2c's verdict (docs/cli.md, "User code").

A task file or a program that exits, hangs or crashes runs in a child process: the program is
NOT VERIFIED (exit 1), the task file is bad input (exit 2), and w2c always prints one line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers import checkpoint_dict, pointer_model
from w2c.cli import run
from w2c.corpus import TASKS
from w2c.errors import UserCodeStopped
from w2c.network.checkpoint import save
from w2c.task_loader import load_task
from w2c.usercode import Budget, UserCodeRaised, remote_program

TASK = TASKS["prev2"]
GOOD = "def program(xs):\n    return [xs[t - 2] if t >= 2 else 0 for t in range(len(xs))]\n"
TASK_FILE = """
import sys
import numpy as np
from w2c import IntRange, Task, shift

def prev2(x):
    {body}
    return shift(x[..., 0], 2)

task = Task("prev2", (IntRange(0, 100),), prev2, length=10)
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("model")
    return save(checkpoint_dict(pointer_model(TASK, [(0, 2)]), TASK), folder / "prev2.pt")


def last_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "nothing on stderr"
    assert "Traceback" not in "\n".join(err)
    return err[-1]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "body",
    [
        "if len(xs) == 3:\n        raise SystemExit(0)",
        "if len(xs) == 3:\n        import os; os._exit(0)",
        "if len(xs) == 3:\n        import sys; sys.exit(5)",
    ],
)
def test_program_that_exits_is_not_verified(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str
) -> None:
    source = GOOD.replace("def program(xs):\n", f"def program(xs):\n    {body}\n")
    program = write(tmp_path / "exits.py", source)
    assert run(["verify", str(program), str(model)]) == 1
    assert last_error(capsys).startswith("w2c: error: NOT VERIFIED: the program")


def test_program_that_exits_while_imported_is_not_verified(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = write(tmp_path / "exits.py", "import sys\nsys.exit(0)\n" + GOOD)
    assert run(["verify", str(program), str(model)]) == 1
    line = last_error(capsys)
    assert line.startswith("w2c: error: NOT VERIFIED:") and "sys.exit(0)" in line


def test_import_time_loop_is_stopped_by_timeout(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = write(tmp_path / "loops.py", "while True:\n    pass\n" + GOOD)
    assert run(["verify", str(program), str(model), "--timeout", "2"]) == 1
    line = last_error(capsys)
    assert line.startswith("w2c: error: NOT VERIFIED: verification stopped after --timeout 2 s")
    assert "importing" in line


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_timeout_must_be_positive_and_finite(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    program = write(tmp_path / "good.py", GOOD)
    assert run(["verify", str(program), str(model), "--timeout", value]) == 2
    assert "--timeout must be a positive number" in last_error(capsys)


def test_a_good_program_still_verifies_through_the_child(model: Path, tmp_path: Path) -> None:
    """Nothing fails; correctness and fidelity are proved: VERIFIED, exit 0."""
    program = write(tmp_path / "good.py", GOOD)
    assert run(["verify", str(program), str(model)]) == 0


def test_prints_of_the_program_do_not_reach_stdout(
    model: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    program = write(tmp_path / "chatty.py", "print('HELLO FROM USER')\n" + GOOD)
    assert run(["verify", str(program), str(model), "--json"]) == 4
    out, _ = capfd.readouterr()
    assert "HELLO FROM USER" not in out
    assert out.lstrip().startswith("{")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("sys.exit(0)", "sys.exit(0)"),
        ("raise SystemExit(5)", "sys.exit(5)"),
        ("import os; os._exit(3)", "exit code 3"),
    ],
)
def test_task_file_that_exits_is_bad_input(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, fragment: str
) -> None:
    tasks = write(tmp_path / "tasks.py", TASK_FILE.format(body=body))
    out = tmp_path / "p.py"
    code = run(["compile", str(model), "-o", str(out), "--task", f"{tasks}:task", "-q"])
    assert code == 2
    line = last_error(capsys)
    assert line.startswith("w2c: error: task file") and fragment in line
    assert not out.exists()


def test_train_with_an_exiting_task_file_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = write(tmp_path / "tasks.py", TASK_FILE.format(body="sys.exit(0)"))
    out = tmp_path / "m.pt"
    assert run(["train", f"{tasks}:task", "-o", str(out), "--steps", "5", "-q"]) == 2
    assert "sys.exit(0)" in last_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tasks.py"]


def test_oracle_exception_is_an_ordinary_error(tmp_path: Path) -> None:
    tasks = write(tmp_path / "tasks.py", TASK_FILE.format(body="raise ValueError('nope')"))
    task = load_task(f"{tasks}:task")
    with pytest.raises(Exception, match="oracle raised UserCodeRaised: ValueError: nope"):
        task.run_oracle(np.zeros((2, 10, 1)))


def test_the_oracle_runs_in_the_child_and_agrees_with_the_file(tmp_path: Path) -> None:
    tasks = write(tmp_path / "tasks.py", TASK_FILE.format(body="pass"))
    task = load_task(f"{tasks}:task")
    x = np.random.default_rng(0).integers(0, 100, size=(7, 10, 1)).astype(float)
    assert np.array_equal(task.run_oracle(x), np.pad(x[:, :-2, 0], ((0, 0), (2, 0))))


def test_a_file_changed_after_it_was_named_is_refused(tmp_path: Path) -> None:
    program = write(tmp_path / "p.py", GOOD)
    from w2c.usercode import Sandbox, UserFile

    pinned = UserFile.of(program)
    program.write_text(GOOD + "# changed\n")
    with pytest.raises(Exception, match="changed while w2c was reading it"):
        Sandbox("program", pinned).start()


def test_budget_counts_only_time_inside_user_code(tmp_path: Path) -> None:
    program = write(
        tmp_path / "slow.py",
        "import time\ndef program(xs):\n    time.sleep(0.3)\n    return list(xs)\n",
    )
    budget = Budget(1.0)
    function, twin = remote_program(program, budget)
    assert twin is None
    assert function([1, 2]) == [1, 2]
    assert 0.25 < budget.used < 1.0
    with pytest.raises(UserCodeStopped, match="--timeout 1 s"):
        for _ in range(10):
            function([1])


def test_program_exception_comes_back_as_raised(tmp_path: Path) -> None:
    program = write(tmp_path / "p.py", "def program(xs):\n    raise KeyError('k')\n")
    function, _ = remote_program(program)
    with pytest.raises(UserCodeRaised, match="KeyError"):
        function([1])
    outputs, problems = function.run_batch([[1], [2]], 1)
    assert np.isnan(outputs).all() and set(problems) == {0, 1}
