"""transformer.layers: every number drawn against PyTorch's own layers with the same weights.

``torch.nn.TransformerEncoderLayer`` / ``TransformerDecoderLayer`` (float64, dropout 0, post-norm, batch
first) get the scene's weights copied in; the intermediate values after each sublayer are taken from the
layer's own submodules (``self_attn``, ``norm1``, ``linear1/2`` …) and checked to compose into the layer's
full forward, so the reference at every stage is torch's. Strings are compared exactly, formatted as drawn.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.transformer.layers import (
    DecoderLayerWeights,
    EncoderLayerWeights,
    MHAWeights,
    init_decoder_layer_weights,
    init_encoder_layer_weights,
)
from scenes.engine.probe import Picture
from scenes.kit import numbers
from scenes.transformer.layers import Layers

SETS = [None, *Layers.EXAMPLES]
LOCALES = ["en", "zh"]
ENC, DEC, CROSS = 0, 1, 2  # the pauses: encoder path, decoder path, cross-attention weights (+ end)


def t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64)


def copy_mha(mod: torch.nn.MultiheadAttention, w: MHAWeights) -> None:
    mod.in_proj_weight.copy_(t(np.concatenate([w.W_q.T, w.W_k.T, w.W_v.T])))  # torch stores (out, in)
    mod.in_proj_bias.copy_(t(np.concatenate([w.b_q, w.b_k, w.b_v])))
    mod.out_proj.weight.copy_(t(w.W_o.T))
    mod.out_proj.bias.copy_(t(w.b_o))


def copy_common(layer: torch.nn.Module, w: EncoderLayerWeights | DecoderLayerWeights) -> None:
    copy_mha(layer.self_attn, w.self_attn)
    for name in ("norm1", "norm2", "norm3"):
        if hasattr(w, name):
            getattr(layer, name).weight.copy_(t(getattr(w, name).gamma))
            getattr(layer, name).bias.copy_(t(getattr(w, name).beta))
    layer.linear1.weight.copy_(t(w.ffn.W1.T))
    layer.linear1.bias.copy_(t(w.ffn.b1))
    layer.linear2.weight.copy_(t(w.ffn.W2.T))
    layer.linear2.bias.copy_(t(w.ffn.b2))


def torch_reference(p) -> dict[str, np.ndarray]:
    """Every stage the scene draws, from torch's modules, for the scene's seeded weights and inputs."""
    rng = np.random.default_rng(p.seed + 7)  # the inputs: the scene's documented recipe (Params.inputs)
    src = t(rng.normal(size=(1, p.src_len, p.d_model)))
    tgt = t(rng.normal(size=(1, p.tgt_len, p.d_model)))
    kw = {"dropout": 0.0, "activation": p.activation, "batch_first": True, "dtype": torch.float64}
    enc = torch.nn.TransformerEncoderLayer(p.d_model, p.n_heads, p.d_ff, **kw).train()  # no fused path
    dec = torch.nn.TransformerDecoderLayer(p.d_model, p.n_heads, p.d_ff, **kw).train()
    act = F.relu if p.activation == "relu" else F.gelu
    out: dict[str, np.ndarray] = {}
    with torch.no_grad():
        copy_common(enc, init_encoder_layer_weights(p.d_model, p.d_ff, seed=p.seed))
        wd = init_decoder_layer_weights(p.d_model, p.d_ff, seed=p.seed + 1)
        copy_common(dec, wd)
        copy_mha(dec.multihead_attn, wd.cross_attn)
        # encoder: x → self-attention → add & norm → FFN → add & norm
        attn = enc.self_attn(src, src, src, need_weights=False)[0]
        n1 = enc.norm1(src + attn)
        ff = enc.linear2(act(enc.linear1(n1)))
        n2 = enc.norm2(n1 + ff)
        torch.testing.assert_close(n2, enc(src), rtol=0, atol=1e-12)  # the stages compose into the layer
        out |= {"enc_in": src, "enc_attn": attn, "enc_norm1": n1, "enc_ffn": ff, "enc_norm2": n2}
        # decoder: masked self-attention, cross-attention over the encoder output, FFN
        mask = torch.nn.Transformer.generate_square_subsequent_mask(p.tgt_len, dtype=torch.float64)
        sa = dec.self_attn(tgt, tgt, tgt, attn_mask=mask, need_weights=False)[0]
        m1 = dec.norm1(tgt + sa)
        ca, weights = dec.multihead_attn(m1, n2, n2, need_weights=True, average_attn_weights=False)
        m2 = dec.norm2(m1 + ca)
        dff = dec.linear2(act(dec.linear1(m2)))
        m3 = dec.norm3(m2 + dff)
        torch.testing.assert_close(m3, dec(tgt, n2, tgt_mask=mask), rtol=0, atol=1e-12)
        out |= {"dec_in": tgt, "dec_self": sa, "dec_norm1": m1, "dec_cross": ca, "dec_norm2": m2}
        out |= {"dec_ffn": dff, "dec_norm3": m3, "cross_weights": weights[0]}  # (H, T, S)
    return {k: v.numpy() for k, v in out.items()}


def fixed2(values) -> list[str]:
    return [numbers.fixed(float(v), 2) for v in np.ravel(values)]


def run(fast_run, raw, locale):
    scene, _ = fast_run("transformer.layers", raw, locale)
    assert len(scene.pictures) == 4
    return scene, Layers.Params.model_validate(raw or {})


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_every_stage_shows_torchs_numbers(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    ref = torch_reference(p)
    k = p.shown_dims
    stages = {
        ENC: ("enc_in", "enc_attn", "enc_norm1", "enc_ffn", "enc_norm2"),
        DEC: ("dec_in", "dec_self", "dec_norm1", "dec_cross", "dec_norm2", "dec_ffn", "dec_norm3"),
    }
    for pause, keys in stages.items():
        pic = scene.pictures[pause]
        for key in keys:
            drawn = pic.array(key)  # (k, 1): token 1's first k dimensions after this stage
            assert drawn.shape == (k, 1), key
            assert list(drawn[:, 0]) == fixed2(ref[key][0, 0, :k]), key


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_shapes_after_every_box(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    pic = Picture.merge(scene.pictures)
    src, tgt = f"{p.src_len} × {p.d_model}", f"{p.tgt_len} × {p.d_model}"
    for name in ("enc_in", "enc_attn", "enc_norm1", "enc_ffn", "enc_norm2"):
        assert pic.text("shape", name) == src
    for name in ("dec_in", "dec_self", "dec_norm1", "dec_cross", "dec_norm2", "dec_ffn", "dec_norm3"):
        assert pic.text("shape", name) == tgt
    assert pic.text("shape", "memory") == src  # cross-attention's keys and values: the source length
    assert scene.pictures[ENC].contains_text(f"{p.d_model} → {p.d_ff} → {p.d_model}")


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_cross_attention_weights_are_torchs_per_head(fast_run, raw, locale):
    scene, p = run(fast_run, raw, locale)
    w = torch_reference(p)["cross_weights"]  # (H, T, S)
    pic = scene.pictures[CROSS]
    for h in range(p.n_heads):
        drawn = pic.array(f"cross_weights_{h}")
        assert drawn.shape == (p.tgt_len, p.src_len)
        assert [list(r) for r in drawn] == [fixed2(r) for r in w[h]]
    # the narration names the weight the first target token gives its favourite source token in head 1
    said = next(b.text for b in scene.beats if b.id == "cross")
    j = int(np.argmax(w[0, 0]))
    assert numbers.fixed(w[0, 0, j], 2) in said and f"x{j + 1}" in said


def test_the_torch_reference_is_not_trivial():
    # a guard on the reference itself: the stages differ, and each row of weights is a distribution
    ref = torch_reference(Layers.Params())
    assert not np.allclose(ref["enc_norm1"], ref["enc_norm2"])
    assert np.abs(ref["cross_weights"].sum(-1) - 1).max() < 1e-12
