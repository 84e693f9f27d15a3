"""Text cells that a spreadsheet cannot run: CSV-injection neutralisation.

A spreadsheet opening a CSV file treats a cell starting with `=`, `+`, `-` or `@` (and,
in some, a tab or carriage return before them) as a formula, so a project titled
`=HYPERLINK(…)` would run when a planner opens projects.csv. Following OWASP's
CSV-injection guidance, such a text cell is written with a single quote in front. A
text cell that already starts with a quote gets one more, so that `restore`, which
strips exactly one leading quote, gives back every text exactly. Numbers are written
as they are ("-3.5" in a number column is a number, not a formula); they never start
with a quote, so `restore` leaves them alone too.
"""

from __future__ import annotations

from collections.abc import Mapping

QUOTE = "'"
# Characters that make a spreadsheet read a cell as a formula, and the quote itself.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", QUOTE)


def neutralise(text: str) -> str:
    """`text` with a leading quote when a spreadsheet could take it for a formula."""
    return QUOTE + text if text.startswith(TRIGGERS) else text


def restore(cell: str) -> str:
    """The text `neutralise` was given: one leading quote removed, if any."""
    return cell[1:] if cell.startswith(QUOTE) else cell


def restore_row(row: Mapping[str, str | None]) -> dict[str, str | None]:
    """A csv.DictReader row with every cell restored (number cells are unchanged)."""
    return {k: restore(v) if isinstance(v, str) else v for k, v in row.items()}
