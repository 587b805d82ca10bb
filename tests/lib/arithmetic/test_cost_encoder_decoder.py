"""lib/arithmetic/cost_encoder_decoder.py against PyTorch: ``torch.nn.Transformer`` plus a shared embedding
(parameters by ``sum(p.numel())``, per group by ``named_parameters``), matmul FLOPs by FlopCounterMode (the
math SDPA backend, whose attention products are bmm calls the counter sees), and the base model by hand.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from lib.arithmetic.cost_encoder_decoder import cross_attention_cost, encoder_decoder_cost, params_by_group

DT = torch.float64
GROUPS = {
    "embeddings": ["embedding", "lm_head"],
    "enc_self": ["encoder.layers.*.self_attn"],
    "dec_self": ["decoder.layers.*.self_attn"],
    "cross": ["decoder.layers.*.cross_attn"],
    "ffn": ["*.ffn"],
    "norms": ["*norm*"],
}


class Seq2Seq(nn.Module):
    """nn.Transformer between one shared embedding and the pre-softmax projection by its transpose (§3.4)."""

    def __init__(self, V: int, d: int, h: int, n_enc: int, n_dec: int, dff: int, device=None) -> None:
        super().__init__()
        kw = {"dtype": DT, "device": device}
        self.emb = nn.Embedding(V, d, **kw)
        self.tr = nn.Transformer(d, h, n_enc, n_dec, dff, dropout=0.0, batch_first=True, **kw)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        d, T = self.emb.embedding_dim, tgt.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(T, dtype=DT)
        y = self.tr(self.emb(src) * d**0.5, self.emb(tgt) * d**0.5, tgt_mask=mask)  # (B, T, d)
        return y @ self.emb.weight.T  # (B, T, V)


def torch_groups(m: Seq2Seq) -> dict[str, int]:
    """Parameters per group from the torch module's own parameter names."""
    out = dict.fromkeys(GROUPS, 0)
    for name, p in m.named_parameters():
        if name.startswith("emb."):
            g = "embeddings"
        elif ".multihead_attn." in name:
            g = "cross"
        elif ".self_attn." in name:
            g = "enc_self" if name.startswith("tr.encoder.") else "dec_self"
        elif ".linear1." in name or ".linear2." in name:
            g = "ffn"
        else:
            assert "norm" in name, name
            g = "norms"
        out[g] += p.numel()
    return out


def test_base_model_vs_torch_on_meta():
    # Vaswani et al. 2017, Table 3 "base": N = 6, d_model 512, d_ff 2048, h 8; §5.1: 37,000 shared tokens
    m = Seq2Seq(37000, 512, 8, 6, 6, 2048, device="meta")
    c = encoder_decoder_cost(37000, 512, 6, 6, 8, 2048, 1, 1)
    assert c.params == sum(p.numel() for p in m.parameters()) == 63_084_544
    assert params_by_group(c, GROUPS) == torch_groups(m)


def test_base_model_by_hand():
    V, d, dff, N = 37000, 512, 2048, 6
    attn, ffn, ln = 4 * d * d + 4 * d, 2 * d * dff + dff + d, 2 * d
    enc, dec = attn + ffn + 2 * ln, 2 * attn + ffn + 3 * ln
    assert encoder_decoder_cost(V, d, N, N, 8, dff, 1, 1).params == V * d + N * (enc + dec) + 2 * ln
    untied = encoder_decoder_cost(V, d, N, N, 8, dff, 1, 1, shared_embeddings=False, final_norms=False)
    assert untied.params == 3 * V * d + N * (enc + dec)


@pytest.mark.parametrize(
    "V,d,h,n_enc,n_dec,dff,S,T,B", [(30, 16, 4, 2, 3, 24, 7, 5, 2), (11, 8, 2, 1, 1, 8, 1, 4, 1)]
)
def test_matmul_flops_vs_flop_counter(V, d, h, n_enc, n_dec, dff, S, T, B):
    m = Seq2Seq(V, d, h, n_enc, n_dec, dff)
    with FlopCounterMode(display=False) as mode, sdpa_kernel(SDPBackend.MATH), torch.no_grad():
        out = m(torch.randint(0, V, (B, S)), torch.randint(0, V, (B, T)))
    c = encoder_decoder_cost(V, d, n_enc, n_dec, h, dff, S, T, B)
    assert c.matmul_flops == mode.get_total_flops()
    assert c.params == sum(p.numel() for p in m.parameters())
    assert c.part("softmax").output_shape == tuple(out.shape)


def test_cross_attention_vs_multiheadattention():
    B, T, S, d, h = 2, 3, 6, 12, 3
    m = nn.MultiheadAttention(d, h, batch_first=True, dtype=DT)
    q, kv = torch.randn(B, T, d, dtype=DT), torch.randn(B, S, d, dtype=DT)
    with FlopCounterMode(display=False) as mode, torch.no_grad():
        m(q, kv, kv, need_weights=True)  # the weights path: explicit bmm products
    c = cross_attention_cost(T, S, d, h, B)
    assert c.matmul_flops == mode.get_total_flops()
    assert c.params == sum(p.numel() for p in m.parameters())
    assert c.part("scores").output_shape == (B, h, T, S)


def test_groups_must_cover_every_parameter():
    c = encoder_decoder_cost(20, 8, 1, 1, 2, 16, 3, 3)
    with pytest.raises(ValueError, match="matches no group"):
        params_by_group(c, {"attention": ["*attn"]})
    assert sum(params_by_group(c, GROUPS).values()) == c.params
