"""Readability of an audience text: Flesch-Kincaid grade and SMOG, with the library's version.

textstat is pinned to 0.7.4: it counts syllables with pyphen's bundled dictionaries, so scoring
works offline (newer releases download an NLTK word list at run time). Scores change between
library versions, so each stored score names the version that computed it.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from importlib.metadata import version as package_version

from markdown_it import MarkdownIt

from articles.content import MARKER_GROUP

with warnings.catch_warnings():
    # textstat 0.7.4 imports pkg_resources, which warns that it is deprecated; harmless here.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    import textstat

LIBRARY = "textstat"
LIBRARY_VERSION = package_version("textstat")

_INLINE_MARKUP = re.compile(r"[*_`~]+|!?\[([^\]]*)\]\([^)]*\)")


@dataclass(frozen=True)
class Readability:
    fk_grade: float
    smog: float
    words: int
    library: str = LIBRARY
    library_version: str = LIBRARY_VERSION


def plain_text(markdown: str) -> str:
    """The words a reader reads: no Markdown syntax, no citation markers, one block per line.

    Each heading, paragraph and list item ends with a full stop if it has none, so that a list
    of short items is not scored as one endless sentence.
    """
    blocks = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown or ""):
        if token.type != "inline":
            continue
        text = MARKER_GROUP.sub("", token.content)
        text = _INLINE_MARKUP.sub(lambda m: m.group(1) or "", text).strip()
        if text:
            blocks.append(text if text[-1] in ".!?:" else f"{text}.")
    return "\n".join(blocks)


def score(markdown: str) -> Readability:
    """Flesch-Kincaid grade and SMOG index of one audience's Markdown text."""
    text = plain_text(markdown)
    if not text:
        return Readability(fk_grade=0.0, smog=0.0, words=0)
    return Readability(
        fk_grade=round(float(textstat.flesch_kincaid_grade(text)), 1),
        smog=round(float(textstat.smog_index(text)), 1),
        words=int(textstat.lexicon_count(text)),
    )
