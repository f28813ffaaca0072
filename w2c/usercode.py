"""User code (a task file, a program under verification) runs in a child process.

A task file or a program file is the user's own Python: w2c imports it because the user asked.
It still must not decide w2c's verdict: a ``sys.exit(0)`` in an oracle would otherwise end
``w2c train`` with exit 0 and no model, and an import-time loop would hang ``w2c verify`` for good.
So the file is imported in a child process (a fresh interpreter running :func:`child_main`; not
multiprocessing's spawn, which would re-run the caller's own ``__main__`` script) and every call
into it is a request over a socket pair with a wall-clock limit that covers the import too:

- the child re-imports ``FILE.py`` and refuses to go on when the file's sha256 is not the one the
  parent recorded (a file changed between the two reads is not the file that was named);
- an exception raised by user code comes back as :class:`UserCodeRaised` (an ordinary Exception,
  so the callers' existing "the oracle raised" / "the program raised" handling applies);
- an exit (``sys.exit``, ``os._exit``, a crash), a call that outlives its limit, or a child that
  cannot start is :class:`UserCodeStopped`, a BaseException (hypothesis and the verifier's
  "any Exception is a finding" handlers must not swallow it): the CLI turns it into one line and
  the exit code of the role, 1 for a program under verification (NOT VERIFIED), 2 for a task
  file (bad input). docs/cli.md, "User code", documents the limits.

The proxies (:class:`RemoteOracle`, :class:`RemoteProgram`) pickle as the file reference alone,
so another process that receives one re-imports the file in a child of its own.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from w2c.errors import InputError, UserCodeStopped

IMPORT_SECONDS = 60.0  # importing the file and building its object
CALL_SECONDS = 60.0  # one call (an oracle batch, a chunk of program sequences)
STARTUP_SECONDS = 120.0  # a fresh interpreter importing w2c (not counted against the user)


class UserCodeRaised(Exception):
    """User code raised an exception; the message names its type and text."""


class UserCodeTimedOut(UserCodeStopped):
    """A call (or the import) outlived its wall-clock limit; the child was killed."""


@dataclass(frozen=True)
class UserFile:
    """A user's file as named on the command line, pinned by its content hash."""

    path: str
    sha256: str

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> UserFile:
        from w2c.tasks import file_sha256

        file = Path(path)
        if not file.is_file():
            raise InputError(f"not a regular file: {file}")
        try:
            return cls(str(file.resolve()), file_sha256(str(file)))
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror}") from None


# --------------------------------------------------------------------------------------------
# Loading user objects (runs in the child)
# --------------------------------------------------------------------------------------------


def _exec_file(path: str, prefix: str) -> types.ModuleType:
    """Import ``path`` as a fresh module (compiled in memory: no __pycache__ beside it)."""
    file = Path(path)
    try:
        source = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: cannot read the file ({type(exc).__name__})") from None
    digest = hashlib.sha256(str(file).encode()).hexdigest()[:16]
    module = types.ModuleType(f"{prefix}{digest}")
    module.__file__ = str(file)
    sys.modules[module.__name__] = module  # dataclasses and pickling look modules up here
    try:
        exec(compile(source, str(file), "exec"), module.__dict__)
    except SyntaxError as exc:
        raise InputError(f"{file}: syntax error on line {exc.lineno}: {exc.msg}") from None
    except InputError as exc:
        raise InputError(f"{file}: {exc}") from None
    except Exception as exc:  # the file failed to import: one line, no traceback
        raise InputError(f"{file}: importing failed: {type(exc).__name__}: {exc}") from None
    return module


def load_task_object(path: str, variable: str) -> Any:
    """The ``Task`` named ``variable`` in the task file at ``path``."""
    from w2c.tasks import Task

    module = _exec_file(path, "_w2c_user_task_")
    task = module.__dict__.get(variable)
    if task is None:
        raise InputError(f"{path} has no variable {variable!r}")
    if not isinstance(task, Task):
        raise InputError(f"{path}:{variable} is a {type(task).__name__}, not a w2c.Task")
    return task


def load_program_functions(path: str) -> tuple[Callable[..., Any], Callable[..., Any] | None]:
    """A program file's ``program`` and, when it defines one, ``program_numpy``."""
    module = _exec_file(path, "_w2c_program_")
    program = module.__dict__.get("program")
    if not callable(program):
        raise InputError(f"{path} defines no function 'program'")
    twin = module.__dict__.get("program_numpy")
    return program, twin if callable(twin) else None


def _safe(value: object) -> object:
    """A value to send back to the parent: itself when it pickles, else its short repr."""
    try:
        pickle.dumps(value)
    except Exception:  # an object of the user's that cannot cross the pipe
        return repr(value)[:200]
    return value


class _TaskServer:
    def __init__(self, path: str, variable: str) -> None:
        import dataclasses

        self.task = load_task_object(path, variable)
        self.description = (dataclasses.replace(self.task, oracle=None), self.task.has_oracle)

    def oracle(self, x: np.ndarray) -> object:
        return _safe(self.task.oracle(x))


class _ProgramServer:
    def __init__(self, path: str, variable: str) -> None:
        self.program, self.twin = load_program_functions(path)
        self.description = {"twin": self.twin is not None}

    def call(self, xs: Sequence[Any]) -> object:
        return _safe(self.program(xs))

    def run_batch(
        self, sequences: Sequence[Sequence[Any]], length: int, outputs: int = 1
    ) -> object:
        from w2c.verify.compare import run_program

        found, problems = run_program(self.program, sequences, length, outputs)
        return found, {i: (why, _safe(raw)) for i, (why, raw) in problems.items()}

    def twin_call(self, xs: np.ndarray) -> object:
        if self.twin is None:
            raise InputError("the program file defines no program_numpy")
        return _safe(self.twin(xs))


_SERVERS: dict[str, Callable[[str, str], Any]] = {"task": _TaskServer, "program": _ProgramServer}


def _memory_cap() -> None:
    """The child may use the process memory budget (docs/cli.md) on top of what it has now."""
    try:
        import resource

        from w2c.limits import memory_budget

        limit = memory_budget() + 512 * 1024**2
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        if hard == resource.RLIM_INFINITY or limit < hard:
            resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    except (ImportError, ValueError, OSError):  # no resource module, or the cap is refused
        pass


def child_main() -> None:
    """The child's entry point: ``python -c "...child_main()" FD`` with FD one socket end."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is the parent's to handle
    _memory_cap()
    conn = Connection(int(sys.argv[1]))
    import w2c.tasks  # noqa: F401 - w2c's own imports do not count against the user's time
    import w2c.verify.compare  # noqa: F401

    try:
        conn.send(("alive", None))
        role, path, sha256, variable = conn.recv()
    except (EOFError, OSError):
        return
    _serve(conn, role, path, sha256, variable)


def _serve(conn: Any, role: str, path: str, sha256: str, variable: str) -> None:
    """Import the file, then answer requests until the connection closes."""

    def reply(message: tuple[Any, ...]) -> bool:
        try:
            conn.send(message)
        except Exception as exc:  # the answer does not pickle or is too large
            conn.send(("raised", f"returned an object w2c cannot read ({type(exc).__name__})"))
        return True

    try:
        if UserFile.of(path).sha256 != sha256:
            raise InputError(f"{path} changed while w2c was reading it")
        server = _SERVERS[role](path, variable)
        reply(("ready", server.description))
    except SystemExit as exc:
        reply(("exited", f"called sys.exit({exc.code!r}) while being imported"))
        return
    except InputError as exc:
        reply(("refused", str(exc)))
        return
    except BaseException as exc:  # anything else while importing
        reply(("refused", f"{path}: importing failed: {type(exc).__name__}: {exc}"))
        return
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        method, args = request
        try:
            result = getattr(server, method)(*args)
        except SystemExit as exc:
            reply(("exited", f"called sys.exit({exc.code!r})"))
            return
        except InputError as exc:
            reply(("refused", str(exc)))
            continue
        except BaseException as exc:  # user code raised: report it, keep serving
            reply(("raised", f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"))
            continue
        reply(("ok", result))


# --------------------------------------------------------------------------------------------
# The parent's side
# --------------------------------------------------------------------------------------------

_LIVE: set[Sandbox] = set()


class Sandbox:
    """One child process serving one user file; started lazily, stopped at exit."""

    def __init__(self, role: str, file: UserFile, variable: str = "", what: str = "") -> None:
        self.role, self.file, self.variable = role, file, variable
        self.what = what or f"{Path(file.path).name}"
        self.description: Any = None
        self._process: Any = None
        self._conn: Any = None
        self._lock = threading.Lock()

    def start(self, seconds: float = IMPORT_SECONDS) -> Any:
        """Import the file in a child; its description (a Task without oracle, or flags)."""
        if self.description is not None:
            return self.description
        self.spawn()
        self._conn.send((self.role, self.file.path, self.file.sha256, self.variable))
        self.description = self._answer(seconds, "importing it")
        return self.description

    def spawn(self) -> None:
        """Start the child interpreter and wait until w2c is imported there."""
        if self._process is not None:
            return
        mine, theirs = socket.socketpair()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=sys.stderr.fileno() if _has_fileno(sys.stderr) else subprocess.DEVNULL,
                env=env,
            )
        except OSError as exc:
            mine.close()
            message = f"{self.what}: cannot start a process: {exc}"
            raise UserCodeStopped(message, self.role) from None
        finally:
            theirs.close()
        self._process, self._conn = process, Connection(mine.detach())
        _LIVE.add(self)
        self._answer(STARTUP_SECONDS, "starting")  # Python and w2c's imports: not the user's

    def call(self, method: str, *args: Any, seconds: float = CALL_SECONDS) -> Any:
        """Ask the child to run ``method(*args)``; the answer, or UserCodeRaised/Stopped."""
        with self._lock:
            self.start()
            try:
                self._conn.send((method, args))
            except (OSError, ValueError) as exc:
                self.stop()
                message = f"{self.what}: the process is gone ({exc})"
                raise UserCodeStopped(message, self.role) from None
            return self._answer(seconds, f"running {method}")

    def _answer(self, seconds: float, doing: str) -> Any:
        try:
            ready = self._conn.poll(seconds)
        except (OSError, EOFError):
            ready = True
        if not ready:
            self.stop()
            raise UserCodeTimedOut(
                f"{self.what} did not finish {doing} within {seconds:.3g} s", self.role
            )
        try:
            kind, payload = self._conn.recv()
        except (EOFError, OSError):
            code = self.stop()
            message = f"{self.what} ended the process ({_how(code)})"
            raise UserCodeStopped(message, self.role) from None
        if kind in ("ok", "ready", "alive"):
            return payload
        if kind == "raised":
            raise UserCodeRaised(payload)
        if kind == "refused":
            if self._process is not None and self._process.poll() is not None:
                self.stop()
            raise InputError(payload)
        self.stop()
        raise UserCodeStopped(f"{self.what} {payload}", self.role)

    def stop(self) -> int | None:
        """End the child (kill it when it does not go); its exit code, if it had one."""
        process, self._process = self._process, None
        self.description = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        _LIVE.discard(self)
        if process is None:
            return None
        try:
            return process.wait(0.5)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()


_CHILD = "from w2c.usercode import child_main; child_main()"


def _has_fileno(stream: Any) -> bool:
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):  # pytest's capture, a notebook's stream
        return False
    return True


def _how(code: int | None) -> str:
    if code is None:
        return "it did not stop"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


@atexit.register
def _stop_all() -> None:
    for sandbox in list(_LIVE):
        sandbox.stop()


# --------------------------------------------------------------------------------------------
# Proxies that stand in for the user's objects
# --------------------------------------------------------------------------------------------


class RemoteOracle:
    """A task file's oracle, called in the file's child process."""

    def __init__(self, file: UserFile, variable: str, sandbox: Sandbox | None = None) -> None:
        self.file, self.variable = file, variable
        self._sandbox = sandbox or Sandbox("task", file, variable, f"task file {file.path}")

    def __call__(self, x: np.ndarray) -> object:
        return self._sandbox.call("oracle", np.ascontiguousarray(x))

    def __reduce__(self) -> tuple[Any, ...]:
        return (RemoteOracle, (self.file, self.variable))


class RemoteProgram:
    """A program file's ``program``, run in the file's child process (batches of sequences)."""

    def __init__(self, sandbox: Sandbox, budget: Budget) -> None:
        self._sandbox, self._budget = sandbox, budget

    def __call__(self, xs: Sequence[Any]) -> object:
        return self._budget.call(self._sandbox, "call", list(xs))

    def run_batch(self, sequences: Sequence[Sequence[Any]], length: int, outputs: int = 1) -> Any:
        """verify.compare.run_program's answer, computed next to the program."""
        return self._budget.call(self._sandbox, "run_batch", list(sequences), length, outputs)

    @property
    def file(self) -> UserFile:
        """The program file as pinned when it was loaded (its path and sha256)."""
        return self._sandbox.file


class RemoteTwin:
    """A program file's ``program_numpy``, run in the file's child process."""

    def __init__(self, sandbox: Sandbox, budget: Budget) -> None:
        self._sandbox, self._budget = sandbox, budget

    def __call__(self, xs: np.ndarray) -> object:
        return self._budget.call(self._sandbox, "twin_call", np.ascontiguousarray(xs))


def remote_task(path: str | os.PathLike[str], variable: str) -> Any:
    """``FILE.py:VAR``'s Task, imported in a child; its oracle a :class:`RemoteOracle`."""
    import dataclasses

    file = UserFile.of(path)
    sandbox = Sandbox("task", file, variable, f"task file {path}")
    description, has_oracle = sandbox.start()
    oracle = RemoteOracle(file, variable, sandbox) if has_oracle else None
    return dataclasses.replace(description, oracle=oracle, source_sha256=file.sha256)


class Budget:
    """A total allowance for the time spent inside user code (``w2c verify --timeout``).

    Only the user's time counts: the import of their file and each call, not w2c's own start-up
    or the verifier's work between calls.
    """

    def __init__(self, total: float | None) -> None:
        self.total = total
        self.used = 0.0

    def seconds(self, limit: float = CALL_SECONDS) -> float:
        """What one call may take now: ``limit``, or less when the total runs out."""
        if self.total is None:
            return limit
        return max(0.001, min(limit, self.total - self.used))

    def call(self, sandbox: Sandbox, method: str, *args: Any) -> Any:
        """``sandbox.call`` within the budget; running out is named as ``--timeout``'s doing."""
        if method == "start":
            sandbox.spawn()
        began = time.monotonic()
        limit = self.seconds(IMPORT_SECONDS if method == "start" else CALL_SECONDS)
        try:
            if method == "start":
                return sandbox.start(limit)
            return sandbox.call(method, *args, seconds=limit)
        except UserCodeTimedOut as exc:
            if self.total is None or self.used + limit < self.total:
                raise  # the per-call limit, not the total, ran out
            raise UserCodeTimedOut(
                f"verification stopped after --timeout {self.total:g} s ({exc.message})",
                exc.role,
            ) from None
        finally:
            self.used += time.monotonic() - began


def remote_program(
    path: str | os.PathLike[str], budget: Budget | None = None
) -> tuple[RemoteProgram, RemoteTwin | None]:
    """A program file's ``program`` (and ``program_numpy``) behind a child process."""
    file = UserFile.of(path)
    sandbox = Sandbox("program", file, what=f"the program {path}")
    limits = budget or Budget(None)
    flags = limits.call(sandbox, "start")
    program = RemoteProgram(sandbox, limits)
    return program, RemoteTwin(sandbox, limits) if flags["twin"] else None
