"""Text cells that a spreadsheet cannot run: CSV-injection neutralisation.

Kept for imports from earlier versions; the rule and its reasons live with the rest of
the results-folder format in `allocopt.folder`.
"""

from __future__ import annotations

from allocopt.folder import QUOTE, TRIGGERS, neutralise, restore, restore_row

__all__ = ["QUOTE", "TRIGGERS", "neutralise", "restore", "restore_row"]
