"""Messages a person can act on: "did you mean …?" for unknown ids, known lists kept
short, and what to write instead of a number as a spreadsheet shows it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

SHOWN = 12  # known ids listed in a message before "… (N in all)"
# get_close_matches compares against every known id; past this many, only the first
# ones of a long list are compared, so that a thousand typos stay quick.
COMPARED = 20_000


def printable(text: str) -> str:
    """`text`, or its repr when it holds control characters (so one problem stays one
    line and nothing reaches the terminal as an escape sequence)."""
    return text if text.isprintable() else repr(text)


def known_list(known: Sequence[str], shown: int = SHOWN) -> str:
    """'a, b, c' or 'a, b, …, l (40 in all)'."""
    names = [printable(str(k))[:64] for k in known[:shown]]
    if len(known) > shown:
        return f"{', '.join(names)}, … ({len(known)} in all)"
    return ", ".join(names)


def did_you_mean(value: str, known: Sequence[str]) -> str:
    """'; did you mean 'health'?' or '' when nothing is close."""
    if not isinstance(value, str) or len(value) > 128:
        return ""
    close = difflib.get_close_matches(value, list(known[:COMPARED]), n=1, cutoff=0.6)
    if not close and value.lower() != value:
        lowered = {str(k).lower(): k for k in known[:COMPARED]}
        close = [lowered[value.lower()]] if value.lower() in lowered else []
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown(kind: str, value: str, known: Sequence[str]) -> str:
    """"unknown area 'helth'; did you mean 'health'? (known: health, finance)"."""
    shown = printable(repr(value))[:160]
    listed = f" (known: {known_list(known)})" if known else " (none are defined)"
    return f"unknown {kind} {shown}{did_you_mean(value, known)}{listed}"


class Names:
    """The known ids of one kind, for messages about unknown ones. Suggestions cost a
    comparison per known id; past `budget` comparisons in all, messages go without."""

    def __init__(self, kind: str, known: Sequence[str], budget: int = 2_000_000) -> None:
        self.kind = kind
        self.known = list(known)
        self._budget = budget

    def __contains__(self, value: object) -> bool:
        return value in self._set

    @property
    def _set(self) -> set[str]:
        if not hasattr(self, "_cached"):
            self._cached = set(self.known)
        return self._cached

    def unknown(self, value: str) -> str:
        cost = min(len(self.known), COMPARED)
        if cost > self._budget:
            shown = printable(repr(value))[:160]
            return f"unknown {self.kind} {shown} (known: {known_list(self.known)})"
        self._budget -= cost
        return unknown(self.kind, value, self.known)


def outside_horizon(value: str, periods: Sequence[str]) -> str:
    """"period 'Q7' is outside the horizon Q1..Q4; did you mean …?"."""
    shown = printable(repr(value))[:160]
    return (f"period {shown} is outside the horizon ({periods[0]}..{periods[-1]}, "
            f"{len(periods)} periods){did_you_mean(value, periods)}")


_SEPARATORS = ",\u00a0 '"
_THOUSANDS = re.compile(rf"^[+-]?\d{{1,3}}([{_SEPARATORS}]\d{{3}})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")


def number_hint(text: str) -> str:
    """What to write instead of '1,024', '30%' or '0,5' (or '' when no hint fits)."""
    text = text.strip()
    if _THOUSANDS.match(text):
        digits = "".join(c for c in text if c not in _SEPARATORS)
        return f"write {digits}"
    if _DECIMAL_COMMA.match(text):
        return f"write {text.replace(',', '.')}"
    if text.endswith("%"):
        try:
            value = float(text[:-1].strip()) / 100
        except ValueError:
            return ""
        return f"write {value:g} (a fraction, not a percentage)"
    return ""
