"""Seeded mutants of the corpus programs, each with a witness the oracle confirms.

Used by ``tests/test_mutation.py`` (about three mutants per model) and
``benchmarks/verify/run.py`` (every mutant). A mutant is an emitted corpus program with one
planted bug, written as the ast of the program changed in one place:

- ``late_value``: ``y.append(E)`` becomes ``y.append(E + (1 if t == K and x[t] == V else 0))`` for
  a late position K and a domain value V (the issue's second hand edit);
- ``pair``: ``... + (1 if t >= 3 and x[t] == V and x[t - 1] == W else 0)`` (the first hand edit);
- ``lag``: a read ``x[t - k] if t >= k else 0`` one step too far or too near;
- ``guard``: the guard ``t >= k`` of a read off by one (``t >= k + 1`` reads 0 a step too long,
  ``t >= k - 1`` wraps around to ``x[-1]``);
- ``swap``: the operands of a binary operator or of a two-argument call swapped;
- ``operator``: ``+`` and ``-`` exchanged, ``max`` and ``min`` exchanged;
- ``constant``: an integer literal of the output expression changed by one.

The witness of ``late_value`` and ``pair`` is planted with the bug (x[K] = V, ...); for the other
kinds it is the first of a seeded list of sequences on which the mutant and the oracle differ.
Either way the oracle confirms it by running the mutant; a mutant without a confirmed witness
(an equivalent mutant, such as swapped operands of ``+``) is excluded and counted. Run directly
(``python tests/mutation_cases.py``) to print every mutant of one model.
"""

from __future__ import annotations

import ast
import copy
import random
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO / "corpus" / "models"
KINDS = ("late_value", "pair", "lag", "guard", "swap", "operator", "constant")
SEARCH = 400  # seeded sequences tried for a witness


@dataclass(frozen=True)
class Mutant:
    model: str
    kind: str
    description: str
    source: str
    witness: list[Any] | None  # a sequence on which the oracle confirms the mutant differs


def corpus_source(name: str) -> tuple[Any, Any, str]:
    """(task, checkpoint, emitted program text) of a corpus model, compiled without verifying."""
    from w2c.compiler import compile_model
    from w2c.corpus import TASKS
    from w2c.network.checkpoint import load

    checkpoint = load(MODELS / f"{name}.pt")
    compiled = compile_model(checkpoint, task=TASKS[name], verify=False)
    return TASKS[name], checkpoint, compiled.source


def function_of(source: str) -> Callable[[list[Any]], Any]:
    """``program`` of a mutant's text (the tests' own generated code)."""
    module = types.ModuleType("w2c_mutant")
    exec(compile(source, "<mutant>", "exec"), module.__dict__)
    return module.__dict__["program"]


def differs(task: Any, program: Callable[[list[Any]], Any], xs: list[Any]) -> bool:
    """The oracle disagrees with the program on ``xs`` (the correctness tolerance)."""
    from w2c.verify.compare import as_outputs, output_ok, xs_array

    try:
        raw = program(list(xs))
    except Exception:  # a mutant that raises on xs differs there
        return True
    got, problem = as_outputs(raw, len(xs))
    if problem is not None or got is None:
        return True
    expected = task.run_oracle(xs_array(task, [list(xs)]))[0]
    return not bool(np.all(output_ok(task, "correctness", got[None, :], expected[None, :])))


# ---- sites --------------------------------------------------------------------------------


def _loop(tree: ast.Module) -> tuple[ast.For, str]:
    """The ``for t in range(len(x))`` loop of ``program`` and the channel list it runs over."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.For)
            and isinstance(node.target, ast.Name)
            and node.target.id == "t"
        ):
            call = node.iter
            assert isinstance(call, ast.Call) and isinstance(call.args[0], ast.Call)
            channel = call.args[0].args[0]
            assert isinstance(channel, ast.Name)
            return node, channel.id
    raise ValueError("no time loop")


def _append(loop: ast.For) -> ast.Call:
    for node in ast.walk(loop):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "append"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "y"
        ):
            return node
    raise ValueError("no y.append")


def _reads(loop: ast.For) -> list[tuple[ast.Assign, str, int]]:
    """Every ``v = ch[t - k] if t >= k else 0`` and ``v = ch[t]`` in the loop: (node, ch, k).

    ``ch`` may be ``y``: a feedback read (``y[t]`` does not exist yet: that mutant raises)."""
    found = []
    for node in loop.body:
        if not isinstance(node, ast.Assign):
            continue
        value = node.value
        read = value.body if isinstance(value, ast.IfExp) else value
        if not (isinstance(read, ast.Subscript) and isinstance(read.value, ast.Name)):
            continue
        lag = _lag(read.slice)
        if lag is not None:
            found.append((node, read.value.id, lag))
    return found


def _lag(index: ast.expr) -> int | None:
    if isinstance(index, ast.Name) and index.id == "t":
        return 0
    if (
        isinstance(index, ast.BinOp)
        and isinstance(index.op, ast.Sub)
        and isinstance(index.left, ast.Name)
        and index.left.id == "t"
        and isinstance(index.right, ast.Constant)
    ):
        return int(index.right.value)
    return None


def _guarded(channel: str, lag: int, guard: int | None = None) -> ast.expr:
    guard = lag if guard is None else guard
    text = f"{channel}[t - {lag}] if t >= {guard} else 0" if lag else f"{channel}[t]"
    if lag and guard <= 0:
        text = f"{channel}[t - {lag}]"
    return ast.parse(text, mode="eval").body


def _domain_value(domain: Any, rng: random.Random) -> Any:
    from w2c.tasks import IntRange

    if isinstance(domain, IntRange):
        return rng.randrange(domain.lo, domain.hi)
    return round(rng.uniform(domain.lo, domain.hi), 2)


def _point(task: Any, rng: random.Random, first: Any | None = None) -> Any:
    values = [_domain_value(d, rng) for d in task.inputs]
    if first is not None:
        values[0] = first
    return values[0] if task.n_channels == 1 else tuple(values)


# ---- the generator ------------------------------------------------------------------------


def mutants(name: str, task: Any, source: str, seed: int = 0) -> Iterator[Mutant]:
    """Every mutant of one program, in a fixed order; witnesses planted or searched (seeded)."""
    rng = random.Random(f"{seed}:{name}")
    for kind, description, tree, planted in _edits(task, ast.parse(source), rng):
        text = ast.unparse(ast.fix_missing_locations(tree)) + "\n"
        witness = planted if planted is not None else _search(task, text, rng)
        if witness is not None and not differs(task, function_of(text), witness):
            witness = None
        yield Mutant(name, kind, description, text, witness)


def _search(task: Any, text: str, rng: random.Random) -> list[Any] | None:
    program = function_of(text)
    from w2c.tasks import IntRange

    edges = []
    for domain in task.inputs:
        lo, hi = (domain.lo, domain.hi - 1) if isinstance(domain, IntRange) else domain.bounds
        edges.append([lo, hi])
    candidates = []
    for n in range(1, task.length + 1):
        for which in range(2):
            row = [e[which] for e in edges]
            candidates.append([row[0] if task.n_channels == 1 else tuple(row)] * n)
    for _ in range(SEARCH):
        length = rng.randint(1, task.length)
        candidates.append([_point(task, rng) for _ in range(length)])
    return next((xs for xs in candidates if differs(task, program, xs)), None)


def _edits(
    task: Any, tree: ast.Module, rng: random.Random
) -> Iterator[tuple[str, str, ast.Module, list[Any] | None]]:
    """(kind, description, mutated tree, planted witness or None) for every site."""
    loop, channel = _loop(tree)
    T = task.length
    for position in (T - 1, T - 3):
        value = _domain_value(task.inputs[0], rng)
        bump = f"(1 if t == {position} and {channel}[t] == {value!r} else 0)"
        witness = [_point(task, rng) for _ in range(position)] + [_point(task, rng, value)]
        yield (
            "late_value",
            f"+1 when t == {position} and {channel}[t] == {value!r}",
            _bumped(tree, bump),
            witness,
        )
    first, second = (_domain_value(task.inputs[0], rng) for _ in range(2))
    bump = f"(1 if t >= 3 and {channel}[t] == {first!r} and {channel}[t - 1] == {second!r} else 0)"
    witness = [_point(task, rng) for _ in range(3)] + [_point(task, rng, second)]
    witness += [_point(task, rng, first)]
    yield (
        "pair",
        f"+1 when t >= 3 and {channel}[t] == {first!r} and {channel}[t-1] == {second!r}",
        _bumped(tree, bump),
        witness,
    )
    for index, (_node, read_channel, lag) in enumerate(_reads(loop)):
        for new in (lag + 1, lag - 1):
            if new < 0:
                continue
            mutated = copy.deepcopy(tree)
            target = _reads(_loop(mutated)[0])[index][0]
            target.value = _guarded(read_channel, new)
            yield (
                "lag",
                f"{_show(read_channel, lag)} read as {_show(read_channel, new)}",
                mutated,
                None,
            )
        if lag == 0:
            continue
        for guard in (lag + 1, lag - 1):
            mutated = copy.deepcopy(tree)
            target = _reads(_loop(mutated)[0])[index][0]
            target.value = _guarded(read_channel, lag, guard)
            yield "guard", f"guard of {read_channel}[t-{lag}] is t >= {guard}", mutated, None
    yield from _expression_edits(tree)


def _show(channel: str, lag: int) -> str:
    return f"{channel}[t-{lag}]" if lag else f"{channel}[t]"


def _bumped(tree: ast.Module, bump: str) -> ast.Module:
    mutated = copy.deepcopy(tree)
    append = _append(_loop(mutated)[0])
    extra = ast.parse(bump, mode="eval").body
    append.args[0] = ast.BinOp(append.args[0], ast.Add(), extra)
    return mutated


def _expression_nodes(tree: ast.Module) -> list[ast.AST]:
    """Operator and call nodes of the output expression, in a fixed (walk) order."""
    return list(ast.walk(_append(_loop(tree)[0]).args[0]))


def _expression_edits(tree: ast.Module) -> Iterator[tuple[str, str, ast.Module, None]]:
    count = len(_expression_nodes(tree))
    for index in range(count):
        node = _expression_nodes(tree)[index]
        if isinstance(node, ast.BinOp):
            op = type(node.op).__name__
            mutated = copy.deepcopy(tree)
            target = _expression_nodes(mutated)[index]
            target.left, target.right = target.right, target.left
            yield "swap", f"operands of {op} swapped", mutated, None
            if isinstance(node.op, (ast.Add, ast.Sub)):
                mutated = copy.deepcopy(tree)
                target = _expression_nodes(mutated)[index]
                target.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
                yield "operator", f"{op} replaced by its opposite", mutated, None
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if len(node.args) == 2:
                mutated = copy.deepcopy(tree)
                target = _expression_nodes(mutated)[index]
                target.args.reverse()
                yield "swap", f"arguments of {node.func.id} swapped", mutated, None
            if node.func.id in ("max", "min"):
                mutated = copy.deepcopy(tree)
                target = _expression_nodes(mutated)[index]
                target.func = ast.Name("min" if node.func.id == "max" else "max", ast.Load())
                yield "operator", f"{node.func.id} replaced by its opposite", mutated, None
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            mutated = copy.deepcopy(tree)
            target = _expression_nodes(mutated)[index]
            target.value = node.value + 1
            yield (
                "constant",
                f"the constant {node.value} changed to {node.value + 1}",
                mutated,
                None,
            )


# ---- checking one mutant ------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    caught: bool  # NOT VERIFIED with a counterexample that fails when run
    verdict: str
    method: str | None  # the evidence that produced the confirmed counterexample
    counterexample: list[Any] | None
    seconds: float


def check(mutant: Mutant, task: Any, model: Any) -> Outcome:
    """Verify the mutant (text and model); the counterexample must fail when the mutant runs."""
    import time

    from w2c.verify import verify

    program = function_of(mutant.source)
    began = time.perf_counter()
    report = verify(program, task, model=model, source=mutant.source)
    seconds = time.perf_counter() - began
    for evidence in (*report.correctness.evidence, *report.fidelity.evidence):
        example = evidence.counterexample
        if evidence.passed or example is None or "xs" not in example:
            continue
        xs = [tuple(p) if isinstance(p, list) else p for p in example["xs"]]
        if differs(task, program, xs):
            caught = report.verdict == "NOT VERIFIED"
            return Outcome(caught, report.verdict, evidence.method, xs, seconds)
    return Outcome(False, report.verdict, None, None, seconds)


def main(argv: list[str]) -> int:
    name = argv[0] if argv else "sum_last2"
    task, _checkpoint, source = corpus_source(name)
    for mutant in mutants(name, task, source):
        print(f"{mutant.kind:10} {mutant.description:50} witness {mutant.witness}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
