"""Korean forms of the report's messages (English template → Korean template).

Fields in braces are filled in by `allocopt.report.i18n.text`; every field of the
English template appears in the Korean one.
"""

from __future__ import annotations

KO: dict[str, str] = {
}
