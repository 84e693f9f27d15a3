"""Numbers as the command line prints them: no float noise (5077.799999999999 is
5,077.8), whole numbers without decimals, thousands separated, and "n/a" for what is
unknown (None, ±inf, NaN, or a solver's 1e20-style "none yet")."""

from __future__ import annotations

from decimal import Decimal

from allocopt.status import known

SIGNIFICANT = 10  # enough for any objective a planner reads; more only to tell two apart


def figure(x: float | None, digits: int = SIGNIFICANT) -> str:
    """`x` rounded to `digits` significant digits, written without an exponent."""
    if not known(x):
        return "n/a"
    rounded = float(f"{x:.{digits}g}") + 0.0  # + 0.0: no "-0"
    if rounded.is_integer():
        return f"{int(rounded):,}"
    return f"{Decimal(repr(rounded)):,f}"


def figures_apart(a: float | None, b: float | None) -> tuple[str, str]:
    """`a` and `b` with as many digits as it takes to show that they differ (an
    objective and its bound: equal-looking figures would hide a gap)."""
    digits = SIGNIFICANT
    while digits < 17 and known(a) and known(b) and a != b and figure(a, digits) == figure(
            b, digits):
        digits += 1
    return figure(a, digits), figure(b, digits)


def percent(share: float | None) -> str:
    """A gap or share in percent, three significant digits (0.00224 %, 12.3 %)."""
    if not known(share):
        return "n/a"
    if share > 9.99:  # an incumbent near 0 makes the relative gap astronomic
        return "> 999 %"
    return f"{figure(100 * share, 3)} %"
