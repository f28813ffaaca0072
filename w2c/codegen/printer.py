"""sympy expressions -> libcst expression nodes, with precedence-aware parentheses.

The emitter never pastes text into code: every number, name and operator becomes a libcst node
here. Names come from a mapping the caller builds from validated identifiers. One printer class
in the style of sympy's code printers (a ``_print_<Class>`` method per sympy class, found along
the expression's MRO): ``PythonPrinter`` spells plain Python (``max``, ``abs``, ``math.floor``)
for ``program``; its subclass ``NumpyPrinter`` spells elementwise NumPy (``np.maximum``,
``np.abs``, ``np.floor``) for the vectorised twin ``program_numpy``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

import libcst as cst
import sympy

# precedence: higher binds tighter
ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5

Printed = tuple[cst.BaseExpression, int]


class UnsupportedExpression(ValueError):
    """The expression uses an operation the emitter has no spelling for."""


def _paren(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _number(value: int) -> Printed:
    if value < 0:
        return cst.UnaryOperation(cst.Minus(), cst.Integer(str(-value))), UNARY
    return cst.Integer(str(value)), ATOM


class PythonPrinter:
    """Print with a symbol -> variable-name mapping and a hook for the modules a call needs.

    ``FUNCTIONS`` spells each sympy function class as a call (``module.name`` imports module).
    """

    FUNCTIONS: ClassVar[dict[str, str]] = {
        "Max": "max",
        "Min": "min",
        "Abs": "abs",
        "floor": "math.floor",
    }

    def __init__(
        self,
        names: Mapping[sympy.Symbol, str],
        on_import: Callable[[str], None] | None = None,
    ) -> None:
        self.names = names
        self.on_import = on_import or (lambda module: None)

    def __call__(self, expr: sympy.Expr) -> cst.BaseExpression:
        return self.convert(expr)[0]

    def convert(self, expr: sympy.Expr) -> Printed:
        for cls in type(expr).__mro__:
            if cls.__name__ in self.FUNCTIONS:
                return self._function(self.FUNCTIONS[cls.__name__], list(expr.args))
            printer = getattr(self, f"_print_{cls.__name__}", None)
            if printer is not None:
                return printer(expr)  # type: ignore[no-any-return]
        raise UnsupportedExpression(f"cannot emit {type(expr).__name__}: {expr}")

    # ---- helpers ------------------------------------------------------------------------

    def _binary(
        self,
        left: Printed,
        op: cst.BaseBinaryOp,
        right: Printed,
        precedence: int,
        associative: bool,
    ) -> Printed:
        lnode, lprec = left
        rnode, rprec = right
        if lprec < precedence or (precedence == POW and lprec == POW):
            lnode = _paren(lnode)
        if rprec < precedence or (rprec == precedence and not associative):
            rnode = _paren(rnode)
        return cst.BinaryOperation(lnode, op, rnode), precedence

    def _function(self, spelling: str, args: list[sympy.Expr]) -> Printed:
        """``name(args)``, or ``module.name(args)`` with the module imported."""
        module, _, function = spelling.rpartition(".")
        callee: cst.BaseExpression = cst.Name(function)
        if module:
            self.on_import(module)
            callee = cst.Attribute(cst.Name(module), cst.Name(function))
        return cst.Call(callee, [cst.Arg(self.convert(a)[0]) for a in args]), ATOM

    # ---- numbers and names --------------------------------------------------------------

    def _print_Integer(self, expr: sympy.Integer) -> Printed:
        return _number(int(expr))

    def _print_Rational(self, expr: sympy.Rational) -> Printed:
        numerator, denominator = int(expr.p), int(expr.q)
        return self._binary(_number(numerator), cst.Divide(), _number(denominator), MUL, False)

    def _print_Float(self, expr: sympy.Float) -> Printed:
        value = float(expr)
        node: cst.BaseExpression = cst.Float(repr(abs(value)))
        if value < 0:
            return cst.UnaryOperation(cst.Minus(), node), UNARY
        return node, ATOM

    def _print_Symbol(self, expr: sympy.Symbol) -> Printed:
        if expr not in self.names:
            raise UnsupportedExpression(f"no variable for symbol {expr}")
        return cst.Name(self.names[expr]), ATOM

    # ---- arithmetic ---------------------------------------------------------------------

    def _print_Add(self, expr: sympy.Add) -> Printed:
        terms = expr.as_ordered_terms()
        result = self.convert(terms[0])
        for term in terms[1:]:
            coefficient, _ = term.as_coeff_Mul()
            if coefficient.is_negative:
                result = self._binary(result, cst.Subtract(), self.convert(-term), ADD, False)
            else:
                result = self._binary(result, cst.Add(), self.convert(term), ADD, True)
        return result

    def _print_Mul(self, expr: sympy.Mul) -> Printed:
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient == -1:
            inner, precedence = self.convert(rest)
            if precedence < UNARY:
                inner = _paren(inner)
            return cst.UnaryOperation(cst.Minus(), inner), UNARY
        numerators, denominators = [], []
        for factor in sympy.Mul.make_args(expr):
            if isinstance(factor, sympy.Pow) and factor.exp.is_Integer and int(factor.exp) < 0:
                denominators.append(factor.base ** (-factor.exp))
            elif factor.is_Rational and not factor.is_Integer:
                numerators.append(sympy.Integer(factor.p))  # type: ignore[attr-defined]
                denominators.append(sympy.Integer(factor.q))  # type: ignore[attr-defined]
            else:
                numerators.append(factor)
        numerators = [n for n in numerators if n != 1] or [sympy.Integer(1)]
        result = self.convert(numerators[0])
        for factor in numerators[1:]:
            result = self._binary(result, cst.Multiply(), self.convert(factor), MUL, True)
        for factor in denominators:
            result = self._binary(result, cst.Divide(), self.convert(factor), MUL, False)
        return result

    def _print_Pow(self, expr: sympy.Pow) -> Printed:
        base, exponent = expr.args
        if exponent.is_Integer and int(exponent) < 0:
            return self.convert(1 / base ** (-exponent))
        return self._binary(self.convert(base), cst.Power(), self.convert(exponent), POW, False)

    def _print_Mod(self, expr: sympy.Mod) -> Printed:
        value, modulus = expr.args
        return self._binary(self.convert(value), cst.Modulo(), self.convert(modulus), MUL, False)


class NumpyPrinter(PythonPrinter):
    """Elementwise NumPy calls on a module-level name ``np`` (the caller binds it); Max/Min of
    more than two arguments nest pairwise."""

    FUNCTIONS: ClassVar[dict[str, str]] = {
        "Max": "maximum",
        "Min": "minimum",
        "Abs": "abs",
        "floor": "floor",
    }

    def _function(self, spelling: str, args: list[sympy.Expr]) -> Printed:
        """np.<spelling>(a, b), nesting to the right when there are more than two arguments."""
        head, *rest = args
        arguments = [cst.Arg(self.convert(head)[0])]
        if len(rest) == 1:
            arguments.append(cst.Arg(self.convert(rest[0])[0]))
        elif rest:
            arguments.append(cst.Arg(self._function(spelling, rest)[0]))
        attribute = cst.Attribute(cst.Name("np"), cst.Name(spelling))
        return cst.Call(attribute, arguments), ATOM
