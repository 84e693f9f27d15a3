"""The report's words in English and Korean: a message catalogue, keyed by the English.

A message is an English template with named fields, `"{n} of {total} projects"`; the
catalogue maps it to its Korean form. `text(lang, message, **fields)` formats the
template of `lang` (English when the message has no translation, which
`missing` records so that a test can insist on none). Values are formatted by the
caller; what comes back is plain text, escaped by the HTML or Markdown writer.
"""

from __future__ import annotations

from allocopt.report.catalogue_ko import KO

LANGUAGES = ("en", "ko")
HTML_LANG = {"en": "en", "ko": "ko"}
# Fonts the page names for every script it shows; Noto's CJK fonts carry Hangul.
# Latin first in the page's UI fonts (Noto CJK's Latin is wider); Hangul falls through
# to the first Noto CJK font installed (Debian's fonts-noto-cjk: "Noto Sans CJK KR").
FONT_STACK = ('"Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", "Noto Sans KR", '
              '"Noto Sans CJK KR", "Malgun Gothic", "Apple SD Gothic Neo", "DejaVu Sans", '
              'sans-serif')

missing: set[str] = set()


def text(lang: str, message: str, **fields: object) -> str:
    """`message` in `lang`, its fields filled in."""
    template = message
    if lang == "ko":
        template = KO.get(message, message)
        if message not in KO:
            missing.add(message)
    return template.format(**fields) if fields else template


class Words:
    """`text` bound to one language: `w("Budget")`, `w("{n} funded", n=3)`."""

    def __init__(self, lang: str = "en") -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"language {lang!r}: choose one of {', '.join(LANGUAGES)}")
        self.lang = lang

    def __call__(self, message: str, **fields: object) -> str:
        return text(self.lang, message, **fields)
