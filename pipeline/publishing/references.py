"""The papers a lecture's numbers follow, read from the docstrings of the code that computed them.

``lib/`` and the scenes cite their sources in docstrings, in one habit: ``Authors YEAR, "Title"`` (in a
``References`` list, or inline as ``(Gu & Dao 2023, §3.2 and Algorithm 2)``), followed by where in the paper
— ``eq. 4``, ``eqs. 1–4``, ``§3.4``, ``Fig. 3``, ``Algorithm 2``, ``Theorem 1``, ``Appendix H``. This module
collects them from every module a lecture's scenes import, so the video's description can list the sources
and viewers can check them.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

_NAME = r"[A-Z][A-Za-zÀ-ÿ'’-]+"
CITATION = re.compile(
    # one name, "A et al.", or a list that ends in "& Z" / "and Z" ("Gu, Goel & Ré")
    rf"(?P<authors>{_NAME}(?:(?:,\s+{_NAME})*\s+(?:&|and)\s+{_NAME}|\s+et\s+al\.)?)"
    rf"\s+(?P<year>(?:19|20)\d\d)\b(?:,\s+\"(?P<title>[^\"\n]+)\")?"
)
# where in a paper: eq. 4 / eqs. 1–4 / eq. (8) / § 3.4 / Fig. 3 / Alg. 2 / Algorithm 2 / Theorem 1 / ...
LOCATOR = re.compile(
    r"\b(?:eqs?\.\s*(?:\(\d+\)|\d+)(?:\s*[–-]\s*\d+)?|Fig(?:ure|\.)\s*\d+|Alg(?:orithm|\.)\s*\d+|Theorem\s+\d+"
    r"|Appendix\s+[A-Z]\b|Table\s+\d+|Relationship\s+\d+)|§\s?\d+(?:\.\d+)*",
    re.I,
)
# capitalised words before a year that are not authors ("Since 2017", "In 2023")
_NOT_AUTHORS = {"In", "Since", "From", "Until", "Before", "After", "By", "As", "Of", "The", "To", "And", "Or"}


@dataclass
class Reference:
    authors: str
    year: str
    title: str | None = None
    where: list[str] = field(default_factory=list)  # locators, in order of first mention
    cited_in: list[str] = field(default_factory=list)  # modules, in order

    def line(self) -> str:
        """``Gu & Dao 2023, "Mamba: …" — §3.2, Algorithm 2``."""
        s = f"{self.authors} {self.year}" + (f', "{self.title}"' if self.title else "")
        return s + (f" — {', '.join(self.where)}" if self.where else "")


def docstrings(path: Path) -> list[str]:
    """The module's, its classes' and its functions' docstrings."""
    tree = ast.parse(path.read_bytes())
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef | ast.FunctionDef))]
    return [d for n in nodes if (d := ast.get_docstring(n))]


def _span_end(text: str, start: int, end: int, next_start: int) -> int:
    """Where the text about the citation at ``start:end`` stops: its closing parenthesis when it stands in
    one, else the end of its paragraph or list item; never past the next citation."""
    stop = min(next_start, len(text))
    depth = text.count("(", text.rfind("\n", 0, start) + 1, start) - text.count(
        ")", text.rfind("\n", 0, start) + 1, start
    )
    if depth > 0:
        close = text.find(")", end)
        while close != -1 and text.count("(", end, close) > text.count(")", end, close):
            close = text.find(")", close + 1)
        return min(stop, close if close != -1 else stop)
    item = re.compile(r"\n\s*\n|\n\s*[-*] |\n(?=\S)").search(text, end)
    return min(stop, item.start() if item else stop)


def citations(text: str) -> list[tuple[str, str, str | None, list[str]]]:
    """(authors, year, title, locators) of every citation in ``text``."""
    found = [
        m for m in CITATION.finditer(text) if m.group("authors").split()[0].rstrip(",") not in _NOT_AUTHORS
    ]
    out = []
    for k, m in enumerate(found):
        nxt = found[k + 1].start() if k + 1 < len(found) else len(text)
        span = text[m.end() : _span_end(text, m.start(), m.end(), nxt)]
        where = [_locator(w) for w in LOCATOR.findall(span)]
        authors = " ".join(m.group("authors").split())
        out.append((authors, m.group("year"), m.group("title"), where))
    return out


_KINDS = ("eq", "§", "Fig.", "Algorithm", "Theorem", "Table", "Appendix", "Relationship")


def _locator(text: str) -> str:
    """One spelling per kind: ``Eq. 1`` → ``eq. 1``, ``Alg. 2`` → ``Algorithm 2``, ``§ 3.2`` → ``§3.2``."""
    t = " ".join(text.split())
    t = re.sub(r"^(?i:eq)(s?)\.\s*", r"eq\1. ", t)
    t = re.sub(r"^(?i:alg(?:orithm|\.))\s*", "Algorithm ", t)
    t = re.sub(r"^(?i:fig(?:ure|\.))\s*", "Fig. ", t)
    return re.sub(r"^§\s*", "§", t)


def _order(locator: str) -> tuple[int, list[int]]:
    """eqs, then sections, figures, algorithms …, each by number."""
    kind = next((k for k, name in enumerate(_KINDS) if locator.startswith(name)), len(_KINDS))
    return kind, [int(n) for n in re.findall(r"\d+", locator)]


def collect(modules: dict[str, Path]) -> list[Reference]:
    """Every reference cited in the docstrings of ``modules`` ({name: file}), merged by authors and year
    (a citation without a title joins the one with it), in order of first citation."""
    refs: dict[tuple[str, str], Reference] = {}
    for name, path in modules.items():
        for doc in docstrings(path):
            for authors, year, title, where in citations(doc):
                ref = refs.setdefault((authors, year), Reference(authors, year))
                if title and (ref.title is None or len(title) > len(ref.title)):
                    ref.title = title
                ref.where += [w for w in where if w not in ref.where]
                if name not in ref.cited_in:
                    ref.cited_in.append(name)
    # "Hinton et al. 2015" is the "Hinton, Vinyals & Dean 2015" cited in full elsewhere, if only one is
    for key, ref in list(refs.items()):
        if ref.title or not ref.authors.endswith("et al."):
            continue
        first = ref.authors.split()[0]
        full = [
            r
            for r in refs.values()
            if r.title and r.year == ref.year and r.authors.split()[0].rstrip(",") == first
        ]
        if len(full) == 1 and full[0] is not ref:
            full[0].where += [w for w in ref.where if w not in full[0].where]
            full[0].cited_in += [m for m in ref.cited_in if m not in full[0].cited_in]
            del refs[key]
    for ref in refs.values():
        ref.where.sort(key=_order)
    return list(refs.values())
