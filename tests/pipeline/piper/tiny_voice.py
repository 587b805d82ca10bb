"""A tiny stand-in Piper voice, built in the test: an ONNX graph with Piper's inputs and output.

Piper voices are VITS models (tens of MB, downloaded by users); none ships with the project and none may be
fetched at test time. This graph takes what ``piper.PiperVoice`` feeds a real model — ``input`` (phoneme
ids, int64 [1, n]), ``input_lengths`` (int64 [1]) and ``scales`` (float32 [3]) — and returns ``output``,
float32 [1, 1, n·HOP]: a 220 Hz tone as long as the phonemes, so the length of the speech follows the text
as with a real voice. Everything around the model (loading, phonemisation by Piper's espeak, WAV writing,
our normalisation and timing) runs for real.
"""

from __future__ import annotations

import json
from pathlib import Path

HOP = 256  # samples per phoneme id
RATE = 16000


def build(folder: Path) -> Path:
    """Write ``tiny.onnx`` and ``tiny.onnx.json`` into ``folder``; return the model's path."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def const(name: str, value) -> onnx.NodeProto:
        return helper.make_node(
            "Constant", [], [name], value=numpy_helper.from_array(np.asarray(value), name)
        )

    nodes = [
        helper.make_node("Shape", ["input"], ["shape"]),
        const("one", np.array([1], dtype=np.int64)),
        helper.make_node("Gather", ["shape", "one"], ["n"], axis=0),
        const("hop", np.array([HOP], dtype=np.int64)),
        helper.make_node("Mul", ["n", "hop"], ["samples"]),
        helper.make_node("Cast", ["samples"], ["samples_f"], to=TensorProto.FLOAT),
        helper.make_node("Squeeze", ["samples_f"], ["limit"]),
        const("zero", np.array(0.0, dtype=np.float32)),
        const("step", np.array(1.0, dtype=np.float32)),
        helper.make_node("Range", ["zero", "limit", "step"], ["t"]),
        const("w", np.array(2 * np.pi * 220 / RATE, dtype=np.float32)),
        helper.make_node("Mul", ["t", "w"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        const("amp", np.array(0.3, dtype=np.float32)),
        helper.make_node("Mul", ["wave", "amp"], ["scaled"]),
        const("axes", np.array([0, 1], dtype=np.int64)),
        helper.make_node("Unsqueeze", ["scaled", "axes"], ["output"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_voice",
        [
            helper.make_tensor_value_info("input", TensorProto.INT64, [1, None]),
            helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
            helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, None])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = folder / "tiny.onnx"
    onnx.save(model, path)
    # the phoneme map: every character espeak's IPA may produce maps to one id (Piper's config format)
    symbols = sorted(set("_^$ ,.!?;:'-abcdefghijklmnopqrstuvwxyzæðŋɑɐɒɔəɛɜɪʃʊʌʒθˈˌːɡɹɾʔɫɚɝʍ̃ ̩"))
    config = {
        "audio": {"sample_rate": RATE},
        "espeak": {"voice": "en-us"},
        "num_symbols": len(symbols),
        "num_speakers": 1,
        "phoneme_id_map": {s: [i] for i, s in enumerate(symbols)},
        "inference": {"noise_scale": 0.667, "length_scale": 1.0, "noise_w": 0.8},
    }
    Path(str(path) + ".json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return path
