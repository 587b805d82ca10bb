"""The input of a Transformer: token embedding plus sinusoidal positional encoding.

Vaswani et al. 2017, §3.4 ("Embeddings and Softmax"): a learned table maps each token id to a vector of
width d_model; §3.5 ("Positional Encoding"): PE(pos, 2i) = sin(pos / base^{2i/d}), PE(pos, 2i+1) =
cos(pos / base^{2i/d}) is *added* to it, so x_pos = E[token_pos] + PE(pos) enters the first layer. The
paper also multiplies the embedding by √d_model (§3.4); ``scale`` exposes that factor (default 1: the
lecture's tiny models were trained without it). Dimension pair i oscillates with wavelength
λ_i = 2π · base^{2i/d}: "the wavelengths form a geometric progression from 2π to 10000 · 2π" (§3.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.transformer.positions import sinusoidal_encoding, sinusoidal_frequencies


def sinusoidal_wavelengths(d: int, base: float = 10000.0) -> np.ndarray:
    """λ_i = 2π / ω_i = 2π · base^{2i/d} for i = 0 … d/2 − 1 (Vaswani et al. 2017, §3.5)."""
    return 2.0 * np.pi / sinusoidal_frequencies(d, base)  # (d/2,)


@dataclass(frozen=True)
class EmbeddedSequence:
    """Each position's token embedding, its positional encoding and their sum (the first layer's input)."""

    tokens: np.ndarray  # (T,)  token ids
    token_embedding: np.ndarray  # (T, d)  scale · E[token_t]
    positional: np.ndarray  # (T, d)  PE(t)
    x: np.ndarray  # (T, d)  scale · E[token_t] + PE(t)


def embed_with_sinusoids(
    embed: np.ndarray, tokens: np.ndarray, base: float = 10000.0, scale: float = 1.0
) -> EmbeddedSequence:
    """x_t = scale · E[token_t] + PE(t) for t = 0 … T − 1 (Vaswani et al. 2017, §3.4–3.5). embed (V, d)."""
    tokens = np.asarray(tokens, dtype=np.int64)  # (T,)
    tok = scale * np.asarray(embed, dtype=np.float64)[tokens]  # (T, d)
    pe = sinusoidal_encoding(len(tokens), tok.shape[1], base)  # (T, d)
    return EmbeddedSequence(tokens=tokens, token_embedding=tok, positional=pe, x=tok + pe)  # x: (T, d)
