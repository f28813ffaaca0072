"""When a constant read off a trained model counts as exact: one rule for the whole compiler.

A float may become a fraction, and the rule be called exact, only in two ways (docs/compiler.md,
"Exact constants"):

1. **Small denominator, judged on the data**: the nearest fraction with denominator <=
   ``MAX_DENOMINATOR`` reproduces what the model computes. The caller decides "reproduces": the
   simplify pass needs an integer-valued rule equal to the model's rounded output at every
   traced position (so the traces pin the rule down exactly, not within a tolerance), symbolic
   regression (and a sub-MLP table) a fit as good as the least-squares floats on the
   sub-MLP's samples.
2. **Minimum description length, judged on the value alone**: the fraction has a short
   description (``description_bits``, a prefix code) and matches the float to a relative
   precision (``precision_bits``) at least ``MARGIN_BITS`` longer than that description. Because
   the code is prefix-free (Kraft), a float drawn uniformly from any interval [-R, R], R >= 1,
   passes with probability at most 2**-MARGIN_BITS; the measured rate for [-10, 10] is in
   docs/compiler.md (``benchmarks/constants/false_exact.py`` measures it).

Any other constant stays a float, and the compiled rule is reported inexact.
"""

from __future__ import annotations

import math
from fractions import Fraction

#: The largest denominator of a "small" fraction (simplify's snapping and w2c.sr's coefficients).
MAX_DENOMINATOR = 12
#: Bits by which a fraction's precision must exceed its description (rule 2).
MARGIN_BITS = 12
#: A float64 carries at most this much relative precision.
FLOAT_BITS = 52
#: Decimals tried by rule 2: m / 10**k for k = 1..MAX_DECIMALS (integers are small fractions).
MAX_DECIMALS = 15
#: The shortest description: 0 as a ratio (kind, sign, q = 1, gamma(1)).
MIN_BITS = 2 + math.log2(MAX_DENOMINATOR) + 1
#: Beyond this magnitude no constant is snapped (nor tried).
MAX_MAGNITUDE = 10**6


def nearest_small_fraction(value: float, max_denominator: int = MAX_DENOMINATOR) -> Fraction | None:
    """The closest fraction with denominator <= ``max_denominator``, or None when out of range."""
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        return None
    return Fraction(value).limit_denominator(max_denominator)


def close(value: float, fraction: Fraction, tolerance: float) -> bool:
    """``|value - fraction| <= tolerance * max(1, |value|)``: the snapping distance of rule 1."""
    return abs(float(fraction) - value) <= tolerance * max(1.0, abs(value))


def gamma_bits(n: int) -> int:
    """Length of the Elias gamma code of the integer n >= 1 (prefix-free, Kraft sum 1)."""
    return 2 * (n.bit_length() - 1) + 1


def ratio_bits(fraction: Fraction) -> float | None:
    """``|f| = n + r/q`` with q <= MAX_DENOMINATOR: q uniform over 1..12, gamma(n + 1), r uniform
    over 0..q-1; None when the denominator is larger."""
    q = fraction.denominator
    if q > MAX_DENOMINATOR:
        return None
    whole = abs(fraction.numerator) // q
    return math.log2(MAX_DENOMINATOR) + gamma_bits(whole + 1) + math.log2(q)


def decimal_bits(fraction: Fraction) -> float | None:
    """``|f| = m / 10**k`` with 1 <= k <= MAX_DECIMALS (smallest k): gamma(k) then gamma(m + 1);
    None when f is no such decimal or is an integer (a ratio with q = 1 describes those)."""
    q = fraction.denominator
    twos = (q & -q).bit_length() - 1
    fives, rest = 0, q >> twos
    while rest % 5 == 0:
        fives, rest = fives + 1, rest // 5
    k = max(twos, fives)
    if rest != 1 or not 1 <= k <= MAX_DECIMALS:
        return None
    return gamma_bits(k) + gamma_bits(abs(fraction.numerator) * 10**k // q + 1)


def description_bits(fraction: Fraction) -> float:
    """Bits to name ``fraction``: 1 bit for the kind (ratio or decimal), 1 for the sign, then the
    shorter of the two codes; infinite when neither applies. The whole code is prefix-free."""
    lengths = [b for b in (ratio_bits(fraction), decimal_bits(fraction)) if b is not None]
    return 2 + min(lengths) if lengths else math.inf


def precision_bits(value: float, approximation: float) -> float:
    """How many bits of ``value`` an approximation explains: -log2 of the relative distance
    ``|value - approximation| / max(1, |value|)``, at most FLOAT_BITS (all a float64 holds)."""
    distance = abs(value - approximation) / max(1.0, abs(value))
    if distance <= 2.0**-FLOAT_BITS:
        return float(FLOAT_BITS)
    return -math.log2(distance)


def described(value: float, margin: float = MARGIN_BITS) -> Fraction | None:
    """The shortest fraction that passes rule 2 for ``value`` (ties: the closer), else None.

    Tried: the nearest fraction with each denominator 1..12 and ``value`` rounded to 1..15
    decimals; any fraction that could pass is among them."""
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        return None
    passing = []
    for q in _SCALES:
        numerator = round(value * q)
        precision = precision_bits(value, numerator / q)
        if precision < _least_bits(numerator, q) + margin:  # cheap screen before Fractions
            continue
        fraction = Fraction(numerator, q)
        bits = description_bits(fraction)
        if precision >= bits + margin:
            passing.append((bits, -precision, fraction))
    return min(passing)[2] if passing else None


_SCALES = (*range(1, MAX_DENOMINATOR + 1), *(10**k for k in range(1, MAX_DECIMALS + 1)))


def _least_bits(numerator: int, scale: int) -> float:
    """What naming ``numerator / scale`` costs at least: MIN_BITS for a small denominator, else
    its decimal code (a decimal that is also a small ratio is tried at its own denominator)."""
    if scale <= MAX_DENOMINATOR:
        return MIN_BITS
    k = len(str(scale)) - 1
    while k and numerator % 10 == 0:
        numerator, k = numerator // 10, k - 1
    return MIN_BITS if k == 0 else 2 + gamma_bits(k) + gamma_bits(abs(numerator) + 1)
