"""sympy expressions -> libcst expression nodes, with precedence-aware parentheses.

The emitter never pastes text into code: every number, name and operator becomes a libcst node
here. Names come from a mapping the caller builds from validated identifiers. Two spellings:
plain Python (``max``, ``abs``, ``math.floor``) for ``program`` and NumPy (``np.maximum``,
``np.abs``, ``np.floor``, elementwise over arrays) for the vectorised twin ``program_numpy``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import libcst as cst
import sympy

# precedence: higher binds tighter
ADD, MUL, UNARY, POW, ATOM = 1, 2, 3, 4, 5


class UnsupportedExpression(ValueError):
    """The expression uses an operation the emitter has no spelling for."""


def _paren(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _number(value: int) -> tuple[cst.BaseExpression, int]:
    if value < 0:
        return cst.UnaryOperation(cst.Minus(), cst.Integer(str(-value))), UNARY
    return cst.Integer(str(value)), ATOM


NUMPY_FUNCTIONS = {"Max": "maximum", "Min": "minimum", "Abs": "abs", "floor": "floor"}


class Converter:
    """Convert with a symbol -> variable-name mapping and a hook for helper calls.

    ``numpy=True`` spells functions as elementwise NumPy calls on a module-level name ``np``
    (the caller binds it); Max/Min of more than two arguments nest pairwise.
    """

    def __init__(
        self,
        names: Mapping[sympy.Symbol, str],
        on_import: Callable[[str], None] | None = None,
        numpy: bool = False,
    ) -> None:
        self.names = names
        self.on_import = on_import or (lambda module: None)
        self.numpy = numpy

    def __call__(self, expr: sympy.Expr) -> cst.BaseExpression:
        return self.convert(expr)[0]

    # ---- helpers ------------------------------------------------------------------------

    def _binary(
        self,
        left: tuple[cst.BaseExpression, int],
        op: cst.BaseBinaryOp,
        right: tuple[cst.BaseExpression, int],
        precedence: int,
        associative: bool,
    ) -> tuple[cst.BaseExpression, int]:
        lnode, lprec = left
        rnode, rprec = right
        if lprec < precedence or (precedence == POW and lprec == POW):
            lnode = _paren(lnode)
        if rprec < precedence or (rprec == precedence and not associative):
            rnode = _paren(rnode)
        return cst.BinaryOperation(lnode, op, rnode), precedence

    def _call(self, name: str, args: list[sympy.Expr]) -> tuple[cst.BaseExpression, int]:
        converted = [cst.Arg(self.convert(a)[0]) for a in args]
        return cst.Call(cst.Name(name), converted), ATOM

    def _numpy_call(self, function: str, args: list[sympy.Expr]) -> tuple[cst.BaseExpression, int]:
        """np.<function>(a, b), nesting to the right when there are more than two arguments."""
        head, *rest = args
        arguments = [cst.Arg(self.convert(head)[0])]
        if len(rest) == 1:
            arguments.append(cst.Arg(self.convert(rest[0])[0]))
        elif rest:
            arguments.append(cst.Arg(self._numpy_call(function, rest)[0]))
        attribute = cst.Attribute(cst.Name("np"), cst.Name(function))
        return cst.Call(attribute, arguments), ATOM

    def _function(self, expr: sympy.Expr, python: str) -> tuple[cst.BaseExpression, int]:
        if self.numpy:
            return self._numpy_call(NUMPY_FUNCTIONS[type(expr).__name__], list(expr.args))
        return self._call(python, list(expr.args))

    # ---- conversion ---------------------------------------------------------------------

    def convert(self, expr: sympy.Expr) -> tuple[cst.BaseExpression, int]:
        if expr.is_Integer:
            return _number(int(expr))
        if expr.is_Rational:
            numerator, denominator = int(expr.p), int(expr.q)  # type: ignore[attr-defined]
            return self._binary(_number(numerator), cst.Divide(), _number(denominator), MUL, False)
        if expr.is_Float:
            value = float(expr)
            node: cst.BaseExpression = cst.Float(repr(abs(value)))
            if value < 0:
                return cst.UnaryOperation(cst.Minus(), node), UNARY
            return node, ATOM
        if expr.is_Symbol:
            if expr not in self.names:
                raise UnsupportedExpression(f"no variable for symbol {expr}")
            return cst.Name(self.names[expr]), ATOM  # type: ignore[index]
        if isinstance(expr, sympy.Add):
            return self._sum(expr)
        if isinstance(expr, sympy.Mul):
            return self._product(expr)
        if isinstance(expr, sympy.Pow):
            base, exponent = expr.args
            if exponent.is_Integer and int(exponent) < 0:
                return self.convert(1 / base ** (-exponent))
            return self._binary(self.convert(base), cst.Power(), self.convert(exponent), POW, False)
        if isinstance(expr, sympy.Max):
            return self._function(expr, "max")
        if isinstance(expr, sympy.Min):
            return self._function(expr, "min")
        if isinstance(expr, sympy.Abs):
            return self._function(expr, "abs")
        if isinstance(expr, sympy.Mod):
            value, modulus = expr.args
            return self._binary(
                self.convert(value), cst.Modulo(), self.convert(modulus), MUL, False
            )
        if isinstance(expr, sympy.floor) and self.numpy:
            return self._numpy_call("floor", list(expr.args))
        if isinstance(expr, sympy.floor):
            self.on_import("math")
            attribute = cst.Attribute(cst.Name("math"), cst.Name("floor"))
            return cst.Call(attribute, [cst.Arg(self.convert(expr.args[0])[0])]), ATOM
        raise UnsupportedExpression(f"cannot emit {type(expr).__name__}: {expr}")

    def _sum(self, expr: sympy.Add) -> tuple[cst.BaseExpression, int]:
        terms = expr.as_ordered_terms()
        result = self.convert(terms[0])
        for term in terms[1:]:
            coefficient, rest = term.as_coeff_Mul()
            if coefficient.is_negative:
                positive = -term
                result = self._binary(result, cst.Subtract(), self.convert(positive), ADD, False)
            else:
                result = self._binary(result, cst.Add(), self.convert(term), ADD, True)
            del rest
        return result

    def _product(self, expr: sympy.Mul) -> tuple[cst.BaseExpression, int]:
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
