"""The MIPS benchmark (62 tasks) and the suite's own tasks: train from scratch, compile, tabulate.

    python benchmarks/suite/run.py [--tasks a,b] [--budget SECONDS] [--jobs 2] [--cache DIR]
                                   [--own] [--seed N] [--compile-limit SECONDS]
                                   [--tasks-at-once 1] [--try-unreachable]
                                   [--executor local|ray] [--ray-address ADDRESS]

Each task is trained with the project's one model search (worker.train_model: ``--jobs``
attempts at a time, stopped by the search itself at ``--budget`` seconds; the child process is
killed only if it overruns that by GRACE seconds), then compiled and verified against its task file
(worker.compile_checkpoint). Results are cached per task and the run resumes where it stopped;
the table goes to stdout and to ``<cache>/table-<mips|own>.md``, the evidence summary (every
unmatched head, unfitted sub-MLP and fallback node) to ``<cache>/evidence-<mips|own>.json``.
With ``--executor ray`` the attempts are Ray tasks (``w2c train --executor ray``): on the cluster
at ``--ray-address``, else on one local Ray instance this run starts and every task's child
joins.
Columns and totals: benchmarks/suite/README.md. Never asserts; exit 0 unless interrupted (130)
or given bad arguments (2).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cache  # noqa: E402
import catalogue  # noqa: E402
import report  # noqa: E402

WORKER = HERE / "worker.py"
DEFAULT_BUDGET = 300.0
DEFAULT_COMPILE_LIMIT = 600.0
GRACE = 300.0  # seconds past the budget for the search to stop its attempts and save


class Interrupted(Exception):
    """The run is stopping: a step cut short now must not be cached as its outcome."""


class Children:
    """The child processes this run started, each in a process group of its own."""

    def __init__(self) -> None:
        self.live: set[subprocess.Popen[bytes]] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def run(self, command: list[str], log: Path, limit: float) -> tuple[int | None, float]:
        """Run ``command`` for at most ``limit`` s: (exit code or None when stopped, seconds)."""
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        began = time.monotonic()
        with log.open("wb") as sink:
            with self.lock:  # no new child once the run is stopping
                if self.stopping.is_set():
                    raise Interrupted
                process = subprocess.Popen(
                    command, stdout=sink, stderr=sink, env=env, start_new_session=True
                )
                self.live.add(process)
            try:
                code: int | None = process.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                self.kill(process)
                code = None
            finally:
                with self.lock:
                    self.live.discard(process)
        if self.stopping.is_set():
            raise Interrupted
        return code, time.monotonic() - began

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        """Stop the child and everything it started (its own process group)."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()

    def stop_all(self) -> None:
        self.stopping.set()
        with self.lock:
            live = list(self.live)
        for process in live:
            self.kill(process)


def _outcome(path: Path, code: int | None, log: Path) -> dict[str, Any]:
    """The step's JSON outcome, or an error naming how the child ended."""
    if path.is_file():
        data = json.loads(path.read_text())
        path.unlink()
        return data
    tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.is_file() else []
    return {"error": f"the child exited with {code}: {' '.join(tail)[:300]}"}


class Runner:
    def __init__(self, args: argparse.Namespace, store: cache.Store, children: Children) -> None:
        self.args, self.store, self.children = args, store, children

    def train(self, entry: catalogue.Entry) -> dict[str, Any]:
        budget = self.args.budget
        scratch = self.store.scratch(entry.name, "train")
        scratch.unlink(missing_ok=True)
        command = [
            sys.executable, str(WORKER), "train", entry.spec, str(self.store.model(entry.name)),
            str(scratch), "--seed", str(self.args.seed), "--jobs", str(self.args.jobs),
            "--budget", str(budget), "--executor", self.args.executor,
        ]  # fmt: skip
        if self.args.ray_address is not None:
            command += ["--ray-address", self.args.ray_address]
        log = self.store.log(entry.name, "train")
        code, seconds = self.children.run(command, log, budget + GRACE)
        if code is None:
            scratch.unlink(missing_ok=True)
            detail = f"stopped at the budget ({budget:g} s)"
            return {"exact": False, "stopped": True, "budget": budget, "detail": detail}
        outcome = _outcome(scratch, code, log)
        # a search the budget ended without a clean model could find one with a larger budget
        stopped = outcome.get("search_stopped") == "budget" and not outcome.get("clean")
        outcome.update(stopped=stopped, budget=budget, wall_seconds=round(seconds, 2))
        outcome.setdefault("exact", False)
        return outcome

    def compile(self, entry: catalogue.Entry) -> dict[str, Any]:
        scratch = self.store.scratch(entry.name, "compile")
        scratch.unlink(missing_ok=True)
        command = [
            sys.executable, str(WORKER), "compile", entry.spec,
            str(self.store.model(entry.name)), str(scratch),
        ]  # fmt: skip
        log = self.store.log(entry.name, "compile")
        code, _ = self.children.run(command, log, self.args.compile_limit)
        if code is None:
            return {"error": f"compile stopped at its limit ({self.args.compile_limit:g} s)"}
        return _outcome(scratch, code, log)

    def task(self, entry: catalogue.Entry) -> dict[str, Any]:
        """Train (unless cached), then compile (unless cached); the cached result."""
        key = cache.key(entry.name, entry.file, self.args.seed, self.args.jobs)
        data = self.store.reusable(entry.name, key, self.args.budget)
        if data is None and self.args.reuse_training:
            data = self.store.retrained_elsewhere(entry.name, key, self.args.budget)
        if data is None:
            say(f"{entry.name}: training (budget {self.args.budget:g} s)")
            data = {"key": key, "train": self.train(entry), "compile": None}
            self.store.write(entry.name, data)
        if data["train"].get("exact") and data.get("compile") is None:
            say(f"{entry.name}: compiling")
            data["compile"] = self.compile(entry)
            self.store.write(entry.name, data)
        return data


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def summary(name: str, data: dict[str, Any]) -> str:
    train, compiled = data["train"], data.get("compile") or {}
    if not train.get("exact"):
        return f"{name}: not exact ({train.get('detail') or train.get('error', '')})"[:300]
    text = f"{name}: exact, {train.get('attempts')} attempt(s), {train['wall_seconds']:.0f} s"
    if "error" in compiled:
        return f"{text}; compile error: {compiled['error']}"[:300]
    flags = ", ".join(
        f for f, on in (("clean", compiled.get("clean")), ("textbook", compiled.get("textbook")))
        if on
    )  # fmt: skip
    return (
        f"{text}; compile exit {compiled.get('exit_code')} {compiled.get('verdict')}"
        f"{', ' + flags if flags else ''} ({compiled.get('compile_seconds')} s), "
        f"rule {compiled.get('rule')}"
    )


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", help="comma-separated task names (default: the whole table)")
    parser.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET,
        help=f"training seconds per task, wall clock (default {DEFAULT_BUDGET:g})",
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="search attempts at once per task (default 2)"
    )
    parser.add_argument(
        "--tasks-at-once", type=int, default=1, help="tasks trained at once (default 1)"
    )
    parser.add_argument("--cache", type=Path, default=HERE / "cache", help="results directory")
    parser.add_argument("--own", action="store_true", help="the suite's own tasks, not MIPS")
    parser.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    parser.add_argument(
        "--compile-limit",
        type=float,
        default=DEFAULT_COMPILE_LIMIT,
        help=f"seconds one compile + verify may take (default {DEFAULT_COMPILE_LIMIT:g})",
    )
    parser.add_argument(
        "--try-unreachable", action="store_true", help="train the unreachable tasks anyway"
    )
    parser.add_argument(
        "--reuse-training",
        action="store_true",
        help="keep a cached training outcome made at another w2c revision and compile it again "
        "at this one (for a change that cannot alter training; the row records both revisions)",
    )
    parser.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="where the search's attempts run (default local: processes)",
    )
    parser.add_argument(
        "--ray-address", help="Ray cluster to join (auto, ray://HOST:10001; default: a new one)"
    )
    args = parser.parse_args(argv)
    if (
        args.budget <= 0
        or args.compile_limit <= 0
        or not 1 <= args.jobs <= 64
        or not 1 <= args.tasks_at_once <= 64
        or args.seed < 0
    ):
        parser.error(
            "--budget and --compile-limit must be > 0, --jobs and --tasks-at-once 1..64, "
            "--seed >= 0"
        )
    if args.ray_address is not None and args.executor != "ray":
        parser.error("--ray-address needs --executor ray")
    return args


def start_ray(args: argparse.Namespace) -> None:
    """``--executor ray`` without an address: one local Ray instance for the whole run, its
    address handed to every training child (which would otherwise start one each)."""
    if args.executor != "ray" or args.ray_address is not None:
        return
    from w2c.errors import InputError
    from w2c.network.ray_pool import connect, require_ray

    try:
        ray = require_ray()
        connect(ray, None)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    args.ray_address = ray.get_runtime_context().gcs_address


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    table = catalogue.own() if args.own else catalogue.mips()
    names = [n.strip() for n in args.tasks.split(",") if n.strip()] if args.tasks else None
    try:
        chosen = catalogue.select(table, names)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    runnable = {catalogue.READY} | ({catalogue.UNREACHABLE} if args.try_unreachable else set())
    todo = [e for e in chosen if e.status in runnable]
    start_ray(args)
    store, children = cache.Store(args.cache), Children()
    runner = Runner(args, store, children)
    say(
        f"{len(todo)} task(s) to run or resume, {args.tasks_at_once} at a time, {args.jobs} "
        f"search attempts at once, budget {args.budget:g} s each; cache {args.cache} "
        f"(w2c {cache.revision()})"
    )
    pool = ThreadPoolExecutor(max_workers=args.tasks_at_once)
    try:
        futures = {pool.submit(runner.task, entry): entry for entry in todo}
        for done, future in enumerate(as_completed(futures), start=1):
            say(f"[{done}/{len(todo)}] {summary(futures[future].name, future.result())}")
    except KeyboardInterrupt:
        say("interrupted: stopping the running tasks (finished ones stay cached)")
        children.stop_all()  # first: no thread may start a child from here on
        pool.shutdown(wait=True, cancel_futures=True)
        return 130
    pool.shutdown()
    results = {e.name: data for e in table if (data := _cached(store, e, args)) is not None}
    which = "own" if args.own else "mips"
    title = "The suite's own tasks" if args.own else "The MIPS benchmark (62 tasks)"
    text = report.table(title, table, results, args.budget, compare=not args.own)
    text += f"\nPer-task training budget {args.budget:g} s (wall clock, from process start), "
    text += f"--jobs {args.jobs} (search attempts at once, executor {args.executor}), "
    text += f"{args.tasks_at_once} task(s) at once, "
    text += f"seed {args.seed}, w2c {cache.revision()}.\n"
    print(text)
    (args.cache / f"table-{which}.md").write_text(text)
    evidence = report.evidence_summary(table, results, cache.revision())
    (args.cache / f"evidence-{which}.json").write_text(json.dumps(evidence, indent=1))
    return 0


def _cached(store: cache.Store, entry: catalogue.Entry, args: argparse.Namespace) -> Any:
    """The entry's result when it holds for this key and budget (else the row is 'not run')."""
    if entry.status == catalogue.NEEDS_V2:
        return None
    key = cache.key(entry.name, entry.file, args.seed, args.jobs)
    return store.reusable(entry.name, key, args.budget)


if __name__ == "__main__":
    sys.exit(main())
