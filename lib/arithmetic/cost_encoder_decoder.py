"""Cost of the original encoder–decoder Transformer (Vaswani et al. 2017, Fig. 1), and parameters by group.

Same conventions as ``lib/arithmetic/cost_layers.py`` (``macs``, ``flops``, ``params`` as
``sum(p.numel())``). The layout is ``torch.nn.Transformer`` (post-norm, ReLU FFN, biases in every
projection, LayerNorm γ and β, one final LayerNorm after each stack) with a token embedding in front and
a pre-softmax projection behind:

    embedding (V·d; §3.4: shared by source, target and the pre-softmax linear) → + sinusoidal PE (§3.5: no
    parameters) → N_enc × [self_attn, norm1, ffn, norm2] → norm
                     → N_dec × [self_attn (causal), norm1, cross_attn (Q from the decoder, K, V from the
                       encoder), norm2, ffn, norm3] → norm → lm_head (d → V, tied: no parameters of its own)

Table 3 of the paper lists the base model (N = 6, d_model = 512, d_ff = 2048, h = 8) as 65 × 10⁶
parameters; with the 37,000-token shared vocabulary of §5.1 these conventions count 63,084,544 — the paper
does not say which vocabulary or conventions its rounded figure used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase

from lib.arithmetic.cost_layers import (
    ELEMENTWISE_FLOPS,
    LayerCost,
    activation_cost,
    combine,
    elementwise_cost,
    embedding_cost,
    layernorm_cost,
    linear_cost,
)
from lib.arithmetic.cost_models import attention_cost, ffn_cost


def cross_attention_cost(
    tgt_len: int,
    src_len: int,
    d_model: int,
    n_heads: int,
    batch: int = 1,
    bias: bool = True,
    name: str = "cross_attn",
) -> LayerCost:
    """Encoder–decoder attention (Vaswani et al. 2017, §3.2.3): queries from the T_tgt decoder positions,
    keys and values from the T_src encoder outputs, softmax(Q Kᵀ/√d_k) V (Eq. 1).

    MACs = 2·B·T_tgt·d² (Q, output) + 2·B·T_src·d² (K, V) + 2·B·T_tgt·T_src·d (QKᵀ and AV over all heads).
    params = 4·d² (+ 4·d with bias), as ``torch.nn.MultiheadAttention``.
    """
    if d_model % n_heads:
        raise ValueError(f"d_model {d_model} must be divisible by n_heads {n_heads}")
    q_in, kv_in = (batch, tgt_len, d_model), (batch, src_len, d_model)
    n_scores = batch * n_heads * tgt_len * src_len
    hd = d_model // n_heads
    scores = LayerCost(
        "scores", 0, n_scores * hd, 2 * n_scores * hd + n_scores, n_scores, (batch, n_heads, tgt_len, src_len)
    )
    softmax = elementwise_cost("softmax", scores.output_shape, ELEMENTWISE_FLOPS["softmax"])
    context = LayerCost("context", 0, n_scores * hd, 2 * n_scores * hd, batch * tgt_len * d_model, q_in)
    return combine(
        name,
        [
            linear_cost(d_model, d_model, q_in, bias, "q_proj"),
            linear_cost(d_model, d_model, kv_in, bias, "k_proj"),
            linear_cost(d_model, d_model, kv_in, bias, "v_proj"),
            scores,
            softmax,
            context,
            linear_cost(d_model, d_model, q_in, bias, "out_proj"),
        ],
    )


def encoder_decoder_cost(
    vocab: int,
    d_model: int,
    n_encoder: int,
    n_decoder: int,
    n_heads: int,
    d_ff: int,
    src_len: int,
    tgt_len: int,
    batch: int = 1,
    activation: str = "relu",
    shared_embeddings: bool = True,
    final_norms: bool = True,
    bias: bool = True,
) -> LayerCost:
    """The encoder–decoder Transformer (Vaswani et al. 2017, §3.1, Fig. 1) as the module docstring lays out.

    ``shared_embeddings``: one V×d matrix for source, target and pre-softmax weights (§3.4); otherwise a
    separate target embedding and an untied output projection (3·V·d in all). ``final_norms``: the
    LayerNorm after each stack that ``torch.nn.Transformer`` adds (2·2·d parameters).
    Each layer's sublayers are post-norm residuals, LayerNorm(x + Sublayer(x)) (§3.1).
    """
    src, tgt = (batch, src_len, d_model), (batch, tgt_len, d_model)

    def norm(shape: tuple[int, ...], nm: str) -> LayerCost:
        return layernorm_cost(d_model, shape, bias=bias, name=nm)

    def ffn(T: int) -> LayerCost:
        return ffn_cost(d_model, d_ff, T, batch, activation, bias, name="ffn")

    n_src, n_tgt = batch * src_len * d_model, batch * tgt_len * d_model
    enc_layer = [
        attention_cost(src_len, d_model, n_heads, batch, bias, name="self_attn"),
        norm(src, "norm1"),
        ffn(src_len),
        norm(src, "norm2"),
    ]
    encoder = [
        combine(f"layers.{i}", enc_layer, src, extra_flops=2 * n_src, extra_activation=2 * n_src)
        for i in range(n_encoder)
    ]
    dec_layer = [
        attention_cost(tgt_len, d_model, n_heads, batch, bias, name="self_attn"),
        norm(tgt, "norm1"),
        cross_attention_cost(tgt_len, src_len, d_model, n_heads, batch, bias),
        norm(tgt, "norm2"),
        ffn(tgt_len),
        norm(tgt, "norm3"),
    ]
    decoder = [
        combine(f"layers.{i}", dec_layer, tgt, extra_flops=3 * n_tgt, extra_activation=3 * n_tgt)
        for i in range(n_decoder)
    ]
    if final_norms:
        encoder.append(norm(src, "norm"))
        decoder.append(norm(tgt, "norm"))

    emb = embedding_cost(vocab, d_model, (batch, src_len), "embedding")
    tgt_emb = embedding_cost(vocab, d_model, (batch, tgt_len), "tgt_embedding")
    # the embedded tokens are multiplied by √d_model (§3.4) and the positional encoding added (§3.5)
    scale_add = LayerCost("positions", 0, 0, 2 * (n_src + n_tgt), n_src + n_tgt, tgt)
    head = linear_cost(d_model, vocab, tgt, False, "lm_head")
    if shared_embeddings:  # one table looked up twice (source and target), and no head weights of its own
        both = emb.activation_elems + tgt_emb.activation_elems
        ends = [LayerCost("embedding", emb.params, 0, 0, both, emb.output_shape)]
        head = LayerCost("lm_head", 0, head.macs, head.flops, head.activation_elems, head.output_shape)
    else:
        ends = [emb, tgt_emb]
    return combine(
        "transformer",
        [
            *ends,
            scale_add,
            combine("encoder", encoder, src),
            combine("decoder", decoder, tgt),
            head,
            activation_cost("softmax", (batch, tgt_len, vocab), "softmax"),
        ],
    )


def params_by_group(cost: LayerCost, groups: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Parameters of ``cost`` summed into named groups of parts, matched by dotted path below the root.

    ``groups`` maps a group name to glob patterns (``fnmatch``, case-sensitive) over paths such as
    ``"encoder.layers.3.self_attn"``; a part whose path matches a group is counted whole (its parts are not
    visited again), the first group in order wins. Every parameter must land in a group: a leaf with
    parameters that matches none raises ``ValueError``, so the groups always add up to ``cost.params``.
    """
    totals = {g: 0 for g in groups}

    def visit(node: LayerCost, path: str) -> None:
        for g, patterns in groups.items():
            if any(fnmatchcase(path, p) for p in patterns):
                totals[g] += node.params
                return
        if not node.parts:
            if node.params:
                raise ValueError(f"{path} holds {node.params} parameters but matches no group")
            return
        for part in node.parts:
            visit(part, f"{path}.{part.name}" if path else part.name)

    for part in cost.parts:
        visit(part, part.name)
    return totals
