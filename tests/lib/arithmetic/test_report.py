"""``python -m lib.arithmetic.report`` run as a subprocess; its figures checked against torch modules built
in the test.

Each layer string is turned into a ``torch.nn`` module here (via ``ast``, independently of the report),
run in float64 under FlopCounterMode: parameters = sum(p.numel()), MACs = counted FLOPs / 2, output shape,
and forward memory = output numel × 4 bytes for single-output layers.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lib.arithmetic.report", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def figures(stdout: str) -> dict[str, object]:
    """The summary block: parameters, MACs, matmul FLOPs (2 x MACs), output shape, forward memory bytes."""
    num = lambda label: int(re.search(rf"^{label}:\s+([\d,]+)", stdout, re.M).group(1).replace(",", ""))
    shape = re.search(r"^Output shape:\s+\[([\d, ]*)\]", stdout, re.M).group(1)
    return {
        "params": num("Parameters"),
        "macs": num("MACs"),
        "matmul_flops": int(re.search(r"= 2 x MACs ([\d,]+)", stdout).group(1).replace(",", "")),
        "output_shape": tuple(int(d) for d in shape.split(",")),
        "memory": num("Forward memory"),
    }


def torch_layer(text: str) -> nn.Module:
    call = ast.parse(text.strip(), mode="eval").body
    args = [ast.literal_eval(a) for a in call.args]
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    name = call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id
    return getattr(nn, name)(*args, **kwargs).double()


def torch_figures(texts: list[str], shape: tuple[int, ...]) -> dict[str, object]:
    with torch.device("meta"):  # shapes and FLOP counts only: no real arithmetic
        return _torch_figures(texts, shape)


def _torch_figures(texts: list[str], shape: tuple[int, ...]) -> dict[str, object]:
    layers = [torch_layer(t) for t in texts]
    x = (
        torch.zeros(shape, dtype=torch.long)
        if isinstance(layers[0], nn.Embedding)
        else torch.zeros(shape, dtype=torch.float64)
    )
    outputs = []
    with FlopCounterMode(display=False) as mode, torch.no_grad():
        for layer in layers:
            if isinstance(layer, nn.MultiheadAttention):
                x = layer(x, x, x, need_weights=True)[0]
            elif isinstance(layer, nn.RNNBase):
                x = layer(x)[0]
            else:
                x = layer(x)
            outputs.append(0 if isinstance(layer, nn.Flatten) else x.numel())  # Flatten returns a view
    return {
        "params": sum(p.numel() for layer in layers for p in layer.parameters()),
        "matmul_flops": mode.get_total_flops(),
        "output_shape": tuple(x.shape),
        "memory": 4 * sum(outputs),
    }


SINGLE = [
    ("Conv2d(3, 64, kernel_size=7, stride=2, padding=3)", (1, 3, 224, 224)),
    ("Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)", (1, 3, 224, 224)),
    ("Conv2d(8, 16, (3, 5), stride=(2, 1), padding=1, dilation=(1, 2), groups=4)", (2, 8, 20, 21)),
    ("Linear(20, 7)", (3, 5, 20)),
    ("nn.Linear(20, 7, bias=False)", (4, 20)),
    ("MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", (2, 4, 15, 16)),
    ("AvgPool2d(2)", (1, 3, 9, 9)),
    ("BatchNorm2d(6)", (2, 6, 5, 5)),
    ("LayerNorm(10)", (2, 3, 10)),
    ("GELU()", (4, 9)),
    ("Embedding(50, 12)", (2, 7)),
]


@pytest.mark.parametrize("text,shape", SINGLE)
def test_single_layer_matches_torch(text, shape):
    res = run(text, "--input", ",".join(map(str, shape)))
    assert res.returncode == 0, res.stderr
    got = figures(res.stdout)
    want = torch_figures([text], shape)
    assert got["params"] == want["params"]
    assert got["matmul_flops"] == 2 * got["macs"] == want["matmul_flops"]
    assert got["output_shape"] == want["output_shape"]
    assert got["memory"] == want["memory"]


@pytest.mark.parametrize(
    "text,shape",
    [
        ("LSTM(10, 20, 2, batch_first=True, bidirectional=True)", (4, 7, 10)),
        ("GRU(6, 5)", (9, 2, 6)),
        ("MultiheadAttention(16, 4, batch_first=True)", (2, 5, 16)),
    ],
)
def test_sequence_layers_match_torch(text, shape):
    res = run(text, "--input", ",".join(map(str, shape)))
    assert res.returncode == 0, res.stderr
    got, want = figures(res.stdout), torch_figures([text], shape)
    for key in ("params", "matmul_flops", "output_shape"):
        assert got[key] == want[key], key
    assert got["memory"] > want["memory"]  # intermediates (gates, scores) on top of the output


def test_resnet_stem_figures_printed_with_separators():
    out = run(
        "Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)", "--input", "1,3,224,224"
    ).stdout
    assert "9,408" in out and "118,013,952" in out and "[1, 64, 112, 112]" in out and "3.06 MiB" in out
    assert "multiply-accumulate" in out


def test_sequential_model_table_and_total():
    texts = [
        "Conv2d(3, 8, 3, padding=1)",
        "BatchNorm2d(8)",
        "ReLU()",
        "MaxPool2d(2)",
        "Flatten()",
        "Linear(512, 10)",
    ]
    res = run("; ".join(texts), "--input", "2,3,16,16")
    assert res.returncode == 0, res.stderr
    got, want = figures(res.stdout), torch_figures(texts, (2, 3, 16, 16))
    assert got == {**want, "macs": want["matmul_flops"] // 2}
    lines = res.stdout.splitlines()
    for i, t in enumerate(texts, start=1):
        assert any(line.split()[:1] == [str(i)] and t in line for line in lines), t
    total = next(line for line in lines if line.strip().startswith("Total")).split()
    assert int(total[1].replace(",", "")) == want["params"]


def test_embedding_then_attention_model():
    texts = ["Embedding(100, 16)", "MultiheadAttention(16, 4, batch_first=True)", "Linear(16, 100)"]
    res = run(";".join(texts), "--input", "2,5")
    got, want = figures(res.stdout), torch_figures(texts, (2, 5))
    assert (got["params"], got["matmul_flops"], got["output_shape"]) == (
        want["params"],
        want["matmul_flops"],
        want["output_shape"],
    )


@pytest.mark.parametrize(
    "args,needle",
    [
        (["Conv2D(3, 4, 3)", "--input", "1,3,8,8"], "did you mean 'Conv2d'"),
        (["Linear(3, 4); Lineer(4, 2)", "--input", "2,3"], "did you mean 'Linear'"),
        (["Conv2d(3, 4, kernal_size=3)", "--input", "1,3,8,8"], "did you mean 'kernel_size'"),
        (["Linear(3, 4); Linear(5, 2)", "--input", "2,3"], "layer 2"),
        (["Conv2d(4, 8, 3)", "--input", "1,3,8,8"], "expects input"),
        (["Conv2d(3, 8, 9)", "--input", "1,3,8,8"], "does not fit"),
        (["Linear(3)", "--input", "2,3"], "out_features"),
        (["Linear(3, 4", "--input", "2,3"], "cannot parse"),
        (["Linear(3, 4, bias=1)", "--input", "2,3"], "bias"),
        (["Linear(3, 4)", "--input", "2,x"], "--input"),
        (["Frobnicate(1)", "--input", "2,3"], "unknown layer 'Frobnicate'"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, needle):
    res = run(*args)
    assert res.returncode == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert needle in lines[0]


def test_arguments_are_never_evaluated(tmp_path):
    marker = tmp_path / "pwned"
    res = run(f"Linear(3, __import__('pathlib').Path({str(marker)!r}).touch())", "--input", "2,3")
    assert res.returncode == 2 and "literal" in res.stderr
    assert not marker.exists()


def test_help_explains_grammar_and_report_does_not_import_torch():
    res = run("--help")
    assert res.returncode == 0
    assert "grammar" in res.stdout and "example" in res.stdout and "MultiheadAttention" in res.stdout
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, lib.arithmetic.report; sys.exit('torch' in sys.modules or 'manim' in sys.modules)",
        ],
        cwd=ROOT,
        timeout=60,
    )
    assert probe.returncode == 0
