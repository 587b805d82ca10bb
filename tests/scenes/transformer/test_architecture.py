"""transformer.architecture: what the viewer reads — every sublayer's parameter count, the per-stack table,
the component bars and totals of the encoder–decoder and of GPT-2, and the comparison table — against
PyTorch modules built on the meta device (no memory) and counted with ``sum(p.numel())``.

References never call ``lib.arithmetic``: the encoder–decoder is ``nn.Transformer`` (the paper's post-norm
layers, biases, LayerNorms and a final norm per stack) with one ``nn.Embedding`` shared by source, target
and the pre-softmax projection (Vaswani et al. 2017, §3.4); GPT-2 is built from ``nn.Embedding``,
``nn.LayerNorm``, ``nn.MultiheadAttention`` and ``nn.Linear`` with its output layer tied to the token
embedding (Radford et al. 2019). Published totals pin both: 124,439,808 for GPT-2 small and 354,823,168
for GPT-2 medium (the Hugging Face checkpoints).
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from scenes.engine.probe import Picture
from scenes.kit import numbers
from scenes.transformer.architecture import Architecture

SETS = [None, *Architecture.EXAMPLES]
LOCALES = ["en", "zh"]
STACKS, LAYERS, COMPONENTS, DECODER_ONLY, COMPARE = range(5)  # the pauses
ENC_SUBLAYERS = ("self_attn", "norm1", "ffn", "norm2")  # as drawn, bottom to top, with torch's names
DEC_SUBLAYERS = ("self_attn", "norm1", "cross_attn", "norm2", "ffn", "norm3")


def sublayer(layer: nn.Module, name: str) -> int:
    """Parameters of one drawn sublayer of an nn.Transformer*Layer (torch calls cross-attention
    ``multihead_attn`` and keeps the FFN as ``linear1``, ``linear2``)."""
    if name == "ffn":
        return n(layer.linear1) + n(layer.linear2)
    return n(getattr(layer, "multihead_attn" if name == "cross_attn" else name))


def n(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def seq2seq(p) -> tuple[nn.Transformer, nn.Embedding]:
    with torch.device("meta"):
        tr = nn.Transformer(p.d_model, p.n_heads, p.n_encoder, p.n_decoder, p.d_ff, batch_first=True)
        return tr, nn.Embedding(p.vocab, p.d_model)


class GPT2(nn.Module):
    """GPT-2's parameters: token and position tables, n × (ln_1, attention, ln_2, MLP 4d), ln_f; the output
    layer is the token table transposed (tied), so it adds none."""

    def __init__(self, V: int, d: int, L: int, h: int, positions: int) -> None:
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, d), nn.Embedding(positions, d)
        self.ln_1 = nn.ModuleList(nn.LayerNorm(d) for _ in range(L))
        self.attn = nn.ModuleList(nn.MultiheadAttention(d, h) for _ in range(L))
        self.ln_2 = nn.ModuleList(nn.LayerNorm(d) for _ in range(L))
        self.mlp = nn.ModuleList(
            nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d)) for _ in range(L)
        )
        self.ln_f = nn.LayerNorm(d)


def gpt2(p) -> GPT2:
    with torch.device("meta"):
        return GPT2(p.gpt_vocab, p.gpt_d_model, p.gpt_layers, p.gpt_heads, p.gpt_positions)


def run(fast_run, raw, locale):
    scene, _ = fast_run("transformer.architecture", raw, locale)
    assert len(scene.pictures) == COMPARE + 1
    return scene.pictures, Architecture.Params.model_validate(raw or {}), Architecture.STRINGS[locale]


def test_published_totals():
    assert n(gpt2(Architecture.Params())) == 124_439_808  # GPT-2 small
    medium = Architecture.Params.model_validate(Architecture.EXAMPLES[0])
    assert n(gpt2(medium)) == 354_823_168  # GPT-2 medium
    tr, emb = seq2seq(Architecture.Params())
    assert n(tr) + n(emb) == 63_084_544  # the base model under the conventions the scene states


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_stacks_and_layer_params(fast_run, raw, locale):
    pics, p, s = run(fast_run, raw, locale)
    first = pics[STACKS]
    assert first.text("stack_layers", "encoder") == s["stack_name"].format(s=s["encoder"], n=p.n_encoder)
    assert first.text("stack_layers", "decoder") == s["stack_name"].format(s=s["decoder"], n=p.n_decoder)
    assert first.text("config", "d_model") == s["cfg_d_model"].format(v=numbers.integer(p.d_model))
    assert first.text("config", "d_ff") == s["cfg_d_ff"].format(v=numbers.integer(p.d_ff))
    assert first.text("config", "heads") == s["cfg_heads"].format(v=numbers.integer(p.n_heads))
    assert first.text("config", "vocab") == s["cfg_vocab"].format(v=numbers.integer(p.vocab))
    assert "sublayer_params" not in first  # the counts come with the second slide

    tr, _ = seq2seq(p)
    enc, dec = tr.encoder.layers[0], tr.decoder.layers[0]
    second = pics[LAYERS]
    for side, layer, names in (("encoder", enc, ENC_SUBLAYERS), ("decoder", dec, DEC_SUBLAYERS)):
        for name in names:
            expected = numbers.integer(sublayer(layer, name))
            assert second.text("sublayer_params", (side, name)) == expected, (side, name)
    table = second.array(
        "stack_table"
    )  # rows: one layer, layers, stack + final norm; columns: label, enc, dec
    assert list(table[:, 0]) == [s["row_one_layer"], s["row_n"], s["row_stack"]]
    assert list(table[:, 1]) == [numbers.integer(v) for v in (n(enc), p.n_encoder, n(tr.encoder))]
    assert list(table[:, 2]) == [numbers.integer(v) for v in (n(dec), p.n_decoder, n(tr.decoder))]


def base_groups(p) -> list[int]:
    """Embedding, encoder self-attention, decoder self-attention, cross-attention, FFNs, LayerNorms —
    sorted from the torch module's own parameter names."""
    tr, emb = seq2seq(p)
    g = dict.fromkeys(("enc_self", "dec_self", "cross", "ffn", "norms"), 0)
    for name, w in tr.named_parameters():
        if ".multihead_attn." in name:
            g["cross"] += w.numel()
        elif ".self_attn." in name:
            g["enc_self" if name.startswith("encoder.") else "dec_self"] += w.numel()
        elif ".linear" in name:
            g["ffn"] += w.numel()
        else:
            assert "norm" in name, name
            g["norms"] += w.numel()
    return [n(emb), *g.values()]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_component_bars_and_totals(fast_run, raw, locale):
    pics, p, s = run(fast_run, raw, locale)
    c = pics[COMPONENTS]
    groups = base_groups(p)
    assert list(c.array("base_params")) == [numbers.integer(v) for v in groups]
    names = ["embedding", "enc_self_attn", "dec_self_attn", "cross_attn", "ffn", "norms"]
    assert list(c.array("base_params_label")) == [s[f"bar_{k}"] for k in names]
    tr, emb = seq2seq(p)
    total = n(tr) + n(emb)
    assert sum(groups) == total
    assert c.text("base_total") == s["total"].format(
        v=numbers.integer(total), c=numbers.count(total, 3, locale)
    )
    assert c.text("paper") == s["paper"].format(t=3, m=p.paper_millions)
    assert s["conv_shared"] in c.strings


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_gpt2_bars_and_comparison(fast_run, raw, locale):
    pics, p, s = run(fast_run, raw, locale)
    m = gpt2(p)
    L = p.gpt_layers
    expected = [
        n(m.wte),
        n(m.wpe),
        sum(n(a) for a in m.attn),
        sum(n(x) for x in m.mlp),
        sum(n(x) for x in (*m.ln_1, *m.ln_2)) + n(m.ln_f),
    ]
    g = pics[DECODER_ONLY]
    assert list(g.array("gpt_params")) == [numbers.integer(v) for v in expected]
    assert g.text("gpt_total") == s["gpt_total"].format(
        v=numbers.integer(n(m)), c=numbers.count(n(m), 3, locale)
    )
    assert "base_params" in g  # the base model's bars stay beside GPT-2's, on one scale
    assert g.value("base_params", 0) == pytest.approx(base_groups(p)[0])
    tr, emb = seq2seq(p)
    cmp = pics[COMPARE]
    assert list(cmp.array("cmp_base")) == [
        s["enc_dec"].format(e=p.n_encoder, d=p.n_decoder),
        *(numbers.integer(v) for v in (p.d_model, p.d_ff, p.n_heads, p.vocab)),
        s["sinusoid"],
        numbers.integer(n(tr) + n(emb)),
    ]
    d_ff = m.mlp[0][0].out_features
    assert list(cmp.array("cmp_gpt")) == [
        numbers.integer(v) for v in (L, p.gpt_d_model, d_ff, p.gpt_heads, p.gpt_vocab, p.gpt_positions, n(m))
    ]
    assert "base_params" not in cmp


def test_narrated_numbers_are_the_drawn_ones(fast_run):
    """Each beat's numbers, as said, are the strings on screen at that point (defaults, en)."""
    scene, _ = fast_run("transformer.architecture", None, "en")
    said = {b.id: b.text for b in scene.beats}
    pic = Picture.merge(scene.pictures)
    assert pic.text("base_total").split()[1] in said["total"]
    assert pic.text("sublayer_params", ("encoder", "ffn")) in said["sublayers"]
    assert pic.text("gpt_total").split()[1] in said["gpt2_total"]
