"""common/suggest.py: real typos get their name, unrelated names get nothing, against the names the project
really suggests from (scene ids, storyboard keys, the report's layers and arguments)."""

from __future__ import annotations

import difflib

import pytest

from common.suggest import CUTOFF, closest
from lib.arithmetic.report import build_report
from lib.arithmetic.report_layers import LAYERS, ReportError

SCENES = [
    "mamba.why_mamba", "mamba.continuous_ssm", "mamba.discretization", "mamba.two_views", "mamba.selection",
    "mamba.selective_scan", "mamba.parallel_scan", "mamba.block", "mamba.inference_memory",
]  # fmt: skip
KEYS = [
    "title", "name", "locale", "quality", "scenes", "scene", "chapter", "params", "sentence", "d_inner",
    "d_state", "seed", "discretization", "delta", "steps", "omega", "damping", "delta_small", "delta_large",
]  # fmt: skip
CONV_ARGS = ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias"]

TYPOS = [  # (misspelt, choices, expected)
    ("mamba.selective_scna", SCENES, "mamba.selective_scan"),
    ("mamba.discretisation", SCENES, "mamba.discretization"),
    ("mamba.blocks", SCENES, "mamba.block"),
    ("titel", KEYS, "title"),
    ("d_stat", KEYS, "d_state"),
    ("sentense", KEYS, "sentence"),
    ("chaptr", KEYS, "chapter"),
    ("delta_smal", KEYS, "delta_small"),
    ("Linaer", LAYERS, "Linear"),
    ("MaxPool", LAYERS, "MaxPool2d"),
    ("BatchNorm", LAYERS, "BatchNorm2d"),
    ("LayerNrom", LAYERS, "LayerNorm"),
    ("Sigmod", LAYERS, "Sigmoid"),
    ("Embeding", LAYERS, "Embedding"),
    ("conv2d", LAYERS, "Conv2d"),  # case alone
    ("GeLU", LAYERS, "GELU"),
    ("MultiHeadAttention", LAYERS, "MultiheadAttention"),
    ("kernal_size", CONV_ARGS, "kernel_size"),
    ("strides", CONV_ARGS, "stride"),
    ("dilatation", CONV_ARGS, "dilation"),
]
UNRELATED = [  # names that share a prefix or a few letters with a choice, and nothing more
    ("mamba.nope", SCENES),
    ("mamba.foo", SCENES),
    ("mamba.attention", SCENES),
    ("transformer.attention", SCENES),
    ("Dropout", LAYERS),
    ("Softmax", LAYERS),
    ("Transformer", LAYERS),
    ("LeakyReLU", LAYERS),
    ("size", CONV_ARGS),
    ("weight", CONV_ARGS),
    ("data", KEYS),
    ("fps", KEYS),
]


@pytest.mark.parametrize(("word", "choices", "expected"), TYPOS)
def test_typos_get_their_name(word: str, choices: list[str], expected: str) -> None:
    assert closest(word, choices) == expected


@pytest.mark.parametrize(("word", "choices"), UNRELATED)
def test_unrelated_names_get_nothing(word: str, choices: list[str]) -> None:
    assert closest(word, choices) is None


def test_the_cutoff_separates_the_two_sets() -> None:
    """The margin on both sides, with the ratios computed independently by difflib."""

    def best(word: str, choices: list[str]) -> float:
        return max(difflib.SequenceMatcher(None, word.lower(), c.lower()).ratio() for c in choices)

    typo_low = min(best(w, c) for w, c, _ in TYPOS)
    unrelated_high = max(best(w, c) for w, c in UNRELATED)
    assert unrelated_high < CUTOFF <= typo_low
    assert unrelated_high >= 0.7 and typo_low <= 0.85  # both sets reach close to the line: it is tested
    assert closest("mamba.foo", SCENES, cutoff=0.6) == "mamba.block"  # difflib's default would suggest


def test_exact_and_case_insensitive_matches() -> None:
    assert closest("Linear", LAYERS) == "Linear"
    assert closest("linear", ["Linear", "linear"]) == "Linear"  # the first spelling wins
    assert closest("anything", []) is None


def test_the_layer_report_uses_it() -> None:
    with pytest.raises(ReportError, match=r"unknown layer 'Linaer' \(did you mean 'Linear'\?\)"):
        build_report("Linaer(4, 2)", (1, 4))
    with pytest.raises(ReportError) as e:
        build_report("Dropout(0.1)", (1, 4))
    assert "did you mean" not in str(e.value)
    hint = r"unexpected argument 'kernal_size' \(did you mean 'kernel_size'\?\)"
    with pytest.raises(ReportError, match=hint):
        build_report("Conv2d(3, 8, kernal_size=3)", (1, 3, 8, 8))
