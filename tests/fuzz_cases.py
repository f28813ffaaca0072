"""Reliability fuzzing of the ``w2c`` command line: generators, a fork server and the contract.

Used by ``tests/test_fuzz.py`` (a small budget) and ``benchmarks/fuzz/run.py`` (a big one); run
directly with ``python tests/fuzz_cases.py --help``.

Every case is a ``w2c`` argv plus the files it needs, built in a fresh case folder from a spec
that hypothesis draws (derandomized, seeded, no database, no deadline), so case N of a seed is
always the same case. Four generators:

- ``checkpoint``: a shipped corpus checkpoint with 1-3 mutations (keys deleted or added at any
  level, values of another type, tensors resized, retyped, expanded with stride 0, sparse,
  non-contiguous, config numbers within and beyond the limits, extreme domains, odd names,
  other format versions) or raw bytes (truncated, random, empty, a zip that is no torch file);
  each one runs through ``inspect``, ``compile -o prog.py`` and ``verify`` (against a program
  compiled once from the unmutated model);
- ``causal``: CSV and .npy time series of odd shapes and contents, plus mutated saved models,
  through ``w2c causal`` with tiny training options and random option values;
- ``bonds``: JSONL traces of random structure through ``bonds analyze`` / ``compare`` and
  reports mutated from a valid one through ``bonds plan``;
- ``options``: random flag values for every command, outputs at FIFOs, folders, missing
  folders, the input itself, unknown flags, the global ``--max-memory`` and ``--version``.

The contract checked for every run (``check``):

- the exit code is documented (0, 1, 2, 3, 4, 130): never 70 (internal error), never a signal,
  and no ``Traceback (most recent call last)`` on stderr;
- a non-zero exit ends stderr with a ``w2c: error: ...`` line, except exit 1/3/4 when the run
  printed its verdict (NOT VERIFIED / partial / CHECKED);
- exit 2 wrote nothing: the case folder is the same before and after (no new file, no leftover
  temporary file) and no input changed (sha256, and special files stay special);
- on any exit code the command's inputs are unchanged and special files stay special;
- resources are bounded: each run is a child with ``RLIMIT_DATA`` (3 GiB) and ``RLIMIT_CPU``
  (a hang guard) plus a wall-clock kill; a run stopped by a limit fails ("exceeded ...").

Runs execute in children forked from one process that has imported w2c, torch, NumPy and the
lazily imported libraries once (``ForkServer``), with torch on one thread before forking, so a
case costs its own work rather than ~2 s of imports. The module's top level imports only the
standard library: multiprocessing's spawn start method (used by ``w2c verify`` for user code)
re-imports the main module in its children.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import resource
import shlex
import shutil
import signal
import stat
import sys
import tempfile
import time
import traceback
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "corpus" / "models"
EXAMPLES = REPO / "examples"

GENERATORS = ("checkpoint", "causal", "bonds", "options")
DOCUMENTED_EXITS = {0, 1, 2, 3, 4, 130}
VERDICT_EXITS = {1, 3, 4}
VERDICT_WORDS = ("NOT VERIFIED", "partial", "CHECKED")
TRACEBACK = "Traceback (most recent call last)"
ERROR_PREFIX = "w2c: error: "
CHILD_CRASH = 99  # the fork child caught something w2c.cli.run let escape

# Bases cheap enough to compile and verify many times (seconds, not minutes).
QUICK_BASES = ("and_last2",)
BASES = ("and_last2", "or_last2", "parity_last2", "add_mod_3", "abs_value", "running_max", "spring")
PASSES = ("infer_domains", "attention_patterns", "prune", "mlp_symbolic", "simplify", "emit")

GiB = 1024**3


# ============================================================================================
# Cases and runs
# ============================================================================================


@dataclass
class Run:
    """One w2c invocation of a case: argv, the folder it runs in and what it must not touch."""

    label: str  # e.g. "compile"
    argv: list[str]
    folder: Path
    inputs: list[str] = field(default_factory=list)  # relative paths that must stay unchanged
    needs: list[str] = field(default_factory=list)  # setup fixtures the build uses


@dataclass
class Case:
    """A drawn spec and the function that turns it into files and runs."""

    gen: str
    index: int
    spec: Any
    build: Callable[[Case, Path, Fixtures], list[Run]]
    note: str = ""
    seed: int | None = None  # set for a pinned case drawn under another seed than the run's

    @property
    def name(self) -> str:
        suffix = "" if self.seed is None else f"@{self.seed}"
        return f"{self.gen}-{self.index:04d}{suffix}"


@dataclass
class Fixtures:
    """Files made once by setup runs: reference programs, a causal model, a bonds report."""

    root: Path
    programs: dict[str, Path] = field(default_factory=dict)  # base model -> compiled program
    causal_model: Path | None = None
    causal_data: Path | None = None
    bonds_report: Path | None = None
    failed: dict[str, str] = field(default_factory=dict)


class SkipCase(Exception):
    """The case cannot be built (a fixture it needs failed in setup)."""


# ============================================================================================
# Snapshots and checks
# ============================================================================================

Entry = tuple[str, str]  # (kind, digest or link target)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _entry(path: str) -> Entry:
    """What a path is, without ever opening a special file (a FIFO would block)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return ("missing", "")
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return ("symlink", os.readlink(path))
    if stat.S_ISDIR(mode):
        return ("dir", "")
    if stat.S_ISFIFO(mode):
        return ("fifo", "")
    if stat.S_ISSOCK(mode):
        return ("socket", "")
    if stat.S_ISREG(mode):
        return ("file", _sha256(path))
    return ("special", "")


def snapshot(folder: Path) -> dict[str, Entry]:
    """Every path under ``folder`` (not following symlinks) with its kind and content hash."""
    result: dict[str, Entry] = {}
    for top, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            full = os.path.join(top, name)
            result[os.path.relpath(full, folder)] = _entry(full)
    return result


def _temp_leftovers(snap: dict[str, Entry]) -> list[str]:
    """Files named like w2c's temporaries (fileio: ``.NAME.XXXX.tmp``, ``.w2c-probe-``)."""
    out = []
    for rel in snap:
        base = os.path.basename(rel)
        if base.startswith(".w2c-probe-") or (base.startswith(".") and base.endswith(".tmp")):
            out.append(rel)
    return sorted(out)


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _crash_summary(stderr: str) -> str:
    """For exit 70: the last line of the traceback in the crash log the error line names."""
    marker = "(traceback in "
    at = stderr.rfind(marker)
    if at < 0:
        return ""
    path = stderr[at + len(marker) :].split(")")[0].strip()
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    lines = [line for line in text.splitlines() if line.strip()]
    where = [line.strip() for line in lines if line.strip().startswith('File "')]
    tail = lines[-1] if lines else ""
    return f"{tail} at {where[-1]}" if where else tail


@dataclass
class Outcome:
    """What a finished run did."""

    exit_code: int | None
    signal: int | None
    killed_for: str | None  # "wall clock" when the server killed it
    seconds: float
    max_rss_mb: float
    stdout: str
    stderr: str


def check(run: Run, out: Outcome, before: dict[str, Entry], after: dict[str, Entry]) -> list[str]:
    """Every way ``out`` breaks the contract (empty when it keeps it)."""
    problems: list[str] = []
    code = out.exit_code
    err = out.stderr
    if out.killed_for:
        problems.append(f"exceeded {out.killed_for} limit ({out.seconds:.0f} s)")
    elif out.signal is not None:
        name = signal.Signals(out.signal).name if out.signal in signal.valid_signals() else "?"
        if out.signal == signal.SIGXCPU:
            problems.append("exceeded cpu limit (SIGXCPU)")
        else:
            problems.append(f"killed by signal {out.signal} ({name})")
    elif code == CHILD_CRASH:
        problems.append(f"w2c.cli.run raised out of the fork child: {_last_line(err)}")
    elif code not in DOCUMENTED_EXITS:
        what = "internal error" if code == 70 else "undocumented exit code"
        crash = _crash_summary(err) if code == 70 else ""
        problems.append(f"{what} (exit {code})" + (f": {crash}" if crash else ""))
    crash = _crash_summary(err) if code == 70 else ""
    unclean = code not in DOCUMENTED_EXITS or TRACEBACK in err or out.signal is not None
    if unclean and any(m in err + crash for m in ("MemoryError", "allocate memory", "bad_alloc")):
        problems.append("exceeded memory (an allocation failed under RLIMIT_DATA)")
    if TRACEBACK in err:
        problems.append("traceback on stderr")
    if code is not None and code != 0 and code != CHILD_CRASH:
        last = _last_line(err)
        verdict = code in VERDICT_EXITS and (
            any(word in out.stdout or word in err for word in VERDICT_WORDS)
            or _json_verdict(out.stdout)
        )
        if not last.startswith(ERROR_PREFIX) and not verdict:
            problems.append(f"exit {code} without a final '{ERROR_PREFIX.strip()}' line")
    if code == 2:
        new = sorted(set(after) - set(before))
        gone = sorted(set(before) - set(after))
        changed = sorted(k for k in before if k in after and before[k] != after[k])
        if new:
            problems.append(f"exit 2 wrote {_few(new)}")
        if gone:
            problems.append(f"exit 2 removed {_few(gone)}")
        if changed:
            problems.append(f"exit 2 changed {_few(changed)}")
    protected = set(run.inputs) | {k for k, v in before.items() if v[0] in ("fifo", "socket")}
    for rel in sorted(protected):
        if rel in before and before[rel] != after.get(rel, ("missing", "")):
            was, now = before[rel][0], after.get(rel, ("missing", ""))[0]
            detail = "content changed" if was == now else f"{was} became {now}"
            problem = f"input {rel} changed ({detail})"
            if code != 2 or not any(rel in p for p in problems):
                problems.append(problem)
    leftovers = _temp_leftovers(after)
    if leftovers and code != 2:
        problems.append(f"left temporary files {_few(leftovers)}")
    return problems


def _json_verdict(stdout: str) -> bool:
    """A --json run prints its verdict as a document: ``passed`` or ``verdict`` at the top."""
    try:
        document = json.loads(stdout)
    except ValueError:
        return False
    return isinstance(document, dict) and ("passed" in document or "verdict" in document)


def _few(items: list[str], n: int = 3) -> str:
    shown = ", ".join(items[:n])
    return shown + (f" (+{len(items) - n} more)" if len(items) > n else "")


# ============================================================================================
# The fork server
# ============================================================================================

PRELOAD = (
    "numpy",
    "torch",
    "sympy",
    "libcst",
    "black",
    "matplotlib",
    "matplotlib.pyplot",
    "hypothesis",
    "networkx",
    "pydantic",
    "pydantic.type_adapter",
    "typer._adapters",
    "w2c.cli",
    "w2c.network.checkpoint",
    "w2c.compiler",
    "w2c.verify",
    "w2c.usercode",
    "w2c.network.train",
    "w2c.report.compile_doc",
    "w2c.report.html_page",
    "w2c.report.plots",
    "w2c.frontends.causal.api",
    "w2c.frontends.causal.plot",
    "w2c.frontends.bonds.api",
    "w2c.frontends.bonds.render",
    "w2c.frontends.bonds.compare",
    "w2c.frontends.bonds.plan",
)


def preload() -> list[str]:
    """Import what the commands import lazily, once, in the server (failures are listed)."""
    import importlib

    os.environ.setdefault("MPLBACKEND", "Agg")
    missing = []
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as exc:  # a module renamed by a parallel change: just not preloaded
            missing.append(f"{name}: {type(exc).__name__}")
    import torch

    torch.set_num_threads(1)
    import w2c.cli

    w2c.cli.register_commands()  # attach the commands now, not in every child
    return missing


@dataclass
class Limits:
    memory: int = 3 * GiB  # RLIMIT_DATA
    cpu: int = 120  # RLIMIT_CPU, seconds (a hang guard)
    wall: float = 150.0  # seconds before the server kills the run


class ForkServer:
    """Runs ``w2c.cli.run(argv)`` in forked children, at most ``workers`` at a time."""

    def __init__(self, root: Path, limits: Limits, workers: int = 2) -> None:
        self.root = root
        self.limits = limits
        self.workers = max(1, workers)
        self.io = root / "_io"
        self.io.mkdir(parents=True, exist_ok=True)
        self.running: dict[int, tuple[Any, float, Path, Path]] = {}
        self.serial = 0

    def _child(self, argv: list[str], folder: Path, out: Path, err: Path, tmp: Path) -> None:
        code = CHILD_CRASH
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the server's handler
            os.setpgid(0, 0)
            resource.setrlimit(resource.RLIMIT_DATA, (self.limits.memory, self.limits.memory))
            hard = self.limits.cpu + 10
            resource.setrlimit(resource.RLIMIT_CPU, (self.limits.cpu, hard))
            stdin = tmp / "stdin"
            stdin.write_bytes(b"")
            for fd, path, flags in (
                (0, stdin, os.O_RDONLY),
                (1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                (2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
            ):
                handle = os.open(path, flags, 0o644)
                os.dup2(handle, fd)
                os.close(handle)
            os.environ["TMPDIR"] = str(tmp)
            tempfile.tempdir = None
            os.chdir(folder)
            import w2c.cli

            code = w2c.cli.run(argv)
            if not isinstance(code, int):
                print(f"w2c.cli.run returned {code!r}, not an int", file=sys.stderr)
                code = CHILD_CRASH
        except BaseException:  # noqa: B036 - everything that escapes run() is the finding
            try:
                traceback.print_exc()
            except BaseException:  # noqa: B036
                pass
            code = CHILD_CRASH
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:  # noqa: B036
                pass
            os._exit(code & 0xFF)

    def start(self, key: Any, argv: list[str], folder: Path) -> None:
        self.serial += 1
        out = self.io / f"{self.serial:05d}.out"
        err = self.io / f"{self.serial:05d}.err"
        tmp = self.io / f"{self.serial:05d}.tmp"
        tmp.mkdir(exist_ok=True)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self._child(argv, folder, out, err, tmp)
        try:
            os.setpgid(pid, pid)  # also in the parent: no race with the child's own call
        except OSError:
            pass
        self.running[pid] = (key, time.monotonic(), out, err)

    def full(self) -> bool:
        return len(self.running) >= self.workers

    def wait(self, deadline: float | None = None) -> list[tuple[Any, Outcome]]:
        """Block until at least one run finishes (or is killed); return the finished ones."""
        finished: list[tuple[Any, Outcome]] = []
        while self.running and not finished:
            now = time.monotonic()
            for pid, (key, started, out, err) in list(self.running.items()):
                try:
                    done, status, usage = os.wait4(pid, os.WNOHANG)
                except ChildProcessError:
                    done, status, usage = pid, 0, None
                killed = None
                if done == 0:
                    limit = started + self.limits.wall
                    if deadline is not None:
                        limit = min(limit, deadline)
                    if now < limit:
                        continue
                    killed = "wall clock" if now >= started + self.limits.wall else "suite time"
                    self._killpg(pid)
                    _, status, usage = os.wait4(pid, 0)
                self._killpg(pid)  # user code the run left behind (w2c verify's children)
                del self.running[pid]
                finished.append((key, self._outcome(status, usage, started, out, err, killed)))
            if not finished:
                time.sleep(0.02)
        return finished

    @staticmethod
    def _killpg(pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    @staticmethod
    def _outcome(status, usage, started, out, err, killed) -> Outcome:  # noqa: ANN001
        seconds = time.monotonic() - started
        code = sig = None
        if os.WIFEXITED(status):
            code = os.WEXITSTATUS(status)
        elif os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
        rss = (usage.ru_maxrss / 1024) if usage is not None else 0.0
        read = lambda p: p.read_text(errors="replace") if p.exists() else ""  # noqa: E731
        return Outcome(code, sig, killed, seconds, rss, read(out), read(err))


# ============================================================================================
# Builders shared by the generators
# ============================================================================================


def _torch():
    import torch

    return torch


def _save(obj: Any, path: Path, legacy: bool = False) -> None:
    torch = _torch()
    buffer = io.BytesIO()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))  # deeply nested values are some of the cases
    try:
        if legacy:
            torch.save(obj, buffer, _use_new_zipfile_serialization=False)
        else:
            torch.save(obj, buffer)
    finally:
        sys.setrecursionlimit(limit)
    path.write_bytes(buffer.getvalue())


_BASE_CACHE: dict[str, Any] = {}


def base_checkpoint(name: str) -> dict[str, Any]:
    """A deep copy of a shipped checkpoint as loaded by torch.load(weights_only=True)."""
    import copy

    if name not in _BASE_CACHE:
        _BASE_CACHE[name] = _torch().load(MODELS / f"{name}.pt", weights_only=True)
    return copy.deepcopy(_BASE_CACHE[name])


def special(folder: Path, rel: str, kind: str, content: bytes = b"") -> str:
    """Make a fixture in the case folder: a FIFO, a folder, a file, a symlink."""
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dir":
        path.mkdir(exist_ok=True)
    elif kind == "file":
        path.write_bytes(content)
    elif kind.startswith("symlink:"):
        os.symlink(kind.split(":", 1)[1], path)
    else:  # pragma: no cover - a typo in a generator
        raise ValueError(kind)
    return rel


class Obj:
    """A value a spec names but that is built only by the builder (repr is the spec)."""

    def __init__(self, kind: str, *args: Any) -> None:
        self.kind = kind
        self.args = args

    def __repr__(self) -> str:
        return f"<{self.kind}{''.join(' ' + repr(a) for a in self.args)}>"


def materialize(value: Any) -> Any:
    """Turn spec values into saveable objects (tensors, sets, deep nests)."""
    if isinstance(value, Obj):
        torch = _torch()
        k = value.kind
        if k == "tensor":
            return torch.tensor(value.args[0])
        if k == "zeros":
            return torch.zeros(*value.args)
        if k == "expand":
            return torch.zeros(1).expand(value.args[0])
        if k == "set":
            return set(value.args[0])
        if k == "deep":
            nest: Any = 0
            for _ in range(value.args[0]):
                nest = [nest]
            return nest
        if k == "bytes":
            return bytes(value.args[0])
        raise ValueError(k)  # pragma: no cover
    if isinstance(value, list):
        return [materialize(v) for v in value]
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    return value


def _walk(data: Any, path: list[int]) -> tuple[Any, Any, str]:
    """Follow ``path`` (indices into sorted keys / list positions) to a container and a key."""
    container, key, shown = data, None, ""
    current = data
    for depth, step in enumerate(path):
        pick = step * 7919 + depth * 31 + 5  # scrambled: hypothesis favours 0, i.e. one key
        if isinstance(current, dict) and current:
            keys = sorted(current, key=str)
            k = keys[pick % len(keys)]
        elif isinstance(current, list) and current:
            k = pick % len(current)
        else:
            break
        container, key = current, k
        shown += f"[{k!r}]"
        current = current[k]
    if key is None:  # the path named no key: act on the top level
        keys = sorted(data, key=str) if isinstance(data, dict) else []
        container, key = data, (keys[0] if keys else None)
        shown = f"[{key!r}]"
    return container, key, shown


def _tensor_paths(data: dict[str, Any]) -> list[tuple[Any, Any, str]]:
    found = []

    def visit(obj: Any, shown: str) -> None:
        if isinstance(obj, dict):
            for k in sorted(obj, key=str):
                if hasattr(obj[k], "dtype") and hasattr(obj[k], "shape"):
                    found.append((obj, k, f"{shown}[{k!r}]"))
                else:
                    visit(obj[k], f"{shown}[{k!r}]")

    visit(data, "")
    return found


TENSOR_DTYPES = (
    "int64",
    "int32",
    "int8",
    "uint8",
    "bool",
    "float16",
    "bfloat16",
    "float64",
    "complex64",
    "complex128",
)


def mutate_tensor(t: Any, op: tuple) -> Any:
    """One tensor mutation; never allocates much (stride-0 views stand in for huge tensors)."""
    torch = _torch()
    kind = op[0]
    if kind == "dtype":
        return t.to(getattr(torch, op[1]))
    if kind == "unsqueeze":
        return t.unsqueeze(0)
    if kind == "flatten":
        return t.flatten()
    if kind == "numel":
        return torch.zeros(op[1])
    if kind == "grow":
        shape = list(t.shape) or [1]
        shape[op[1] % len(shape)] += op[2]
        return torch.zeros([max(s, 0) for s in shape])
    if kind == "expand_huge":
        return torch.zeros(1).expand(10**9)
    if kind == "expand_huge2":
        return torch.zeros(1, 1).expand(10**5, 10**5)
    if kind == "expand_same":
        if t.dim() == 0 or t.numel() == 0:
            return t
        return t.flatten()[:1].reshape([1] * t.dim()).expand(t.shape)
    if kind == "sparse":
        return t.to_sparse() if t.dim() >= 1 else t
    if kind == "sparse_csr":
        return t.to_sparse_csr() if t.dim() == 2 else t.reshape(1, -1).to_sparse_csr()
    if kind == "noncontig":
        return torch.stack([t, t], dim=-1)[..., 0] if t.dim() >= 1 else t
    if kind == "offset":
        storage = torch.zeros(t.numel() + 7, dtype=t.dtype)
        view = storage[7:].view(t.shape)
        view.copy_(t)
        return view
    if kind == "value":
        u = t.clone().to(torch.float64) if not t.is_floating_point() else t.clone()
        if u.numel():
            u.view(-1)[op[2] % u.numel()] = op[1]
        return u
    if kind == "scale":
        return t * op[1]
    if kind == "meta":
        return t.to("meta")
    if kind == "param":
        return torch.nn.Parameter(t.clone().float(), requires_grad=True)
    if kind == "empty":
        return torch.empty((0,) + tuple(t.shape[1:]), dtype=t.dtype)
    if kind == "transpose":
        return t.t() if t.dim() == 2 else t.flip(0) if t.dim() else t
    if kind == "quantized":
        return torch.quantize_per_tensor(t.float().reshape(-1), 0.1, 0, torch.qint8)
    raise ValueError(kind)  # pragma: no cover


def _rebuild_state(data: dict[str, Any]) -> bool:
    """Give the checkpoint a state_dict that matches its (possibly mutated) config, if valid."""
    try:
        from w2c.network.checkpoint import _check_config
        from w2c.network.transformer import DiscreteTransformer

        config = _check_config(data["config"])
        _torch().manual_seed(0)
        model = DiscreteTransformer(config)
        data["state_dict"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        return True
    except Exception:
        return False


def apply_mutation(data: dict[str, Any], mutation: tuple) -> str:
    """Apply one mutation to a checkpoint dict in place; returns what it did."""
    kind = mutation[0]
    if kind == "delete":
        container, key, shown = _walk(data, mutation[1])
        if container is None or key is None:
            return "delete: nothing"
        del container[key]
        return f"delete {shown}"
    if kind == "add":
        container, key, shown = _walk(data, mutation[1])
        target = container[key] if isinstance(container[key], (dict, list)) else container
        value = materialize(mutation[3])
        if isinstance(target, dict):
            target[mutation[2]] = value
        else:
            target.append(value)
        return f"add {mutation[2]!r}={mutation[3]!r} next to {shown}"
    if kind == "replace":
        container, key, shown = _walk(data, mutation[1])
        container[key] = materialize(mutation[2])
        return f"replace {shown} by {mutation[2]!r}"
    if kind == "tensor":
        paths = _tensor_paths(data)
        if not paths:
            return "tensor: none left"
        container, key, shown = paths[mutation[1] % len(paths)]
        container[key] = mutate_tensor(container[key], mutation[2])
        return f"tensor {shown}: {mutation[2]!r}"
    if kind == "config":
        _, key, value, consistent = mutation
        config = data.get("config")
        if not isinstance(config, dict):
            return "config: not a dict"
        config[key] = materialize(value)
        if key == "length" and consistent and isinstance(data.get("task"), dict):
            data["task"]["length"] = config[key]
        rebuilt = consistent and _rebuild_state(data)
        return f"config[{key!r}] = {value!r}" + (" (state_dict rebuilt)" if rebuilt else "")
    if kind == "domain":
        task = data.get("task")
        if not isinstance(task, dict) or not isinstance(task.get("domains"), list):
            return "domain: no task domains"
        domains = task["domains"]
        if domains:
            domains[mutation[1] % len(domains)] = materialize(mutation[2])
        return f"domain {mutation[2]!r}"
    if kind == "name":
        _, where, name = mutation
        task, config = data.get("task"), data.get("config")
        if where == "task" and isinstance(task, dict):
            task["name"] = name
        if where in ("channel", "both") and isinstance(task, dict) and task.get("channels"):
            task["channels"][0] = name
        if where in ("input", "both") and isinstance(config, dict) and config.get("input_names"):
            config["input_names"][0] = name
        return f"name {where} = {name!r}"
    if kind == "format":
        data["format"] = mutation[1]
        return f"format = {mutation[1]!r}"
    if kind == "version":
        data["w2c_version"] = mutation[1]
        return f"w2c_version = {mutation[1]!r}"
    if kind == "training":
        training = data.get("training")
        if not isinstance(training, dict):
            return "training: not a dict"
        training[mutation[1]] = materialize(mutation[2])
        return f"training[{mutation[1]!r}] = {mutation[2]!r}"
    raise ValueError(kind)  # pragma: no cover


def raw_file(kind: str, arg: int, base: str, path: Path) -> str:
    """A model path that is not a well-formed checkpoint; returns a description."""
    rng = random.Random(arg)
    if kind == "truncate":
        buffer = io.BytesIO()
        _torch().save(base_checkpoint(base), buffer)
        blob = buffer.getvalue()
        cut = arg % len(blob)
        path.write_bytes(blob[:cut])
        return f"first {cut} of {len(blob)} bytes"
    if kind == "random":
        n = (1, 7, 100, 4096, 100_000)[arg % 5]
        path.write_bytes(rng.randbytes(n))
        return f"{n} random bytes"
    if kind == "empty":
        path.write_bytes(b"")
        return "empty file"
    if kind == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hello.txt", "not a torch file")
        return "a zip that is not a torch file"
    if kind == "zip_torchlike":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("archive/data.pkl", rng.randbytes(64))
            archive.writestr("archive/version", "3\n")
        return "a zip with a garbage data.pkl"
    if kind == "flip":
        buffer = io.BytesIO()
        _torch().save(base_checkpoint(base), buffer)
        blob = bytearray(buffer.getvalue())
        for _ in range(1 + arg % 8):
            blob[rng.randrange(len(blob))] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(blob))
        return "bit flips"
    if kind == "legacy":
        _save(base_checkpoint(base), path, legacy=True)
        return "legacy (non-zip) torch.save format"
    if kind == "pickle_global":
        import pickle

        path.write_bytes(b"\x80\x02cos\ngetcwd\n)R." + pickle.dumps({}))
        return "a raw pickle calling os.getcwd"
    if kind == "oversize":
        with open(path, "wb") as handle:
            handle.truncate(65 * 1024 * 1024)
        return "a 65 MiB sparse file"
    if kind == "not_dict":
        torch = _torch()
        value = [[1, 2, 3], torch.zeros(3), "checkpoint", None, 7][arg % 5]
        _save(value, path)
        return f"torch.save({value!r})"
    if kind == "deep":
        depth = (50, 500, 900)[arg % 3]
        data = base_checkpoint(base)
        data["training"]["size"] = materialize(Obj("deep", depth))
        _save(data, path)
        return f"a list nested {depth} deep"
    if kind == "text":
        path.write_text("format = 'w2c.discrete-transformer/1'\n")
        return "a text file"
    if kind == "npy":
        import numpy as np

        np.save(path.with_suffix(".npy"), np.zeros(3))
        path.with_suffix(".npy").rename(path)
        return "a .npy file"
    raise ValueError(kind)  # pragma: no cover


RAW_KINDS = (
    "truncate",
    "random",
    "empty",
    "zip",
    "zip_torchlike",
    "flip",
    "legacy",
    "pickle_global",
    "oversize",
    "not_dict",
    "deep",
    "text",
    "npy",
)
CHECKPOINT_EXTRA_ARGS = {
    "report": ["--report", "report.html"],
    "tests": ["--emit-tests"],
    "timings": ["--timings"],
    "ir": ["--print-ir-after", "all"],
    "operon": ["--sr-backend", "operon"],
}
CHECKPOINT_EXTRAS = ("plot", *CHECKPOINT_EXTRA_ARGS)
SPECIAL_MODELS = ("fifo", "dir", "dangling", "loop")


# ============================================================================================
# Strategy pools
# ============================================================================================

NAN, INF = float("nan"), float("inf")
ODD_VALUES = (
    "str",
    "",
    "x" * 1000,
    10**30,
    -(10**30),
    2**63,
    2**64 + 1,
    -1,
    0,
    1,
    NAN,
    INF,
    -INF,
    1e300,
    -1e300,
    5e-324,
    -0.0,
    [],
    [1, 2, 3],
    [[]],
    {},
    {"a": 1},
    {1: 2},
    None,
    True,
    False,
    (1, 2),
    "\ud800",
    "\x00",
)
ODD_NAMES = (
    "x" * 1000,
    "x" * 64,
    "x" * 65,
    "class",
    "None",
    "True",
    "lambda",
    "__import__",
    "__builtins__",
    "__name__",
    "x;import os",
    "a b",
    "",
    "x\x00",
    "\ud800",
    "é",
    "𝔘",
    "0abc",
    "print",
    "sum",
    "np",
    "numpy",
    "math",
    "xs",
    "t",
    "y",
    "y_prev",
    "program",
    "program_numpy",
    "range",
    "len",
    "abs",
    "max",
    "Max",
    "Abs",
    "Mod",
    "sympy",
    "_",
    "self",
    "int",
    "float",
    "list",
    "batch",
    "x0",
    "attn_L0H0",
    "mlp_L0M0",
    "out",
    "E",
    "I",
    "S",
    "pi",
    "oo",
)
FORMATS = (
    "w2c.discrete-transformer/0",
    "w2c.discrete-transformer/3",
    "w2c.discrete-transformer/999999999999999999999999",
    "w2c.discrete-transformer/1.0",
    "w2c.discrete-transformer/-1",
    "w2c.discrete-transformer/ 1",
    "w2c.discrete-transformer/１",
    "w2c.discrete-transformer/²",
    "w2c.discrete-transformer/01",
    "w2c.discrete-transformer/",
    "w2c.discrete-transformer",
    "w2c.causal-transformer/1",
    "W2C.DISCRETE-TRANSFORMER/1",
    "w2c.discrete-transformer/1/1",
    "",
)
VERSIONS = (
    "0.1.0",
    "99.0",
    "",
    "x" * 1000,
    "1.2.3.4.5",
    "0.1.0\n",
    "١.٠",
    "1" * 5000,
    "0.1.0+" + "a" * 40,
)
CONFIG_VALUES = {
    "length": (1, 256, 257, 0, -1, 10**6, 2**63, True, 10.0),
    "mlp_arity": (1, 4, 5, 0, -1, 2**31),
    "mlp_hidden": (1, 256, 257, 0, 10**9),
    "attn_dim": (1, 64, 65, 0, 10**9),
    "ple_bins": (1, 64, 65, 0, 2**63),
    "ple_range": (1e-300, 1e300, 0.0, -1.0, NAN, INF, 5e-324, 3, True),
    "output_scale": (1e-300, 1e300, 0.0, -1.0, NAN, INF, 5e-324),
    "input_scales": ([1e-300], [1e300], [NAN], [-1.0], [0], [True], [], [1.0, 1.0], "1.0"),
    "layers": (
        [[16, 16]] * 8,
        [[16, 16]] * 9,
        [[16, 0]],
        [[0, 16]],
        [],
        [[0, 0]],
        [[1, 1, 1]],
        [[True, 1]],
        [[1.0, 1]],
        [[-1, 1]],
        [[2**63, 1]],
        [[1, 1]] * 8,
        [(1, 1)],
        "[[1, 1]]",
    ),
    "input_names": (["x", "x"], [], ["x"] * 17, ["class"], ["x" * 65], [1], "x"),
}
DOMAINS = (
    {"kind": "int", "lo": -(10**30), "hi": 10**30},
    {"kind": "int", "lo": 0, "hi": 2**63},
    {"kind": "int", "lo": -(2**63), "hi": 2**63 - 1},
    {"kind": "int", "lo": 5, "hi": 1},
    {"kind": "int", "lo": 3, "hi": 3},
    {"kind": "int", "lo": 0, "hi": 10**6},
    {"kind": "int", "lo": True, "hi": 2},
    {"kind": "real", "lo": NAN, "hi": 1.0},
    {"kind": "real", "lo": -INF, "hi": INF},
    {"kind": "real", "lo": -1e300, "hi": 1e300},
    {"kind": "real", "lo": 1.0, "hi": -1.0},
    {"kind": "real", "lo": 0.0, "hi": 0.0},
    {"kind": "real", "lo": 0, "hi": 5e-324},
    {"kind": "bits", "lo": 0},
    {"kind": "complex"},
    {},
    {"kind": "bits", "extra": 1},
    {"kind": "int", "lo": "0", "hi": "1"},
    "bits",
    None,
)
VALID_ODD_NAMES = (
    "x" * 64,
    "np",
    "numpy",
    "math",
    "xs",
    "t",
    "y",
    "y_prev",
    "program",
    "program_numpy",
    "range",
    "len",
    "abs",
    "max",
    "Max",
    "Abs",
    "Mod",
    "sympy",
    "_",
    "self",
    "int",
    "float",
    "list",
    "batch",
    "x0",
    "attn_L0H0",
    "mlp_L0M0",
    "out",
    "E",
    "I",
    "S",
    "pi",
    "oo",
    "print",
    "sum",
    "__name__",
    "__builtins__",
    "__import__",
    "_" * 64,
)
TASK_NAMES = ("sum_last2", "or_last2", "parity_last3", "running_max", "spring", "mytask")
LOADABLE_CONFIGS = (
    ("length", 1),
    ("length", 2),
    ("length", 256),
    ("mlp_hidden", 256),
    ("mlp_hidden", 1),
    ("attn_dim", 64),
    ("attn_dim", 1),
    ("ple_bins", 64),
    ("ple_bins", 1),
    ("mlp_arity", 1),
    ("mlp_arity", 4),
    ("layers", [[16, 16]] * 8),
    ("layers", [[0, 0]]),
    ("layers", [[0, 1]]),
    ("layers", [[16, 0]]),
    ("layers", [[1, 1]] * 8),
    ("layers", [[0, 0]] * 8),
)
TRAINING_KEYS = ("seed", "steps", "seconds", "lr", "exact_fraction", "rel_mse", "size", "history")


# ============================================================================================
# Generator 1: checkpoints
# ============================================================================================


def checkpoint_strategy(bases: tuple[str, ...]):  # noqa: ANN201 - a hypothesis strategy
    from hypothesis import strategies as st

    value = st.one_of(
        st.sampled_from(ODD_VALUES),
        st.integers(),
        st.floats(),
        st.text(max_size=12),
        st.builds(Obj, st.just("tensor"), st.sampled_from([1.0, [1.0, 2.0], [[1]], []])),
        st.builds(Obj, st.just("expand"), st.sampled_from([10**9, 10, 0])),
        st.builds(Obj, st.just("set"), st.just([1, 2])),
        st.builds(Obj, st.just("deep"), st.sampled_from([10, 900])),
        st.builds(Obj, st.just("bytes"), st.just([0, 255])),
    )
    path = st.lists(st.integers(0, 63), max_size=4)
    key = st.one_of(st.sampled_from(["extra", "", "format", "0", "\ud800"]), st.integers(-1, 2))
    tensor_op = st.one_of(
        st.tuples(st.just("dtype"), st.sampled_from(TENSOR_DTYPES)),
        st.tuples(st.sampled_from(["unsqueeze", "flatten", "expand_huge", "expand_huge2"])),
        st.tuples(st.sampled_from(["expand_same", "sparse", "sparse_csr", "noncontig", "offset"])),
        st.tuples(st.sampled_from(["meta", "param", "empty", "transpose", "quantized"])),
        st.tuples(st.just("numel"), st.sampled_from([0, 1, 10**6])),
        st.tuples(st.just("grow"), st.integers(0, 3), st.sampled_from([-1, 1, 1000])),
        st.tuples(
            st.just("value"),
            st.sampled_from([NAN, INF, -INF, 1e38, 3.4e38, -1e30, 1e-45, 0.0]),
            st.integers(0, 10**6),
        ),
        st.tuples(st.just("scale"), st.sampled_from([1e30, -1.0, 0.0, 1e-30])),
    )

    @st.composite
    def config_mutation(draw):
        key = draw(st.sampled_from(sorted(CONFIG_VALUES)))
        value = draw(st.sampled_from(CONFIG_VALUES[key]))
        return ("config", key, value, draw(st.booleans()))

    mutation = st.one_of(
        st.tuples(st.just("delete"), path),
        st.tuples(st.just("add"), path, key, value),
        st.tuples(st.just("replace"), path, value),
        st.tuples(st.just("tensor"), st.integers(0, 63), tensor_op),
        config_mutation(),
        st.tuples(st.just("domain"), st.integers(0, 3), st.sampled_from(DOMAINS)),
        st.tuples(
            st.just("name"),
            st.sampled_from(["task", "channel", "input", "both", "both"]),
            st.one_of(st.sampled_from(ODD_NAMES), st.text(max_size=6)),
        ),
        st.tuples(st.just("format"), st.one_of(st.sampled_from(FORMATS), st.text(max_size=8))),
        st.tuples(st.just("version"), st.one_of(st.sampled_from(VERSIONS), st.text(max_size=8))),
        st.tuples(st.just("training"), st.sampled_from(TRAINING_KEYS), value),
    )
    # Mutations meant to keep the checkpoint loadable, so compile and verify get to run on it.
    loadable = st.one_of(
        st.tuples(st.just("name"), st.just("both"), st.sampled_from(VALID_ODD_NAMES)),
        st.tuples(st.just("name"), st.just("task"), st.sampled_from(VALID_ODD_NAMES + TASK_NAMES)),
        st.tuples(st.just("domain"), st.integers(0, 3), st.sampled_from(DOMAINS[:13])),
        st.tuples(
            st.just("config"),
            st.sampled_from(["output_scale", "ple_range"]),
            st.sampled_from([1e-300, 1e300, 5e-324, 1e-30, 1e30, 3]),
            st.just(False),
        ),
        st.tuples(
            st.just("config"),
            st.sampled_from(["input_scales"]),
            st.sampled_from([[1e-300], [1e300], [5e-324]]),
            st.just(False),
        ),
        st.builds(
            lambda kv: ("config", kv[0], kv[1], True),
            st.sampled_from(LOADABLE_CONFIGS),
        ),
        st.tuples(
            st.just("tensor"),
            st.integers(0, 63),
            st.one_of(
                st.tuples(st.sampled_from(["expand_same", "noncontig", "offset", "param"])),
                st.tuples(st.just("dtype"), st.just("float64")),
                st.tuples(
                    st.just("value"),
                    st.sampled_from([1e38, 3.4e38, -3.4e38, -1e30, 1e-45, 0.0, 1e6]),
                    st.integers(0, 10**6),
                ),
                st.tuples(st.just("scale"), st.sampled_from([1e30, -1.0, 0.0, 1e-30, 1e4])),
            ),
        ),
        st.tuples(
            st.just("format"), st.sampled_from(FORMATS[:1] + ("w2c.discrete-transformer/01",))
        ),
        st.tuples(st.just("version"), st.sampled_from(("99.0", "0.1.0+" + "a" * 32, "0"))),
        st.tuples(
            st.just("training"),
            st.sampled_from(["seed", "steps", "seconds", "lr", "attempts"]),
            st.sampled_from([-1, 0, 2**63, 10**30, 1e300, -1e300]),
        ),
    )

    @st.composite
    def spec(draw):
        mode = draw(st.sampled_from(["mutate"] * 5 + ["loadable"] * 3 + ["raw", "special"]))
        out: dict[str, Any] = {"base": draw(st.sampled_from(bases)), "mode": mode}
        if mode == "raw":
            out["raw"] = draw(st.sampled_from(RAW_KINDS))
            out["arg"] = draw(st.integers(0, 2**32 - 1))
        elif mode == "special":
            out["special"] = draw(st.sampled_from(SPECIAL_MODELS))
        else:
            strategy = mutation if mode == "mutate" else loadable
            out["mutations"] = draw(st.lists(strategy, min_size=1, max_size=3))
        out["json"] = draw(st.booleans())
        out["twin"] = draw(st.booleans())
        out["extras"] = draw(st.lists(st.sampled_from(CHECKPOINT_EXTRAS), max_size=1))
        return out

    return spec()


def build_checkpoint(case: Case, folder: Path, fx: Fixtures) -> list[Run]:
    spec = case.spec
    base = spec["base"]
    notes: list[str] = []

    def make(into: Path) -> None:
        target = into / "model.pt"
        if spec["mode"] == "raw":
            notes.append(raw_file(spec["raw"], spec["arg"], base, target))
        elif spec["mode"] == "special":
            kind = spec["special"]
            if kind == "fifo":
                special(into, "model.pt", "fifo")
            elif kind == "dir":
                special(into, "model.pt", "dir")
            elif kind == "dangling":
                special(into, "model.pt", "symlink:missing.pt")
            else:
                special(into, "model.pt", "symlink:model.pt")
            notes.append(f"model.pt is a {kind}")
        else:
            data = base_checkpoint(base)
            for mutation in spec["mutations"]:
                notes.append(apply_mutation(data, mutation))
            _save(data, target)

    runs = []
    extras = spec.get("extras", [])
    commands = {
        "inspect": ["inspect", "model.pt"]
        + (["--json"] if spec["json"] else [])
        + (["--plot", "plots"] if "plot" in extras else []),
        "compile": ["compile", "model.pt", "-o", "prog.py", "-q"]
        + (["--json"] if spec["json"] else [])
        + (["--numpy-twin"] if spec["twin"] else [])
        + [a for e in extras if e != "plot" for a in CHECKPOINT_EXTRA_ARGS[e]],
        "verify": ["verify", "ref.py", "model.pt"] + (["--json"] if spec["json"] else []),
    }
    for label, argv in commands.items():
        into = folder / label
        into.mkdir(parents=True)
        notes.clear()
        make(into)
        inputs = ["model.pt"]
        if label == "verify":
            program = fx.programs.get(base)
            if program is None:
                raise SkipCase(f"no reference program for {base}: {fx.failed.get(base, '?')}")
            shutil.copyfile(program, into / "ref.py")
            inputs.append("ref.py")
        runs.append(Run(label, argv, into, inputs))
    case.note = f"base {base}: " + "; ".join(notes)
    return runs


# ============================================================================================
# Generator 2: causal inputs
# ============================================================================================

CELL_EDITS = (
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e200",
    "1e400",
    "-1e400",
    "1e-400",
    "abc",
    "",
    " ",
    "NA",
    "null",
    "?",
    "0x10",
    "1_000",
    "１",
    "True",
    '"1"',
    "1,5",
    "\ud800",
    "1e308",
    "-1e308",
)
HEADER_EDITS = (
    "duplicate",
    "empty",
    "keyword",
    "long",
    "unicode",
    "space",
    "time",
    "regime",
    "bom",
    "crlf",
    "ragged_long",
    "ragged_short",
    "no_newline",
    "semicolon",
    "quotes",
    "nul",
    "blank_lines",
    "latin1",
)
NPY_KINDS = (
    "ok",
    "ndim1",
    "ndim3",
    "ndim0",
    "complex",
    "object",
    "bool",
    "int8",
    "uint64",
    "float16",
    "str",
    "structured",
    "datetime",
    "bigendian",
    "fortran",
    "empty",
    "zero_cols",
    "one_col",
    "nan",
    "inf",
    "huge_header",
    "huge_header_1d",
    "truncated",
    "npz",
    "garbage",
    "constant",
    "big_values",
)
OPTION_VALUES = {  # name: (values a valid run may use, odd values)
    "--max-lag": (
        ("1", "2", "3"),
        ("0", "-1", "31", "1000000", str(2**63), "abc", "nan", "1.5", ""),
    ),
    "--top-k": (("1", "2"), ("0", "-1", "1000000", str(2**64), "nan")),
    "--global-top-k": (("1", "3"), ("0", "-1", "1000000", str(2**64))),
    "--threshold": (("0", "0.001"), ("-1", "nan", "inf", "-inf", "1e300", "abc")),
    "--min-confidence": (("0.5", "0.99"), ("0", "1", "-1", "2", "nan", "inf", "abc")),
    "--epochs": (("1", "2"), ("0", "-1", "nan", "abc", "1000000000")),
    "--seed": (("0", "1", "12345"), ("-1", str(2**32), str(2**64), str(10**30), "nan", "abc")),
    "--eval-windows": (("16", "20", "100"), ("0", "-1", "1", "3", str(2**63), "nan")),
    "--score": (("energy", "lrp"), ("bogus", "", "ENERGY")),
    "--time-col": ((), ("t", "a", "missing", "", "time")),
    "--regime-col": ((), ("r", "a", "missing", "", "t")),
    "--min-f1": (("0", "0.5"), ("1", "2", "nan", "-1")),
    "--exclude-self": ((), ()),
}
BENIGN_HEADER_EDITS = ("bom", "crlf", "no_newline", "time", "regime", "quotes")


def causal_strategy():  # noqa: ANN201
    from hypothesis import strategies as st

    edit = st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.sampled_from(CELL_EDITS))
    odd_option = st.tuples(
        st.sampled_from(sorted(OPTION_VALUES)), st.integers(0, 100), st.booleans(), st.just(True)
    )
    valid_names = sorted(k for k, (v, _) in OPTION_VALUES.items() if v or k == "--exclude-self")
    valid_option = st.tuples(
        st.sampled_from(valid_names), st.integers(0, 100), st.just(False), st.just(False)
    )
    model_mutation = st.one_of(
        st.none(),
        st.tuples(st.just("delete"), st.lists(st.integers(0, 63), max_size=3)),
        st.tuples(
            st.just("replace"),
            st.lists(st.integers(0, 63), max_size=3),
            st.sampled_from(ODD_VALUES),
        ),
        st.tuples(
            st.just("tensor"),
            st.integers(0, 63),
            st.sampled_from(
                [
                    ("dtype", "complex64"),
                    ("dtype", "float64"),
                    ("dtype", "float16"),
                    ("expand_huge",),
                    ("expand_same",),
                    ("sparse",),
                    ("noncontig",),
                    ("offset",),
                    ("value", NAN, 0),
                    ("value", 1e38, 0),
                    ("grow", 0, 1),
                    ("meta",),
                    ("param",),
                ]
            ),
        ),
        st.tuples(
            st.just("config"),
            st.sampled_from(
                ["n_vars", "max_lag", "n_regimes", "d_model", "n_heads", "n_layers", "d_ff"]
            ),
            st.sampled_from([0, -1, 1, 3, 10**6, 2**63, True, 2.0, None]),
            st.just(False),
        ),
    )

    @st.composite
    def spec(draw):
        kind = draw(
            st.sampled_from(["valid"] * 3 + ["csv"] * 3 + ["npy"] * 2 + ["model"] * 2 + ["special"])
        )
        out: dict[str, Any] = {"kind": kind, "seed": draw(st.integers(0, 2**16))}
        if kind == "valid":
            out["values"] = draw(st.sampled_from(VALUE_SHAPES))
            out["rows"] = draw(st.sampled_from([34, 40, 60, 120]))
            out["cols"] = draw(st.sampled_from([2, 3, 4]))
            out["edits"] = []
            out["header"] = draw(st.lists(st.sampled_from(BENIGN_HEADER_EDITS), max_size=2))
            out["options"] = draw(st.lists(valid_option, max_size=3))
            out["out"] = draw(st.sampled_from(["out", "out", None]))
            out["truth"] = draw(st.sampled_from([None, None, "ok"]))
        else:
            if kind in ("csv", "npy"):
                out["rows"] = draw(st.sampled_from([0, 1, 2, 10, 34, 40, 60, 120]))
                out["cols"] = draw(st.sampled_from([1, 2, 3, 4, 100, 100_000]))
            if kind == "csv":
                out["edits"] = draw(st.lists(edit, max_size=3))
                out["header"] = draw(st.lists(st.sampled_from(HEADER_EDITS), max_size=2))
            elif kind == "npy":
                out["npy"] = draw(st.sampled_from(NPY_KINDS))
            elif kind == "model":
                out["model_mutation"] = draw(model_mutation)
            else:
                out["special"] = draw(
                    st.sampled_from(["fifo", "dir", "missing", "empty", "binary"])
                )
            out["options"] = draw(st.lists(st.one_of(odd_option, valid_option), max_size=3))
            out["out"] = draw(
                st.sampled_from(["out", "out", "out", "fifo", "file", "missing/out", None])
            )
            out["truth"] = draw(st.sampled_from([None, None, "ok", "bad", "wrong_vars"]))
        out["json"] = draw(st.booleans())
        return out

    return spec()


def _series(rows: int, cols: int, seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    values = [[rng.gauss(0, 1) for _ in range(cols)] for _ in range(max(rows, 0))]
    for t in range(1, len(values)):  # a lagged dependence so a valid run has something to find
        for j in range(1, cols):
            values[t][j] += 0.6 * values[t - 1][j - 1]
    return values


VALUE_SHAPES = (
    "normal",
    "normal",
    "tiny",
    "huge",
    "collinear",
    "near_constant",
    "integers",
    "mixed_scale",
    "steps",
    "spike",
)


def _shaped(values: list[list[float]], shape: str) -> list[list[float]]:
    """Valid but numerically extreme series (every value finite, no column constant)."""
    out = [list(row) for row in values]
    for t, row in enumerate(out):
        for j in range(len(row)):
            v = row[j]
            if shape == "tiny":
                row[j] = v * 1e-300
            elif shape == "huge":
                row[j] = v * 1e300
            elif shape == "collinear" and j == len(row) - 1 and j > 0:
                row[j] = 2.0 * row[0]
            elif shape == "near_constant" and j == 0:
                row[j] = 1.0 + (1e-15 if t % 2 else 0.0)
            elif shape == "integers":
                row[j] = float(round(v * 3))
            elif shape == "mixed_scale":
                row[j] = v * (1e-150 if j % 2 else 1e150)
            elif shape == "steps":
                row[j] = float((t // 10 + j) % 3)
            elif shape == "spike":
                row[j] = 1e308 if t == len(out) // 2 and j == 0 else v
    return out


def _csv_text(spec: dict[str, Any]) -> tuple[bytes, list[str]]:
    rows, cols = spec["rows"], spec["cols"]
    header_edits = spec["header"]
    if cols > 1000:  # many columns, written cheaply: one row string repeated
        names = [f"v{j}" for j in range(cols)]
        row = ",".join("1" if j % 2 else "0" for j in range(cols))
        return ("\n".join([",".join(names)] + [row] * rows) + "\n").encode(), names
    names = [f"{'abcdefgh'[j]}" if j < 8 else f"v{j}" for j in range(cols)]
    series = _shaped(_series(rows, cols, spec["seed"]), spec.get("values", "normal"))
    body = [[repr(v) for v in row] for row in series]
    extra_cols: list[tuple[str, Callable[[int], str]]] = []
    for e in header_edits:
        if e == "duplicate" and names:
            names[-1] = names[0]
        elif e == "empty" and names:
            names[0] = ""
        elif e == "keyword" and names:
            names[0] = "class"
        elif e == "long" and names:
            names[0] = "x" * 1000
        elif e == "unicode" and names:
            names[0] = "é𝔘"
        elif e == "space" and names:
            names[0] = "a b"
        elif e == "nul" and names:
            names[0] = "a\x00b"
        elif e == "time":
            extra_cols.append(("t", lambda i: str(i)))
        elif e == "regime":
            extra_cols.append(("r", lambda i: str(i * 2 // max(rows, 1))))
    for name, cell in extra_cols:
        names.insert(0, name)
        for i, row in enumerate(body):
            row.insert(0, cell(i))
    for r, c, value in spec["edits"]:
        if body and body[0]:
            body[r % len(body)][c % len(body[0])] = value
    sep = ";" if "semicolon" in header_edits else ","
    quote = (lambda s: f'"{s}"') if "quotes" in header_edits else (lambda s: s)
    lines = [sep.join(quote(n) for n in names)]
    for i, row in enumerate(body):
        if "ragged_long" in header_edits and i == len(body) // 2:
            row = row + ["1"]
        if "ragged_short" in header_edits and i == len(body) // 2 and row:
            row = row[:-1]
        lines.append(sep.join(row))
    if "blank_lines" in header_edits:
        lines.insert(len(lines) // 2, "")
    newline = "\r\n" if "crlf" in header_edits else "\n"
    text = newline.join(lines) + ("" if "no_newline" in header_edits else newline)
    if "latin1" in header_edits:
        data = text.encode("utf-8", "surrogatepass") + b"\xe9\xff\n"
    else:
        data = text.encode("utf-8", "surrogatepass")
    if "bom" in header_edits:
        data = b"\xef\xbb\xbf" + data
    return data, names


def _npy(spec: dict[str, Any], path: Path) -> str:
    import numpy as np

    kind = spec["npy"]
    rows, cols = max(spec["rows"], 1), max(spec["cols"] if spec["cols"] <= 100 else 3, 1)
    base = np.array(_series(rows, cols, spec["seed"]), dtype=np.float64).reshape(rows, cols)
    fmt = np.lib.format
    if kind in ("huge_header", "huge_header_1d", "truncated"):
        shape = {"huge_header": (10**6, 10**6), "huge_header_1d": (10**12,)}.get(kind, base.shape)
        with open(path, "wb") as handle:
            header = {"descr": "<f8", "fortran_order": False, "shape": shape}
            fmt.write_array_header_1_0(handle, header)
            handle.write(base.tobytes()[: 8 * max(1, base.size // 2)])
        return f".npy whose header claims shape {shape} (data truncated)"
    if kind == "npz":
        with open(path, "wb") as handle:
            np.savez(handle, a=base)
        return ".npz saved as .npy"
    if kind == "garbage":
        path.write_bytes(b"\x93NUMPY\x01\x00" + random.Random(spec["seed"]).randbytes(100))
        return "npy magic then garbage"
    arrays = {
        "ok": base,
        "ndim1": base[:, 0],
        "ndim3": base[:, :, None].repeat(2, axis=2),
        "ndim0": np.array(1.0),
        "complex": base.astype(np.complex128),
        "object": base.astype(object),
        "bool": base > 0,
        "int8": (base * 10).astype(np.int8),
        "uint64": np.abs(base * 1e6).astype(np.uint64),
        "float16": base.astype(np.float16),
        "str": base.astype(str),
        "structured": np.zeros(rows, dtype=[("a", "<f8"), ("b", "<f8")]),
        "datetime": np.zeros((rows, cols), dtype="datetime64[s]"),
        "bigendian": base.astype(">f8"),
        "fortran": np.asfortranarray(base),
        "empty": np.zeros((0, cols)),
        "zero_cols": np.zeros((rows, 0)),
        "one_col": base[:, :1],
        "nan": np.where(np.arange(base.size).reshape(base.shape) == 3, np.nan, base),
        "inf": np.where(np.arange(base.size).reshape(base.shape) == 3, np.inf, base),
        "constant": np.ones_like(base),
        "big_values": base * 1e300,
    }
    array = arrays[kind]
    if kind == "object":
        with open(path, "wb") as handle:
            np.save(handle, array, allow_pickle=True)
    else:
        with open(path, "wb") as handle:
            np.save(handle, array)
    return f".npy {kind} dtype={array.dtype} shape={array.shape}"


def build_causal(case: Case, folder: Path, fx: Fixtures) -> list[Run]:
    spec = case.spec
    kind = spec["kind"]
    inputs: list[str] = []
    notes: list[str] = []
    names: list[str] = ["x0", "x1", "x2"]
    extra: list[str] = []
    if kind in ("csv", "valid"):
        data, names = _csv_text(spec)
        (folder / "data.csv").write_bytes(data)
        data_name = "data.csv"
        notes.append(
            f"CSV {spec['rows']} rows x {spec['cols']} cols, edits {spec['edits']}, "
            f"header {spec['header']}"
        )
    elif kind == "npy":
        data_name = "data.npy"
        notes.append(_npy(spec, folder / data_name))
        names = [f"x{j}" for j in range(3)]
    elif kind == "model":
        if fx.causal_model is None or fx.causal_data is None:
            raise SkipCase(f"no causal model: {fx.failed.get('causal', '?')}")
        data_name = "data.csv"
        shutil.copyfile(fx.causal_data, folder / data_name)
        names = ["a", "b", "c"]
        mutation = spec["model_mutation"]
        if mutation is None:
            shutil.copyfile(fx.causal_model, folder / "model.pt")
            notes.append("the setup's causal model")
        else:
            data = _torch().load(fx.causal_model, weights_only=True)
            notes.append("causal model: " + apply_mutation(data, mutation))
            _save(data, folder / "model.pt")
        extra += ["--model", "model.pt"]
        inputs.append("model.pt")
    else:
        data_name = "data.csv"
        what = spec["special"]
        if what == "fifo":
            special(folder, data_name, "fifo")
        elif what == "dir":
            special(folder, data_name, "dir")
        elif what == "empty":
            special(folder, data_name, "file", b"")
        elif what == "binary":
            special(folder, data_name, "file", random.Random(spec["seed"]).randbytes(256))
        notes.append(f"data is {what}")
    inputs.append(data_name)
    argv = ["causal", data_name]
    given = {option[0] for option in spec["options"]}
    if "--max-lag" not in given:
        argv += ["--max-lag", "2" if kind != "model" else "2"]
    if "--epochs" not in given:
        argv += ["--epochs", "1"]
    if "--eval-windows" not in given:
        argv += ["--eval-windows", "20"]
    if kind == "valid":  # name the index columns the benign header edits added
        argv += ["--time-col", "t"] if "time" in spec["header"] else []
        argv += ["--regime-col", "r"] if "regime" in spec["header"] else []
    for name, pick, use_name, odd in spec["options"]:
        if name == "--exclude-self":
            argv.append(name)
            continue
        valid, strange = OPTION_VALUES[name]
        values = (valid + strange) if odd else (valid or strange)
        if name in ("--time-col", "--regime-col") and (use_name or not values) and names:
            value = names[pick % len(names)]
        else:
            value = values[pick % len(values)]
        argv += [name, value]
    if spec["truth"] is not None:
        truth = {
            "ok": {"edges": [{"source": names[0], "target": names[-1], "lag": 1}]},
            "bad": {"edges": [{"source": 1, "lag": "x"}]},
            "wrong_vars": {"edges": [{"source": "zz", "target": "qq", "lag": 99}]},
        }[spec["truth"]]
        (folder / "truth.json").write_text(json.dumps(truth))
        inputs.append("truth.json")
        argv += ["--truth", "truth.json"]
    out = spec["out"]
    if out == "fifo":
        special(folder, "outfifo", "fifo")
        argv += ["-o", "outfifo"]
    elif out == "file":
        special(folder, "outfile", "file", b"keep")
        argv += ["-o", "outfile"]
    elif out is not None:
        argv += ["-o", out]
    if spec["json"]:
        argv.append("--json")
    argv += extra + ["--quiet"]
    case.note = "; ".join(notes)
    return [Run("causal", argv, folder, inputs)]


# ============================================================================================
# Generator 3: bonds inputs
# ============================================================================================

PARAGRAPHS = (
    "First, I need to find the value of x given that 2x + 3 = 11 holds here.",
    "So 2x = 8, therefore x = 4, which follows from subtracting 3 on both sides.",
    "Wait, let me check: 2 * 4 + 3 = 11. Yes, that checks out and matches the claim.",
    "Alternatively, another approach is to try substituting values for x one by one.",
    "Hmm, actually I made a mistake earlier; going back to the second step now.",
    "The answer is 4, and the final result is consistent with every step above.",
    "Maybe we could consider the case where x is negative, what about x = -4 then?",
)
LINE_KINDS = (
    "valid",
    "valid",
    "valid",
    "think",
    "messages",
    "conversations",
    "wrong_type",
    "null",
    "list_line",
    "number_line",
    "string_line",
    "lone_surrogate",
    "raw_surrogate",
    "invalid_utf8",
    "deep_list",
    "deep_object",
    "huge_number",
    "inf_number",
    "huge_id",
    "empty_line",
    "blank_line",
    "long_line",
    "nul",
    "bom",
    "crlf",
    "empty_trace",
    "only_tags",
    "bad_messages",
    "dup_id",
    "not_json",
    "trailing_garbage",
    "nested_field",
)


def _trace_text(rng: random.Random, n: int) -> str:
    return "\n\n".join(rng.choice(PARAGRAPHS) for _ in range(max(n, 1)))


def _jsonl_line(kind: str, rng: random.Random, i: int) -> bytes:
    text = _trace_text(rng, rng.randint(2, 8))
    dump = lambda obj: json.dumps(obj).encode()  # noqa: E731
    if kind == "valid":
        return dump({"id": f"t{i}", "reasoning_content": text})
    if kind == "one_step":
        return dump({"id": f"t{i}", "reasoning_content": "So x = 4."})
    if kind == "same":
        return dump({"reasoning_content": PARAGRAPHS[0] + "\n\n" + PARAGRAPHS[1]})
    if kind == "no_cues":
        return dump({"reasoning_content": "\n\n".join(["lorem ipsum dolor sit amet " * 3] * 4)})
    if kind == "unicode_text":
        return dump({"reasoning_content": "Wait, \u00e9\U0001d518 \u202e x = 4 \u200b.\n\n" + text})
    if kind == "think":
        return dump({"text": f"<think>{text}</think>answer 4"})
    if kind == "messages":
        return dump(
            {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": text}]}
        )
    if kind == "conversations":
        return dump(
            {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": text}]}
        )
    if kind == "wrong_type":
        return dump({"reasoning_content": rng.choice([5, 1.5, True, ["a"], {"a": "b"}])})
    if kind == "null":
        return b'{"reasoning_content": null, "text": null}'
    if kind == "list_line":
        return dump([text])
    if kind == "number_line":
        return b"12345"
    if kind == "string_line":
        return dump(text)
    if kind == "lone_surrogate":
        return b'{"reasoning_content": "so \\ud800 then \\udfff wait"}'
    if kind == "raw_surrogate":
        return b'{"reasoning_content": "so \xed\xa0\x80 then"}'
    if kind == "invalid_utf8":
        return b'{"reasoning_content": "bad \xff\xfe bytes"}'
    if kind == "deep_list":
        depth = rng.choice([1000, 100_000])
        return b"[" * depth + b"]" * depth
    if kind == "deep_object":
        depth = rng.choice([1000, 50_000])
        return b'{"text": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
    if kind == "huge_number":
        return b'{"id": ' + b"9" * 5000 + b', "text": "' + text.encode() + b'"}'
    if kind == "inf_number":
        return b'{"id": 1e999, "text": "' + text.encode().replace(b"\n", b"\\n") + b'", "x": NaN}'
    if kind == "huge_id":
        return dump({"id": "i" * 100_000, "text": text})
    if kind == "empty_line":
        return b""
    if kind == "blank_line":
        return b"   \t "
    if kind == "long_line":
        size = rng.choice([1, 3]) * 1024 * 1024
        return dump({"text": ("word " * (size // 5))[:size]})
    if kind == "nul":
        return b'{"text": "a\x00b"}'
    if kind == "bom":
        return b"\xef\xbb\xbf" + dump({"text": text})
    if kind == "crlf":
        return dump({"text": text.replace("\n", "\r\n")}) + b"\r"
    if kind == "empty_trace":
        return dump({"text": rng.choice(["", " ", "\n\n\n", "<think></think>"])})
    if kind == "only_tags":
        return dump({"text": "</think><think><|begin_of_thought|>"})
    if kind == "bad_messages":
        return dump(
            {
                "messages": rng.choice(
                    [
                        "x",
                        [1, 2],
                        [{"role": "assistant"}],
                        [{"role": "assistant", "content": [1]}],
                        [],
                    ]
                )
            }
        )
    if kind == "dup_id":
        return dump({"id": "same", "text": text})
    if kind == "not_json":
        return b"{'text': 'single quotes'}"
    if kind == "trailing_garbage":
        return dump({"text": text}) + b" xyz"
    if kind == "nested_field":
        return dump(
            {
                "resp": {"text": text, "list": [text, 5]},
                "id": rng.choice([None, 5, ["a"], {"b": 1}, 1.5]),
            }
        )
    raise ValueError(kind)  # pragma: no cover


BOND_OPTIONS = {  # name: (values a valid run may use, odd values); () () for a bare flag
    "--skip-bad": ((), ()),
    "--alpha": (("0", "1", "0.5"), ("-1", "nan", "inf", "1e300", "abc")),
    "--min-chars": (("1", "40", "200"), ("0", "-1", "1000000", str(2**63), "abc")),
    "--max-chars": (("100", "1500"), ("0", "-1", "1", "5", str(2**63), "nan")),
    "--max-line-bytes": (("100000", str(16 * 2**20)), ("0", "-1", "1", "100", str(2**63), "abc")),
    "--field": (
        ("reasoning_content",),
        (
            "text",
            "",
            ".",
            "a..b",
            "messages.-1.content",
            "messages.999",
            "text.0",
            "resp.list.1",
            "resp.list.-1",
            "0",
            "resp.text",
        ),
    ),  # fmt: skip
    "--trace": (("t0", "t1"), ("missing", "", "same")),
    "--labeller": (("rules",), ("llm", "bogus", "")),
    "--json": ((), ()),
    "--force": ((), ()),
}
COMPARE_OPTIONS = {
    "--bootstrap": (("0", "1", "5"), ("-1", "nan", "1000000000")),
    "--seed": (("0", "7"), ("-1", str(2**64), "abc")),
    "--min-r": (("0", "-1"), ("1", "2", "-2", "nan", "inf")),
    "--field-b": (("reasoning_content",), ("text", "", "output")),
}
PLAN_OPTIONS = {
    "-n": (("1", "5", "100"), ("0", "-1", "1000000000", str(2**63), "nan")),
    "--seed": (("0", "7"), ("-1", str(2**64), "abc")),
    "--start": (("E", "N", "D", "R"), ("X", "", "EE", "e")),
    "--length": (("1", "3", "50"), ("0", "-1", "1000000000", "nan")),
}
VALID_LINE_KINDS = (
    "valid",
    "valid",
    "valid",
    "messages",
    "conversations",
    "think",
    "crlf",
    "one_step",
    "same",
    "same",
    "no_cues",
    "unicode_text",
)


def bonds_strategy():  # noqa: ANN201
    from hypothesis import strategies as st

    def opts(table: dict, odd: bool):  # noqa: ANN202
        item = st.tuples(st.sampled_from(sorted(table)), st.integers(0, 100), st.just(odd))
        return st.lists(item, max_size=2)

    report_mutation = st.one_of(
        st.tuples(st.just("delete"), st.lists(st.integers(0, 63), max_size=4)),
        st.tuples(
            st.just("replace"),
            st.lists(st.integers(0, 63), max_size=4),
            st.sampled_from(ODD_VALUES),
        ),
        st.tuples(
            st.just("add"),
            st.lists(st.integers(0, 63), max_size=3),
            st.just("extra"),
            st.sampled_from(ODD_VALUES),
        ),
    )

    @st.composite
    def spec(draw):
        command = draw(st.sampled_from(["analyze", "analyze", "compare", "plan", "plan"]))
        valid = draw(st.sampled_from([True, False, False]))
        kinds = VALID_LINE_KINDS if valid else LINE_KINDS
        lines = st.lists(st.sampled_from(kinds), min_size=1 if valid else 0, max_size=6)
        table = {"compare": COMPARE_OPTIONS, "plan": PLAN_OPTIONS}.get(command, {})
        out: dict[str, Any] = {"command": command, "valid": valid}
        out["seed"] = draw(st.integers(0, 2**16))
        out["lines"] = draw(lines)
        if command == "compare":
            out["lines_b"] = draw(lines)
        if valid:
            out["options"] = draw(opts(BOND_OPTIONS, False))
            out["extra"] = draw(opts(table, False)) if table else []
            out["file_kind"] = "jsonl"
            out["report"] = draw(st.sampled_from(["valid", "jsonl"]))
            out["out"] = "out"
        else:
            out["options"] = draw(st.one_of(opts(BOND_OPTIONS, True), opts(BOND_OPTIONS, False)))
            out["extra"] = draw(st.one_of(opts(table, True), opts(table, False))) if table else []
            out["file_kind"] = draw(
                st.sampled_from(["jsonl"] * 6 + ["fifo", "dir", "missing", "empty", "binary"])
            )
            out["report"] = draw(st.sampled_from(["mutate", "mutate", "raw", "jsonl"]))
            if out["report"] == "mutate":
                out["report_mutations"] = draw(st.lists(report_mutation, min_size=1, max_size=3))
            if out["report"] == "raw":
                out["report_raw"] = draw(
                    st.sampled_from(
                        ["truncate", "nan", "list", "deep", "not_utf8", "empty", "huge_int"]
                    )
                )
            out["out"] = draw(
                st.sampled_from(["out", "out", "out", "fifo", "file", "missing/out", "input"])
            )
        return out

    return spec()


def _jsonl_file(kinds: list[str], seed: int) -> bytes:
    rng = random.Random(seed)
    return b"\n".join(_jsonl_line(k, rng, i) for i, k in enumerate(kinds)) + b"\n"


def build_bonds(case: Case, folder: Path, fx: Fixtures) -> list[Run]:
    spec = case.spec
    command = spec["command"]
    notes: list[str] = []
    inputs: list[str] = []

    def traces(name: str, kinds: list[str], seed: int) -> str:
        kind = spec["file_kind"]
        if kind == "jsonl" or name != "a.jsonl":
            (folder / name).write_bytes(_jsonl_file(kinds, seed))
            notes.append(f"{name}: lines {kinds}")
        elif kind == "fifo":
            special(folder, name, "fifo")
        elif kind == "dir":
            special(folder, name, "dir")
        elif kind == "empty":
            special(folder, name, "file", b"")
        elif kind == "binary":
            special(folder, name, "file", random.Random(seed).randbytes(512))
        if kind != "missing" or name != "a.jsonl":
            inputs.append(name)
        else:
            notes.append(f"{name} missing")
        return name

    if command == "plan":
        argv = ["bonds", "plan", "--from"]
        if spec["report"] == "jsonl":
            argv.append(traces("a.jsonl", spec["lines"], spec["seed"]))
        else:
            if fx.bonds_report is None:
                raise SkipCase(f"no bonds report: {fx.failed.get('bonds', '?')}")
            raw = fx.bonds_report.read_bytes()
            if spec["report"] == "valid":
                blob = raw
                notes.append("the setup's report")
            elif spec["report"] == "mutate":
                data = json.loads(raw)
                for mutation in spec["report_mutations"]:
                    notes.append("report: " + apply_mutation(data, mutation))
                text = json.dumps(data, allow_nan=True, default=repr, ensure_ascii=False)
                blob = text.encode("utf-8", "surrogatepass")
            else:
                how = spec["report_raw"]
                blob = {
                    "truncate": raw[: len(raw) // 2],
                    "nan": raw.replace(b'"format"', b'"nan": NaN, "format"', 1),
                    "list": b"[" + raw + b"]",
                    "deep": b"[" * 100_000 + b"]" * 100_000,
                    "not_utf8": raw[:20] + b"\xff\xfe" + raw[20:],
                    "empty": b"",
                    "huge_int": raw.replace(b'"format"', b'"n": ' + b"9" * 5000 + b', "format"', 1),
                }[how]
                notes.append(f"report: {how}")
            (folder / "report.json").write_bytes(blob)
            inputs.append("report.json")
            argv.append("report.json")
        table = PLAN_OPTIONS
    elif command == "compare":
        a = traces("a.jsonl", spec["lines"], spec["seed"])
        b = traces("b.jsonl", spec["lines_b"] or ["valid", "valid"], spec["seed"] + 1)
        argv = ["bonds", "compare", a, b]
        if not any(o[0] == "--bootstrap" for o in spec["extra"]):
            argv += ["--bootstrap", "5"]  # the default 1000 resamples is slow for a fuzz case
        table = COMPARE_OPTIONS
    else:
        argv = ["bonds", "analyze", traces("a.jsonl", spec["lines"], spec["seed"])]
        table = {}
    for name, pick, odd in spec["options"]:
        if name == "--trace" and command != "analyze":
            continue
        valid, strange = BOND_OPTIONS[name]
        values = (valid + strange) if odd else valid
        argv += [name, values[pick % len(values)]] if values else [name]
    for name, pick, odd in spec["extra"]:
        valid, strange = table[name]
        values = (valid + strange) if odd else valid
        argv += [name, values[pick % len(values)]]
    out = spec["out"]
    default = "plans.jsonl" if command == "plan" else "out"
    target = {
        "out": default,
        "fifo": special(folder, "outfifo", "fifo") if out == "fifo" else "",
        "file": special(folder, "outfile", "file", b"keep") if out == "file" else "",
        "missing/out": "missing/out",
        "input": inputs[0] if inputs else default,
    }[out]
    argv += ["-o", target]
    case.note = "; ".join(notes)
    return [Run(f"bonds {command}", argv, folder, inputs)]


# ============================================================================================
# Generator 4: command-line options
# ============================================================================================

OUTPUT_TARGETS = (
    "prog.py",
    "fifo",
    "model.pt",
    "folder",
    "missing/p.py",
    "exists.py",
    "link_to_model.py",
    "dangling.py",
    "",
    ".",
    "prog.py/",
    "x" * 300 + ".py",
    "a\nb.py",
    "-",
    "same",
)
PASS_LISTS = (
    "infer_domains,nonsense",
    "",
    ",",
    "emit",
    "emit,emit",
    "simplify",
    "mlp_symbolic",
    "prune,infer_domains",
    "simplify,infer_domains,attention_patterns",
    "infer_domains,attention_patterns,prune,mlp_symbolic,simplify,emit,simplify",
    "attention_patterns,mlp_symbolic",
    "INFER_DOMAINS",
    " infer_domains ",
)
PROGRAMS = {
    "raises.py": "def program(xs):\n    raise ValueError('no')\n",
    "noprog.py": "x = 1\n",
    "exit0.py": "import sys\nsys.exit(0)\n",
    "osexit.py": "import os\nos._exit(0)\n",
    "wrong.py": "def program(xs):\n    return [0 for _ in xs]\n",
    "badsyntax.py": "def program(xs)\n",
    "none.py": "def program(xs):\n    return None\n",
    "short.py": "def program(xs):\n    return []\n",
    "strings.py": "def program(xs):\n    return ['a' for _ in xs]\n",
    "nan.py": "def program(xs):\n    return [float('nan') for _ in xs]\n",
    "huge.py": "def program(xs):\n    return [10**400 for _ in xs]\n",
    "loop.py": "def program(xs):\n    while True:\n        pass\n",
    "import_loop.py": "while True:\n    pass\n",
    "empty.py": "",
    "kbint.py": "def program(xs):\n    raise KeyboardInterrupt\n",
    "sysexit_call.py": "import sys\ndef program(xs):\n    sys.exit(3)\n",
}
TASK_HEAD = (
    "import numpy as np\nimport sympy\nfrom w2c.tasks import Bits, IntRange, Task, x_sym\n"
    "x0, x1 = x_sym(0), x_sym(1)\n"
    "def prev(x):\n    out = np.zeros_like(x)\n    out[:, 1:] = x[:, :-1]\n    return out\n"
)
ORACLES = {  # a task with and_last2's signature whose oracle or reference misbehaves
    "ok": "lambda x: x[..., 0] * prev(x[..., 0])",
    "nan": "lambda x: np.full(x.shape[:2], np.nan)",
    "inf": "lambda x: np.full(x.shape[:2], np.inf)",
    "shape": "lambda x: x[..., 0][:, :1]",
    "list": "lambda x: [[0]]",
    "none": "lambda x: None",
    "str": "lambda x: np.full(x.shape[:2], 'a', dtype=object)",
    "raise": "lambda x: 1 / 0",
    "exit": "lambda x: __import__('sys').exit(0)",
    "osexit": "lambda x: __import__('os')._exit(3)",
    "kbint": "lambda x: (_ for _ in ()).throw(KeyboardInterrupt())",
    "recursion": "(lambda f: lambda x: f(f, x))(lambda f, x: f(f, x))",
    "bigint": "lambda x: np.full(x.shape[:2], 2**62, dtype=np.int64)",
    "complex": "lambda x: x[..., 0] + 1j",
    "float16": "lambda x: (x[..., 0] * prev(x[..., 0])).astype(np.float16)",
    "3d": "lambda x: x",
}
REFERENCES = {
    "ok": "x0 * x1",
    "wrong": "x0 + x1",
    "nan": "sympy.nan",
    "zoo": "sympy.zoo",
    "unknown": "sympy.Symbol('z[t]')",
    "lag300": "x_sym(300)",
    "none": "None",
    "huge": "x0 ** 1000",
    "piecewise": "sympy.Piecewise((x0, x1 > 0), (1 / x0, True))",
}


def _task_file(oracle: str, reference: str) -> str:
    return (
        TASK_HEAD
        + f"T = Task('and_last2', (Bits(),), {ORACLES[oracle]}, "
        + f"reference={REFERENCES[reference]})\n"
    )


TASK_FILES = {
    "task_x.py": "x = 1\n",
    "task_exit.py": "import sys\nsys.exit(0)\n",
    "task_raise.py": "raise RuntimeError('task file')\n",
    **{f"task_{o}.py": _task_file(o, "ok") for o in ORACLES},
    **{f"task_ref_{r}.py": _task_file("ok", r) for r in REFERENCES},
}
TASK_VALUES = (
    *(f"task_{o}.py:T" for o in ORACLES),
    *(f"task_ref_{r}.py:T" for r in REFERENCES),
    "and_last2",
    "sum_last2",
    "nope",
    "",
    ":",
    "missing.py:T",
    "task_x.py:x",
    "task_x.py:NOPE",
    "task_exit.py:T",
    "task_raise.py:T",
    "model.pt:T",
    "fifo:T",
)
ODD_FILE_NAMES = ("m\udcff.pt", "-m.pt", "a b.pt", "x" * 250 + ".pt", "m\n.pt", "ü.pt", "m:1.pt")
TIMEOUTS = ("nan", "0", "-1", "inf", "1e-9", "1e300", "abc", "1", "")
MAX_MEMORY = ("1K", "abc", "0", "-5", "nan", "1e3M", "10T", "1G", "512M", "", "1M", "2G", "inf")


def options_strategy():  # noqa: ANN201
    from hypothesis import strategies as st

    atom = st.tuples(st.integers(0, 10**6), st.integers(0, 10**6))
    return st.fixed_dictionaries(
        {
            "command": st.sampled_from(
                ["compile"] * 4
                + ["compile --task"] * 2
                + ["verify"] * 3
                + ["inspect"] * 2
                + ["train", "corpus train", "corpus bench", "global", "global"]
            ),
            "atoms": st.lists(atom, min_size=1, max_size=4),
            "memory": st.one_of(st.none(), st.none(), st.sampled_from(MAX_MEMORY)),
            "program": st.sampled_from(
                ["ref.py"] * 3 + sorted(PROGRAMS) + ["missing.py", "folder", "fifo", "model.pt"]
            ),
            "model": st.sampled_from(
                ["model.pt"] * 6 + ["other.pt", "fifo", "missing.pt", *ODD_FILE_NAMES]
            ),
            "base": st.sampled_from(QUICK_BASES),
        }
    )


def _options_fixtures(folder: Path, base: str, fx: Fixtures) -> list[str]:
    shutil.copyfile(MODELS / f"{base}.pt", folder / "model.pt")
    for name in ODD_FILE_NAMES:  # the same model under names that are hard to print or parse
        shutil.copyfile(MODELS / f"{base}.pt", folder / name)
    other = "or_last2" if base != "or_last2" else "and_last2"
    shutil.copyfile(MODELS / f"{other}.pt", folder / "other.pt")
    special(folder, "fifo", "fifo")
    special(folder, "folder", "dir")
    special(folder, "exists.py", "file", b"# an existing file\n")
    special(folder, "link_to_model.py", "symlink:model.pt")
    special(folder, "dangling.py", "symlink:nowhere/missing.py")
    for name, text in {**PROGRAMS, **TASK_FILES}.items():
        (folder / name).write_text(text)
    program = fx.programs.get(base)
    if program is not None:
        shutil.copyfile(program, folder / "ref.py")
    return ["model.pt", "other.pt", "ref.py", *ODD_FILE_NAMES, *PROGRAMS, *TASK_FILES]


def _pick(values: tuple, index: int) -> Any:
    return values[index % len(values)]


def build_options(case: Case, folder: Path, fx: Fixtures) -> list[Run]:
    spec = case.spec
    command = spec["command"]
    base = spec["base"]
    protected = _options_fixtures(folder, base, fx)
    argv: list[str] = []
    if spec["memory"] is not None:
        argv += ["--max-memory", spec["memory"]]
    atoms = spec["atoms"]

    def out_target(i: int) -> str:
        target = _pick(OUTPUT_TARGETS, i)
        return "prog.py" if target == "same" else target

    if command == "compile":
        argv += ["compile", spec["model"]]
        output = None
        for a, b in atoms:
            choice = a % 12
            if choice == 0:
                output = out_target(b)
                argv += ["-o", output]
            elif choice == 1:
                target = _pick(OUTPUT_TARGETS, b)
                argv += ["--report", output if target == "same" and output else target]
            elif choice == 2:
                argv += ["--passes", _pick(PASS_LISTS, b)]
            elif choice == 3:
                argv += ["--print-ir-after", _pick(PASSES + ("all", "bogus", "", "lower"), b)]
            elif choice == 4:
                argv += ["--sr-backend", _pick(("library", "operon", "bogus", "", "LIBRARY"), b)]
            elif choice == 5:
                argv += ["--task", _pick(TASK_VALUES, b)]
            elif choice == 6:
                argv += [
                    _pick(
                        ("--force", "--json", "-q", "--timings", "--numpy-twin", "--emit-tests"), b
                    )
                ]
            elif choice == 7:
                argv += [
                    _pick(
                        (
                            "--bogus",
                            "--force=yes",
                            "-o",
                            "--passes",
                            "--help",
                            "-x",
                            "--",
                            "--json=1",
                        ),
                        b,
                    )
                ]
            elif choice == 8:
                argv += ["-o", "model.pt", "--force"]
            elif choice == 9:
                argv += ["-o", "r.html", "--report", "r.html"]
            else:
                argv += ["-o", out_target(b), "-q"]
    elif command == "compile --task":
        argv += ["compile", spec["model"], "-o", "prog.py", "-q"]
        argv += ["--task", _pick(TASK_VALUES, atoms[0][0])]
        for a, b in atoms[1:]:
            argv += [_pick(("--force", "--json", "--numpy-twin", "--emit-tests"), a + b)]
    elif command == "verify":
        argv += ["verify", spec["program"], spec["model"]]
        timeout_given = False
        for a, b in atoms:
            choice = a % 4
            if choice == 0:
                argv += ["--timeout", _pick(TIMEOUTS, b)]
                timeout_given = True
            elif choice == 1:
                argv += ["--task", _pick(TASK_VALUES, b)]
            elif choice == 2:
                argv += ["--json"]
            else:
                argv += [_pick(("--bogus", "--timeout", "-o", "x.py", "--force"), b)]
        if spec["program"] in ("loop.py", "import_loop.py") and not timeout_given:
            argv += ["--timeout", "2"]  # without --timeout there is no limit, by design
    elif command == "inspect":
        argv += ["inspect", spec["model"]]
        special(folder, "plots_full", "dir")
        special(folder, "plots_full/annealing.png", "file", b"old")
        for a, b in atoms:
            choice = a % 4
            if choice == 0:
                plot = _pick(
                    (
                        "plots",
                        "plots_full",
                        "fifo",
                        "exists.py",
                        "missing/plots",
                        "model.pt",
                        "",
                        "folder",
                        "link_to_model.py",
                    ),
                    b,
                )
                argv += ["--plot", plot]
            elif choice == 1:
                argv += ["--json"]
            elif choice == 2:
                argv += ["--force"]
            else:
                argv += [_pick(("--bogus", "--plot", "-o", "x"), b)]
    elif command == "train":
        # Every variant must stop before training (training takes minutes): the output is
        # always one that w2c must refuse, and --force is never given.
        task = _pick(
            ("and_last2", "bogus", "", "task_x.py:x", "missing.py:T", "task_exit.py:T"), atoms[0][0]
        )
        blocked = _pick(
            ("exists.py", "fifo", "folder", "missing/x.pt", "model.pt", "link_to_model.py"),
            atoms[0][1],
        )
        argv += ["train", task, "-o", blocked, "-q"]
        for a, b in atoms[1:]:
            if a % 2 == 0:
                argv += ["--steps", _pick(("-5", "0", "nan", "abc", "1e3", str(10**20), ""), b)]
            else:
                argv += ["--seed", _pick(("-1", "abc", str(2**70), "nan", "0"), b)]
    elif command == "corpus train":
        special(folder, "models", "dir")
        shutil.copyfile(MODELS / "and_last2.pt", folder / "models" / "and_last2.pt")
        protected.append("models/and_last2.pt")
        only = _pick(("and_last2", "bogus", "", "AND_LAST2"), atoms[0][0])
        out = _pick(("models", "fifo", "exists.py", "missing/models"), atoms[0][1])
        argv += ["corpus", "train", "--out", out, "--only", only, "-q"]
        if out == "models" and only in ("", "AND_LAST2"):
            argv[-3:-1] = ["--only", "and_last2"]  # must stop before training: the file exists
        for _a, b in atoms[1:]:
            argv += ["--seed", _pick(("-1", "abc", str(2**70), "nan"), b)]
    elif command == "corpus bench":
        special(folder, "board_full", "dir")
        special(folder, "board_full/scoreboard.md", "file", b"old")
        special(folder, "models_empty", "dir")
        only = _pick(("and_last2", "bogus", ""), atoms[0][0])
        out = _pick(
            ("board", "board_full", "fifo", "exists.py", "missing/board", "model.pt"), atoms[0][1]
        )
        argv += ["corpus", "bench", "--only", only, "--out", out, "-q"]
        for _a, b in atoms[1:]:
            argv += _pick(
                (
                    ["--models", "models_empty"],
                    ["--models", "missing"],
                    ["--models", "fifo"],
                    ["--force"],
                    ["--seed", "-1"],
                    ["--bogus"],
                ),
                b,
            )
    else:  # global options
        choice = atoms[0][0] % 6
        argv += [
            ["--version"],
            ["--version", "inspect", "model.pt"],
            ["--help"],
            [],
            ["nonsense"],
            ["inspect", "model.pt", "--max-memory", "1G"],
        ][choice]
        if spec["memory"] is not None and choice in (0, 3):
            argv += ["inspect", "model.pt"]
    case.note = f"base {base}"
    return [Run(command, argv, folder, [p for p in protected if (folder / p).exists()])]


# ============================================================================================
# Setup, drawing and the driver
# ============================================================================================

STRATEGIES: dict[str, Callable[..., Any]] = {
    "checkpoint": checkpoint_strategy,
    "causal": causal_strategy,
    "bonds": bonds_strategy,
    "options": options_strategy,
}
BUILDERS = {
    "checkpoint": build_checkpoint,
    "causal": build_causal,
    "bonds": build_bonds,
    "options": build_options,
}


def draw(gen: str, n: int, seed: int, bases: tuple[str, ...], first: int = 0) -> list[Any]:
    """Specs ``first .. n-1`` of a generator: hypothesis, derandomized, seeded, nothing stored.

    Case i is drawn by its own hypothesis run, seeded by (generator, seed, i), so it is the same
    case whatever the budget (``--case NAME`` rebuilds exactly that one), and consecutive cases
    are independent (one long run mostly mutates its previous examples).
    """
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    strategy = STRATEGIES[gen](bases) if gen == "checkpoint" else STRATEGIES[gen]()
    config = settings(
        max_examples=2,  # the first example is the all-minimal one; the second is random
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    specs: list[Any] = []
    for i in range(first, n):
        drawn: list[Any] = []
        digest = hashlib.sha256(f"{gen}:{seed}:{i}".encode()).digest()

        @hseed(int.from_bytes(digest[:8], "big"))
        @config
        @given(strategy)
        def collect(spec: Any) -> None:
            drawn.append(spec)  # noqa: B023 - called right here, before the loop moves on

        collect()
        specs.append(drawn[-1])
    return specs


def _causal_fixture_csv() -> bytes:
    rows = _series(160, 3, 7)
    lines = ["a,b,c"] + [",".join(repr(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def setup_runs(root: Path, gens: list[str], bases: set[str]) -> dict[str, Run]:
    """The fixture runs (each must exit 0): reference programs, a causal model, a report."""
    runs: dict[str, Run] = {}
    shared = root / "_shared"
    shared.mkdir(parents=True, exist_ok=True)
    if "checkpoint" in gens or "options" in gens:
        for base in sorted(bases):
            folder = shared / f"program-{base}"
            folder.mkdir(exist_ok=True)
            argv = ["compile", str(MODELS / f"{base}.pt"), "-o", "ref.py", "-q"]
            runs[base] = Run(f"setup {base}", argv, folder)
    if "causal" in gens:
        folder = shared / "causal"
        folder.mkdir(exist_ok=True)
        (folder / "data.csv").write_bytes(_causal_fixture_csv())
        argv = ["causal", "data.csv", "--max-lag", "2", "--epochs", "1", "--eval-windows", "20"]
        runs["causal"] = Run("setup causal", argv + ["-o", "out", "--quiet"], folder)
    if "bonds" in gens:
        folder = shared / "bonds"
        folder.mkdir(exist_ok=True)
        shutil.copyfile(EXAMPLES / "bonds" / "r1_math.jsonl", folder / "r1.jsonl")
        runs["bonds"] = Run("setup bonds", ["bonds", "analyze", "r1.jsonl", "-o", "out"], folder)
    return runs


def record_setup(fx: Fixtures, key: str, run: Run, out: Outcome) -> None:
    if out.exit_code not in (0,):
        fx.failed[key] = f"exit {out.exit_code}: {_last_line(out.stderr)}"
        return
    if key == "causal":
        fx.causal_model = run.folder / "out" / "model.pt"
        fx.causal_data = run.folder / "data.csv"
    elif key == "bonds":
        fx.bonds_report = run.folder / "out" / "report.json"
    else:
        fx.programs[key] = run.folder / "ref.py"


@dataclass
class Result:
    case: str
    gen: str
    label: str
    argv: list[str]
    folder: str
    note: str
    exit_code: int | None
    signal: int | None
    seconds: float
    max_rss_mb: float
    last_stderr: str
    problems: list[str]

    def command(self) -> str:
        return "w2c " + shlex.join(self.argv)


def run_all(
    root: Path,
    gens: list[str],
    cases: int | dict[str, int],
    seed: int = 0,
    seconds: float = 600.0,
    workers: int = 2,
    limits: Limits | None = None,
    bases: tuple[str, ...] = QUICK_BASES,
    only_case: str | None = None,
    log: Callable[[str], None] = print,
    pinned: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Draw, build and run every case; returns a JSON-able summary with every result."""
    start = time.monotonic()
    limits = limits or Limits()
    missing = preload()
    if missing:
        log(f"fuzz: not preloaded: {', '.join(missing)}")
    counts = cases if isinstance(cases, dict) else {g: cases for g in gens}
    queue: list[Case] = []
    if only_case is not None:
        gen, index = only_case.rsplit("-", 1)
        queue.append(
            Case(
                gen,
                int(index),
                draw(gen, int(index) + 1, seed, bases, int(index))[0],
                BUILDERS[gen],
            )
        )
    else:
        specs = {g: draw(g, counts.get(g, 0), seed, bases) for g in gens}
        for i in range(max((len(s) for s in specs.values()), default=0)):
            for g in gens:  # interleaved, so a time budget cuts every generator alike
                if i < len(specs[g]):
                    queue.append(Case(g, i, specs[g][i], BUILDERS[g]))
    for item in pinned:  # "GEN-NNNN@SEED": a case another seed drew, run first
        name, _, pin_seed = item.partition("@")
        gen, index = name.rsplit("-", 1)
        at, pin = int(index), int(pin_seed or seed)
        spec = draw(gen, at + 1, pin, bases, at)[0]
        queue.insert(0, Case(gen, at, spec, BUILDERS[gen], seed=pin))
    gens = list(dict.fromkeys([*gens, *(c.gen for c in queue)]))  # pinned cases need setup too
    used = {c.spec["base"] for c in queue if c.gen in ("checkpoint", "options")}
    server = ForkServer(root, limits, workers)

    def terminate(signum: int, _frame: Any) -> None:  # killed from outside: take the runs along
        for pid in list(server.running):
            server._killpg(pid)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    fx = Fixtures(root)
    setup = setup_runs(root, gens, used)
    results: list[Result] = []
    for key, run in setup.items():  # fixtures first; they are checked like every case
        while server.full():
            for (k, r), out in server.wait():
                record_setup(fx, k, r, out)
                results.append(_result(Case("setup", 0, None, build_options), r, out, {}, {}))
        server.start((key, run), run.argv, run.folder)
    while server.running:
        for (k, r), out in server.wait():
            record_setup(fx, k, r, out)
            results.append(_result(Case("setup", 0, None, build_options), r, out, {}, {}))
    log(f"fuzz: setup done in {time.monotonic() - start:.0f} s; {len(queue)} cases queued")
    launch_until = start + seconds
    pending: list[tuple[Case, Run]] = []
    skipped: Counter[str] = Counter()
    not_run: Counter[str] = Counter()
    befores: dict[int, dict[str, Entry]] = {}
    qi = 0
    while qi < len(queue) or pending or server.running:
        while not server.full() and (pending or qi < len(queue)):
            if time.monotonic() > launch_until:
                break
            if not pending:
                case = queue[qi]
                qi += 1
                folder = root / case.gen / case.name
                folder.mkdir(parents=True, exist_ok=True)
                try:
                    runs = case.build(case, folder, fx)
                except SkipCase as exc:
                    skipped[case.gen] += 1
                    log(f"fuzz: skipped {case.name}: {exc}")
                    continue
                except Exception as exc:  # a generator bug: show it, do not hide the case
                    results.append(_builder_failure(case, folder, exc))
                    continue
                pending.extend((case, r) for r in runs)
            case, run = pending.pop(0)
            befores[id(run)] = snapshot(run.folder)
            server.start((case, run), run.argv, run.folder)
        if time.monotonic() > launch_until and not server.running:
            break
        if server.running:
            for (case, run), out in server.wait():
                before = befores.pop(id(run))
                results.append(_result(case, run, out, before, snapshot(run.folder)))
        elif time.monotonic() > launch_until:
            break
    for case, _run in pending:
        not_run[case.gen] += 1
    for case in queue[qi:]:
        not_run[case.gen] += 1
    elapsed = time.monotonic() - start
    return {
        "seed": seed,
        "seconds": elapsed,
        "root": str(root),
        "results": [r.__dict__ for r in results],
        "skipped": dict(skipped),
        "not_run": dict(not_run),
        "setup_failed": fx.failed,
    }


def _builder_failure(case: Case, folder: Path, exc: Exception) -> Result:
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return Result(
        case.name, case.gen, "build", [], str(folder), repr(case.spec), None, None, 0.0, 0.0,
        "", [f"the fuzz generator failed to build the case: {detail}"],
    )  # fmt: skip


def _result(case: Case, run: Run, out: Outcome, before: dict, after: dict) -> Result:
    problems = check(run, out, before, after)
    if case.gen == "setup" and out.exit_code != 0:
        problems.append(f"setup run exited {out.exit_code}, expected 0")
    return Result(
        case.name if case.gen != "setup" else run.label,
        case.gen,
        run.label,
        run.argv,
        str(run.folder),
        case.note,
        out.exit_code,
        out.signal,
        round(out.seconds, 2),
        round(out.max_rss_mb, 1),
        _last_line(out.stderr)[:300],
        problems,
    )


# ============================================================================================
# Reporting
# ============================================================================================


def failures(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in summary["results"] if r["problems"]]


def describe(result: dict[str, Any]) -> str:
    code = result["exit_code"] if result["signal"] is None else f"signal {result['signal']}"
    lines = [
        f"[{result['case']} {result['label']}] exit {code}: {'; '.join(result['problems'])}",
        f"    argv: w2c {shlex.join(result['argv'])}",
        f"    in:   {result['folder']}",
    ]
    if result["note"]:
        lines.append(f"    case: {result['note'][:400]}")
    if result["last_stderr"]:
        lines.append(f"    last stderr line: {result['last_stderr'][:300]}")
    text = "\n".join(lines)  # file names may be surrogate-escaped bytes: print them escaped
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def table(summary: dict[str, Any]) -> str:
    """Per generator: runs, exit-code counts, failures (plus skipped and not run)."""
    rows = []
    by_gen: dict[str, list[dict[str, Any]]] = {}
    for r in summary["results"]:
        by_gen.setdefault(r["gen"], []).append(r)
    header = f"{'generator':<11} {'cases':>5} {'runs':>5} {'failed':>6}  exit codes"
    rows.append(header)
    rows.append("-" * len(header))
    for gen in ["setup", *GENERATORS]:
        results = by_gen.get(gen, [])
        if not results and gen == "setup":
            continue
        codes = Counter(
            str(r["exit_code"]) if r["signal"] is None else f"sig{r['signal']}" for r in results
        )
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(codes.items()))
        n_cases = len({r["case"] for r in results})
        failed = sum(1 for r in results if r["problems"])
        extra = []
        if summary["skipped"].get(gen):
            extra.append(f"skipped {summary['skipped'][gen]}")
        if summary["not_run"].get(gen):
            extra.append(f"not run (time) {summary['not_run'][gen]}")
        tail = f"  ({'; '.join(extra)})" if extra else ""
        rows.append(f"{gen:<11} {n_cases:>5} {len(results):>5} {failed:>6}  {shown}{tail}")
    return "\n".join(rows)


def summary_line(summary: dict[str, Any]) -> str:
    results = summary["results"]
    cases = len({(r["gen"], r["case"]) for r in results if r["gen"] != "setup"})
    runs = sum(1 for r in results if r["gen"] != "setup")
    bad = failures(summary)
    return (
        f"fuzz: {cases} cases, {runs} runs, {len(bad)} failing runs in "
        f"{summary['seconds']:.0f} s (seed {summary['seed']})"
    )


def main(argv: list[str] | None = None, defaults: dict[str, Any] | None = None) -> int:
    d = {"cases": 25, "seconds": 600.0, "cpu": 120, "wall": 150.0, "workers": 2}
    d.update(defaults or {})
    parser = argparse.ArgumentParser(description="Fuzz the w2c command line (tests/fuzz_cases.py).")
    parser.add_argument("--cases", type=int, default=d["cases"], help="cases per generator")
    parser.add_argument(
        "--seconds", type=float, default=d["seconds"], help="stop launching after this"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", action="append", choices=GENERATORS, help="just these generators")
    parser.add_argument("--case", help="run one case by name, e.g. checkpoint-0007")
    parser.add_argument(
        "--pin", action="append", default=[], help="also run GEN-NNNN@SEED (repeatable)"
    )
    parser.add_argument("--workers", type=int, default=d["workers"])
    parser.add_argument("--cpu", type=int, default=d["cpu"], help="RLIMIT_CPU per run (s)")
    parser.add_argument("--wall", type=float, default=d["wall"], help="wall-clock kill per run (s)")
    parser.add_argument("--memory", type=float, default=3.0, help="RLIMIT_DATA per run (GiB)")
    parser.add_argument("--all-bases", action="store_true", help=f"mutate {', '.join(BASES)}")
    parser.add_argument("--root", type=Path, help="case folders go here (kept)")
    parser.add_argument("--json", type=Path, help="write the full results here")
    parser.add_argument("--quiet", action="store_true", help="only the table and failures")
    args = parser.parse_args(argv)
    gens = args.only or list(GENERATORS)
    if args.case and "@" in args.case:  # a case of another seed: run it as a pinned one
        args.pin.append(args.case)
        args.case, args.cases = None, 0
    if args.case:
        gens = [args.case.rsplit("-", 1)[0]]
    root = args.root or Path(tempfile.mkdtemp(prefix="w2c-fuzz-"))
    root.mkdir(parents=True, exist_ok=True)
    limits = Limits(int(args.memory * GiB), args.cpu, args.wall)
    summary = run_all(
        root.resolve(),
        gens,
        args.cases,
        seed=args.seed,
        seconds=args.seconds,
        workers=args.workers,
        limits=limits,
        bases=BASES if args.all_bases else QUICK_BASES,
        only_case=args.case,
        pinned=tuple(args.pin),
        log=(lambda _m: None) if args.quiet else (lambda m: print(m, flush=True)),
    )
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1, default=repr))
    print(table(summary))
    bad = failures(summary)
    for result in bad:
        print(describe(result))
    print(summary_line(summary))
    if args.root is None and not bad:
        shutil.rmtree(root, ignore_errors=True)
    else:
        print(f"fuzz: case folders kept in {root}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
