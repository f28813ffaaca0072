"""Symbolic execution of a program's text: ``program(xs)`` as z3 terms, never by running it.

The program file is parsed with :mod:`ast`; ``program`` is then interpreted on a list of z3
input variables of one concrete length, so every control decision that depends only on ``t``
and ``len(xs)`` is taken concretely and every value that depends on the inputs becomes a term
(w2c/verify/terms.py). A condition on the inputs (``if x_t == 57:``, ``a if c else b``,
``and``/``or``) runs both ways under a path condition and joins the results with ``If``; a
``return`` under such a condition is remembered and later assignments are guarded by it.

The subset (docs/verification.md "The proof subset"): a module of a docstring, ``import math``,
``from __future__ import ...``, literal constants and plain functions (positional parameters,
no defaults, decorators or annotations); inside functions, assignments (plain, tuple, augmented,
list items), ``if``/``for``/``while`` (a ``while`` condition must not depend on the inputs),
``break``/``continue``/``return``/``raise``/``pass``, arithmetic ``+ - * / // % **``,
comparisons, ``and``/``or``/``not``, conditional expressions, list comprehensions, tuples,
lists, slices and indexing with concrete indices, ``.append``, calls of the module's own
functions, of ``abs max min round len range list tuple sum int float bool zip enumerate`` and of
``math.floor``/``math.ceil``. Anything else (other imports, attributes, builtins, ``try``,
``with``, classes, lambdas, globals, symbolic indices, lists changed under a condition on the
inputs) raises :class:`Unsupported` with the line. Errors Python would raise on some inputs are
collected as conditions (``raises``) for the prover to refute or turn into a counterexample.
Work is bounded by a deterministic step budget, never by time.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from w2c.verify import terms
from w2c.verify.terms import Arithmetic, Guard, Unsupported, both, choose, either, negate

STEP_BUDGET = 2_000_000  # AST nodes evaluated per proof length: deterministic, never wall-clock
MAX_DEPTH = 40  # nested calls
MAX_ITEMS = 10**5  # elements of one range or list

_BINARY = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
}
_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_UNARY = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not"}


class DefiniteFailure(Exception):
    """The program fails on every input of this length (it raised on an unconditional path)."""


@dataclass(frozen=True)
class Function:
    """A function defined in the program's module."""

    node: ast.FunctionDef
    local_names: frozenset[str]


class _MathModule:
    """``import math``: only floor and ceil are in the subset."""


MATH = _MathModule()


@dataclass(frozen=True)
class _Unbound:
    """A local variable that is assigned only under some path condition (``where``)."""

    where: Guard
    value: Any


_MISSING = object()


@dataclass
class _Frame:
    env: dict[str, Any]
    local_names: frozenset[str]
    returned: Guard = False
    value: Any = None
    loops: list[list[Guard]] = field(default_factory=list)  # [broken, continued] per loop


def _names_assigned(node: ast.FunctionDef) -> frozenset[str]:
    """Every name the function binds (its locals, as Python decides them at compile time)."""
    names = {a.arg for a in node.args.args}
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
            names.add(child.id)
    return frozenset(names)


def _where(node: ast.AST) -> str:
    line = getattr(node, "lineno", None)
    return f" (line {line})" if line is not None else ""


def load_module(source: str) -> dict[str, Any]:
    """The module's globals as the subset allows them, or Unsupported with the reason."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise Unsupported(f"the program does not parse: line {exc.lineno}: {exc.msg}") from None
    module: dict[str, Any] = {}
    for index, statement in enumerate(tree.body):
        if index == 0 and _is_docstring(statement):
            continue
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            continue
        if isinstance(statement, ast.Import) and [(a.name, a.asname) for a in statement.names] == [
            ("math", None)
        ]:
            module["math"] = MATH
            continue
        if isinstance(statement, ast.FunctionDef):
            _check_signature(statement)
            module[statement.name] = Function(statement, _names_assigned(statement))
            continue
        if (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            try:
                module[statement.targets[0].id] = ast.literal_eval(statement.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                raise Unsupported(
                    f"a module-level value that is not a literal{_where(statement)}"
                ) from None
            continue
        raise Unsupported(
            f"a module-level {type(statement).__name__} statement runs on import{_where(statement)}"
        )
    return module


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _check_signature(node: ast.FunctionDef) -> None:
    args = node.args
    extras = (
        args.posonlyargs
        or args.vararg
        or args.kwonlyargs
        or args.kwarg
        or args.defaults
        or args.kw_defaults
    )
    annotated = node.returns is not None or any(a.annotation is not None for a in args.args)
    if node.decorator_list or extras or annotated or getattr(node, "type_params", None):
        raise Unsupported(
            f"function {node.name} has decorators, defaults, annotations or a parameter kind "
            f"outside the subset{_where(node)}"
        )


class Interpreter:
    """Runs one module's functions on symbolic values; ``raises`` collects failing paths."""

    def __init__(
        self,
        module: dict[str, Any],
        exact: bool,
        possible: Callable[[Guard], bool],
        budget: int = STEP_BUDGET,
    ) -> None:
        self.module = module
        self.exact = exact  # an integer task: floats are outside the subset
        self.possible = possible  # may this path condition hold for some input? (the solver)
        self.steps = budget
        self.depth = 0
        self.raises: list[tuple[Guard, str]] = []

    # ---- entry and calls --------------------------------------------------------------

    def call_program(self, xs: list[Any]) -> Any:
        function = self.module.get("program")
        if not isinstance(function, Function):
            raise Unsupported("the module defines no function program(xs)")
        return self.call(function, [xs], True, function.node)

    def call(self, function: Function, args: list[Any], guard: Guard, at: ast.AST) -> Any:
        params = [a.arg for a in function.node.args.args]
        if len(args) != len(params):
            return self._fail(
                guard, f"TypeError: {function.node.name}() takes {len(params)} arguments", None
            )
        if self.depth >= MAX_DEPTH:
            raise Unsupported(f"calls nest deeper than {MAX_DEPTH}{_where(at)}")
        frame = _Frame(dict(zip(params, args, strict=True)), function.local_names)
        self.depth += 1
        try:
            self._block(function.node.body, frame, guard)
        finally:
            self.depth -= 1
        falls_off = both(guard, negate(frame.returned))
        if falls_off is not False and self.possible(falls_off):
            if frame.returned is False:
                return None
            raise Unsupported(
                f"{function.node.name}() returns None on some inputs{_where(function.node)}"
            )
        return frame.value

    def _fail(self, guard: Guard, message: str, dummy: Any) -> Any:
        """Python raises here: fatal on an unconditional path, else a condition to refute."""
        if guard is True:
            raise DefiniteFailure(message)
        self.raises.append((guard, message))
        return dummy

    def _tick(self, node: ast.AST) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise Unsupported(f"the step budget ran out{_where(node)}")

    # ---- statements -------------------------------------------------------------------

    def _live(self, frame: _Frame, entry: Guard) -> Guard:
        live = both(entry, negate(frame.returned))
        for broken, continued in frame.loops[-1:]:
            live = both(live, both(negate(broken), negate(continued)))
        return live

    def _block(self, body: list[ast.stmt], frame: _Frame, entry: Guard) -> None:
        for statement in body:
            guard = self._live(frame, entry)
            if guard is False:
                return
            self._statement(statement, frame, guard)

    def _statement(self, node: ast.stmt, frame: _Frame, guard: Guard) -> None:
        self._tick(node)
        if isinstance(node, ast.Expr):
            if not (isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                self._expr(node.value, frame, guard)
        elif isinstance(node, ast.Assign):
            value = self._expr(node.value, frame, guard)
            for target in node.targets:
                self._assign(target, value, frame, guard)
        elif isinstance(node, ast.AugAssign):
            self._augassign(node, frame, guard)
        elif isinstance(node, ast.AnnAssign) and node.value is not None and node.simple:
            self._assign(node.target, self._expr(node.value, frame, guard), frame, guard)
        elif isinstance(node, ast.If):
            condition = terms.truth(self._expr(node.test, frame, guard))
            self._block(node.body, frame, both(guard, condition))
            self._block(node.orelse, frame, both(guard, negate(condition)))
        elif isinstance(node, ast.For):
            self._for(node, frame, guard)
        elif isinstance(node, ast.While):
            self._while(node, frame, guard)
        elif isinstance(node, ast.Return):
            value = None if node.value is None else self._expr(node.value, frame, guard)
            returned_before = frame.returned is not False
            frame.value = choose(guard, value, frame.value) if returned_before else value
            frame.returned = either(frame.returned, guard)
        elif isinstance(node, (ast.Break, ast.Continue)):
            if not frame.loops:
                raise Unsupported(f"{type(node).__name__.lower()} outside a loop{_where(node)}")
            slot = 0 if isinstance(node, ast.Break) else 1
            frame.loops[-1][slot] = either(frame.loops[-1][slot], guard)
        elif isinstance(node, ast.Raise):
            self._fail(guard, f"raises{_where(node)}", None)
        elif isinstance(node, ast.Pass):
            pass
        else:
            raise Unsupported(
                f"a {type(node).__name__} statement is outside the subset{_where(node)}"
            )

    def _for(self, node: ast.For, frame: _Frame, guard: Guard) -> None:
        if node.orelse:
            raise Unsupported(f"for ... else is outside the subset{_where(node)}")
        items = self._iterable(self._expr(node.iter, frame, guard), node)
        frame.loops.append([False, False])
        try:
            for item in items:
                loop = frame.loops[-1]
                loop[1] = False
                live = self._live(frame, guard)
                if live is False:
                    break
                self._assign(node.target, item, frame, live)
                self._block(node.body, frame, live)
        finally:
            frame.loops.pop()

    def _while(self, node: ast.While, frame: _Frame, guard: Guard) -> None:
        if node.orelse:
            raise Unsupported(f"while ... else is outside the subset{_where(node)}")
        frame.loops.append([False, False])
        try:
            while True:
                self._tick(node)
                frame.loops[-1][1] = False
                live = self._live(frame, guard)
                if live is False:
                    break
                condition = terms.truth(self._expr(node.test, frame, live))
                if terms.is_term(condition):
                    raise Unsupported(f"a while condition that depends on the inputs{_where(node)}")
                if not condition:
                    break
                self._block(node.body, frame, live)
        finally:
            frame.loops.pop()

    def _augassign(self, node: ast.AugAssign, frame: _Frame, guard: Guard) -> None:
        op = _BINARY.get(type(node.op))
        if op is None:
            raise Unsupported(f"the operator {type(node.op).__name__} is outside the subset")
        current = self._expr(_as_load(node.target), frame, guard)
        value = self._expr(node.value, frame, guard)
        if isinstance(current, list):  # ``lst += ...`` extends the list in place
            if op != "+" or not isinstance(value, (list, tuple)):
                raise Unsupported(f"list {op}= is outside the subset{_where(node)}")
            self._mutate(guard, node)
            current.extend(value)
            return
        self._assign(node.target, self._binary(op, current, value, guard, node), frame, guard)

    def _mutate(self, guard: Guard, node: ast.AST) -> None:
        if guard is not True:
            raise Unsupported(f"a list changes under a condition on the inputs{_where(node)}")

    def _assign(self, target: ast.expr, value: Any, frame: _Frame, guard: Guard) -> None:
        if isinstance(target, ast.Name):
            name = target.id
            old = frame.env.get(name, _MISSING)
            if guard is True:
                frame.env[name] = value
            elif old is _MISSING:
                frame.env[name] = _Unbound(guard, value)
            elif isinstance(old, _Unbound):
                where = either(old.where, guard)
                frame.env[name] = _Unbound(where, choose(guard, value, old.value))
            else:
                frame.env[name] = choose(guard, value, old)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self._iterable(value, target)
            if len(items) != len(target.elts):
                self._fail(
                    guard, f"ValueError: cannot unpack {len(items)} values{_where(target)}", None
                )
                return
            for element, item in zip(target.elts, items, strict=True):
                self._assign(element, item, frame, guard)
        elif isinstance(target, ast.Subscript):
            container = self._expr(target.value, frame, guard)
            index = self._expr(target.slice, frame, guard)
            if (
                not isinstance(container, list)
                or not isinstance(index, int)
                or terms.is_term(index)
            ):
                raise Unsupported(f"an item assignment outside the subset{_where(target)}")
            self._mutate(guard, target)
            if not -len(container) <= index < len(container):
                self._fail(guard, f"IndexError: list assignment index{_where(target)}", None)
                return
            container[index] = value
        else:
            raise Unsupported(f"assignment to a {type(target).__name__}{_where(target)}")

    # ---- expressions ------------------------------------------------------------------

    def _expr(self, node: ast.expr, frame: _Frame, guard: Guard) -> Any:
        self._tick(node)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, float) and self.exact:
                raise Unsupported(
                    f"the float literal {value!r} on an integer task (floating point is not "
                    f"modelled){_where(node)}"
                )
            if value is None or isinstance(value, (bool, int, float, str)):
                return value
            raise Unsupported(f"the literal {value!r} is outside the subset{_where(node)}")
        if isinstance(node, ast.Name):
            return self._name(node, frame, guard)
        if isinstance(node, ast.BinOp):
            op = _BINARY.get(type(node.op))
            if op is None:
                raise Unsupported(
                    f"the operator {type(node.op).__name__} is outside the subset{_where(node)}"
                )
            left = self._expr(node.left, frame, guard)
            right = self._expr(node.right, frame, guard)
            return self._binary(op, left, right, guard, node)
        if isinstance(node, ast.UnaryOp):
            op = _UNARY.get(type(node.op))
            if op is None:
                raise Unsupported(
                    f"the operator {type(node.op).__name__} is outside the subset{_where(node)}"
                )
            return terms.unary(op, self._expr(node.operand, frame, guard))
        if isinstance(node, ast.BoolOp):
            return self._boolop(node, frame, guard)
        if isinstance(node, ast.Compare):
            return self._compare(node, frame, guard)
        if isinstance(node, ast.IfExp):
            condition = terms.truth(self._expr(node.test, frame, guard))
            if condition is True:
                return self._expr(node.body, frame, guard)
            if condition is False:
                return self._expr(node.orelse, frame, guard)
            yes = self._expr(node.body, frame, both(guard, condition))
            no = self._expr(node.orelse, frame, both(guard, negate(condition)))
            return choose(condition, yes, no)
        if isinstance(node, ast.Call):
            return self._call(node, frame, guard)
        if isinstance(node, ast.Subscript):
            return self._subscript(node, frame, guard)
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [self._expr(e, frame, guard) for e in node.elts]
            if any(isinstance(e, ast.Starred) for e in node.elts):
                raise Unsupported(f"starred items are outside the subset{_where(node)}")
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.ListComp):
            return self._listcomp(node, frame, guard)
        raise Unsupported(f"a {type(node).__name__} expression is outside the subset{_where(node)}")

    def _name(self, node: ast.Name, frame: _Frame, guard: Guard) -> Any:
        name = node.id
        if name in frame.env:
            value = frame.env[name]
            if isinstance(value, _Unbound):
                unbound = both(guard, negate(value.where))
                if unbound is not False and self.possible(unbound):
                    raise Unsupported(f"{name} may be unbound here{_where(node)}")
                return value.value
            return value
        if name in frame.local_names:
            return self._fail(guard, f"UnboundLocalError: {name}{_where(node)}", 0)
        if name in self.module:
            return self.module[name]
        if name in _BUILTINS:
            return _Builtin(name)
        if name in _PYTHON_BUILTINS or name.startswith("__"):
            raise Unsupported(f"{name} is outside the subset{_where(node)}")
        return self._fail(guard, f"NameError: {name}{_where(node)}", 0)

    def _binary(self, op: str, left: Any, right: Any, guard: Guard, node: ast.AST) -> Any:
        try:
            return terms.binary(op, left, right, self.exact)
        except Arithmetic as exc:
            return self._fail(guard, f"{exc}{_where(node)}", 0)
        except Unsupported as exc:
            raise Unsupported(f"{exc}{_where(node)}") from None

    def _boolop(self, node: ast.BoolOp, frame: _Frame, guard: Guard) -> Any:
        """``a and b`` / ``a or b`` return an operand, evaluating the right one only if needed."""
        conjunction = isinstance(node.op, ast.And)
        value = self._expr(node.values[0], frame, guard)
        for operand in node.values[1:]:
            truth = terms.truth(value)
            goes_on = truth if conjunction else negate(truth)
            if goes_on is False:
                return value
            right = self._expr(operand, frame, both(guard, goes_on))
            value = right if goes_on is True else choose(goes_on, right, value)
        return value

    def _compare(self, node: ast.Compare, frame: _Frame, guard: Guard) -> Any:
        left = self._expr(node.left, frame, guard)
        result: Guard = True
        for op_node, right_node in zip(node.ops, node.comparators, strict=True):
            live = both(guard, result)
            if live is False:
                return False
            right = self._expr(right_node, frame, live)
            if isinstance(op_node, (ast.Is, ast.IsNot)):
                outcome = self._identity(left, right, node)
                outcome = negate(outcome) if isinstance(op_node, ast.IsNot) else outcome
            elif isinstance(op_node, (ast.In, ast.NotIn)):
                items = self._iterable(right, node)
                found: Guard = False
                for item in items:
                    found = either(found, terms.compare("==", left, item))
                outcome = negate(found) if isinstance(op_node, ast.NotIn) else found
            else:
                op = _COMPARE[type(op_node)]
                try:
                    outcome = terms.compare(op, left, right)
                except Arithmetic as exc:
                    outcome = self._fail(live, f"{exc}{_where(node)}", False)
            result = both(result, outcome)
            left = right
        return result

    def _identity(self, a: Any, b: Any, node: ast.AST) -> Guard:
        if a is None or b is None:
            return a is None and b is None
        if isinstance(a, bool) and isinstance(b, bool):
            return a is b
        raise Unsupported(f"'is' between these values is outside the subset{_where(node)}")

    def _subscript(self, node: ast.Subscript, frame: _Frame, guard: Guard) -> Any:
        container = self._expr(node.value, frame, guard)
        if isinstance(node.slice, ast.Slice):
            bounds = [
                None if part is None else self._expr(part, frame, guard)
                for part in (node.slice.lower, node.slice.upper, node.slice.step)
            ]
            if not isinstance(container, (list, tuple)) or any(
                b is not None and (terms.is_term(b) or not isinstance(b, int)) for b in bounds
            ):
                raise Unsupported(f"a slice outside the subset{_where(node)}")
            if bounds[2] == 0:
                return self._fail(guard, f"ValueError: slice step cannot be zero{_where(node)}", [])
            return container[slice(*bounds)]
        index = self._expr(node.slice, frame, guard)
        if terms.is_term(index):
            raise Unsupported(f"an index that depends on the inputs{_where(node)}")
        if not isinstance(container, (list, tuple)):
            if terms.is_number(container):
                return self._fail(
                    guard, f"TypeError: a number is not subscriptable{_where(node)}", 0
                )
            raise Unsupported(f"indexing a {type(container).__name__}{_where(node)}")
        if not isinstance(index, int):
            return self._fail(guard, f"TypeError: list indices must be integers{_where(node)}", 0)
        if not -len(container) <= index < len(container):
            return self._fail(guard, f"IndexError: index {index} out of range{_where(node)}", 0)
        return container[index]

    def _listcomp(self, node: ast.ListComp, frame: _Frame, guard: Guard) -> list[Any]:
        if len(node.generators) != 1 or node.generators[0].is_async:
            raise Unsupported(f"a comprehension outside the subset{_where(node)}")
        generator = node.generators[0]
        items = self._iterable(self._expr(generator.iter, frame, guard), node)
        inner = _Frame(dict(frame.env), frame.local_names | _stored(generator.target))
        result = []
        for item in items:
            self._assign(generator.target, item, inner, True)
            keep: Guard = True
            for condition in generator.ifs:
                keep = both(keep, terms.truth(self._expr(condition, inner, guard)))
            if terms.is_term(keep):
                raise Unsupported(f"a comprehension filter on the inputs{_where(node)}")
            if keep:
                result.append(self._expr(node.elt, inner, guard))
        return result

    def _iterable(self, value: Any, node: ast.AST) -> list[Any]:
        if isinstance(value, (list, tuple)):
            return list(value)
        if isinstance(value, range):
            return list(value)
        raise Unsupported(f"iterating over a {type(value).__name__}{_where(node)}")

    def _call(self, node: ast.Call, frame: _Frame, guard: Guard) -> Any:
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise Unsupported(f"keyword or starred arguments{_where(node)}")
        if isinstance(node.func, ast.Attribute):
            return self._method(node, frame, guard)
        function = self._expr(node.func, frame, guard)
        args = [self._expr(a, frame, guard) for a in node.args]
        if isinstance(function, Function):
            return self.call(function, args, guard, node)
        if isinstance(function, _Builtin):
            try:
                return function.apply(self, args, node)
            except Arithmetic as exc:
                return self._fail(guard, f"{exc}{_where(node)}", 0)
        raise Unsupported(
            f"calling a {type(function).__name__} is outside the subset{_where(node)}"
        )

    def _method(self, node: ast.Call, frame: _Frame, guard: Guard) -> Any:
        attribute = node.func
        assert isinstance(attribute, ast.Attribute)
        owner = self._expr(attribute.value, frame, guard)
        args = [self._expr(a, frame, guard) for a in node.args]
        if isinstance(owner, list) and attribute.attr == "append" and len(args) == 1:
            self._mutate(guard, node)
            if len(owner) >= MAX_ITEMS:
                raise Unsupported(f"a list longer than {MAX_ITEMS}{_where(node)}")
            owner.append(args[0])
            return None
        if owner is MATH and attribute.attr in ("floor", "ceil") and len(args) == 1:
            return terms.floor_ceil(args[0], attribute.attr == "ceil")
        raise Unsupported(f".{attribute.attr}(...) is outside the subset{_where(node)}")


def _stored(target: ast.expr) -> frozenset[str]:
    return frozenset(
        n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    )


def _as_load(target: ast.expr) -> ast.expr:
    """The target of ``a += b`` read as an expression."""
    if isinstance(target, ast.Name):
        return ast.copy_location(ast.Name(target.id, ast.Load()), target)
    if isinstance(target, ast.Subscript):
        return ast.copy_location(ast.Subscript(target.value, target.slice, ast.Load()), target)
    raise Unsupported(f"augmented assignment to a {type(target).__name__}{_where(target)}")


# ---- builtins -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Builtin:
    name: str

    def apply(self, interpreter: Interpreter, args: list[Any], node: ast.AST) -> Any:
        exact = interpreter.exact
        name = self.name
        if name in ("max", "min"):
            values = interpreter._iterable(args[0], node) if len(args) == 1 else args
            return terms.extreme(values, name == "max")
        if name == "len" and len(args) == 1 and isinstance(args[0], (list, tuple, str, range)):
            return len(args[0])
        if name == "range" and 1 <= len(args) <= 3:
            if any(terms.is_term(a) or not isinstance(a, int) for a in args):
                raise Unsupported(f"range() of values that depend on the inputs{_where(node)}")
            if len(args) == 3 and args[2] == 0:
                raise Arithmetic("ValueError: range() arg 3 must not be zero")
            values = range(*args)
            if len(values) > MAX_ITEMS:
                raise Unsupported(f"a range longer than {MAX_ITEMS}{_where(node)}")
            return values
        if name in ("list", "tuple") and len(args) == 1:
            items = interpreter._iterable(args[0], node)
            return items if name == "list" else tuple(items)
        if name == "zip" and args:
            columns = [interpreter._iterable(a, node) for a in args]
            return [tuple(row) for row in zip(*columns, strict=False)]
        if name == "enumerate" and len(args) == 1:
            return list(enumerate(interpreter._iterable(args[0], node)))
        if name == "sum" and len(args) in (1, 2):
            total = args[1] if len(args) == 2 else 0
            for value in interpreter._iterable(args[0], node):
                total = terms.binary("+", total, value, exact)
            return total
        if len(args) != 1:
            raise Unsupported(f"{name}() with {len(args)} arguments{_where(node)}")
        value = args[0]
        if name == "abs":
            return terms.absolute(value)
        if name == "round":
            return terms.rounded(value, exact)
        if name == "int":
            return terms.to_int(value)
        if name == "float":
            return terms.to_float(value, exact)
        if name == "bool":
            return terms.truth(value)
        raise Unsupported(f"{name}() of this value{_where(node)}")


_BUILTINS = frozenset(
    {
        "abs",
        "max",
        "min",
        "round",
        "len",
        "range",
        "list",
        "tuple",
        "sum",
        "int",
        "float",
        "bool",
        "zip",
        "enumerate",
    }
)


_PYTHON_BUILTINS = frozenset(dir(builtins))


def symbolic_inputs(
    channels: int, length: int, real: list[bool]
) -> tuple[list[Any], list[z3.ArithRef]]:
    """``xs`` of one length as the program receives it: numbers, or tuples for several channels."""
    variables: list[z3.ArithRef] = []
    xs: list[Any] = []
    for t in range(length):
        row = []
        for c in range(channels):
            maker = z3.Real if real[c] else z3.Int
            variable = maker(f"x{c}_{t}")
            variables.append(variable)
            row.append(variable)
        xs.append(row[0] if channels == 1 else tuple(row))
    return xs, variables
