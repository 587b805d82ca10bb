"""The "did you mean …?" of error messages: the known name closest to a misspelt one, or none at all.

One rule for every error message that suggests a name (storyboard keys and scene ids, the layer report's
layer and argument names): compare case-insensitively, take an exact match if there is one, otherwise the
name with the highest ``difflib.SequenceMatcher`` ratio 2·M/T (M matched characters, T the total length
of both names; Ratcliff & Obershelp's gestalt pattern matching), provided it reaches ``CUTOFF``.

Why 0.75. Real typos — one transposed, dropped, doubled or wrong letter, a missing suffix — score 0.80–0.96
('titel'→'title' 0.80, 'd_stat'→'d_state' 0.92, 'Linaer'→'Linear' 0.83, 'MaxPool'→'MaxPool2d' 0.88,
'mamba.selective_scna'→'mamba.selective_scan' 0.95). Unrelated names that only share a prefix or a few
letters score up to 0.73 ('mamba.attention'→'mamba.selection', 'mamba.foo'→'mamba.block' 0.70,
'size'→'stride' 0.60): difflib's default cutoff 0.6 suggests those, which misleads more than it helps.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.75


def closest(word: str, choices: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """The choice closest to ``word`` (case-insensitive), or None if none scores ``cutoff`` or more."""
    lower: dict[str, str] = {}
    for c in choices:
        lower.setdefault(c.lower(), c)  # the first spelling wins if two differ only in case
    key = str(word).lower()
    if key in lower:
        return lower[key]
    match = difflib.get_close_matches(key, list(lower), n=1, cutoff=cutoff)
    return lower[match[0]] if match else None
