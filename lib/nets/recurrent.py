"""Recurrent layers step by step: Elman RNN with backpropagation through time, LSTM cell, GRU cell.

- RNN (Elman 1990), h_t = tanh(x_t W_ih + b_ih + h_{t−1} W_hh + b_hh), trained by BPTT (Werbos 1990,
  "Backpropagation through time: what it does and how to do it"). ‖∂L/∂h_t‖ over t shows the vanishing /
  exploding gradients of Bengio et al. 1994 and Pascanu et al. 2013 (eq. 5–7: a product of Jacobians
  diag(1 − h_k²) W_hhᵀ).
- LSTM (Hochreiter & Schmidhuber 1997; forget gate of Gers et al. 2000) in torch.nn.LSTMCell's form.
- GRU (Cho et al. 2014, eq. 5–8) in torch.nn.GRUCell's form, where the reset gate multiplies
  (h W_hn + b_hn) rather than h.

Weights are stored for ``x @ W`` (input dimension first), i.e. transposed from torch; the gate blocks sit
side by side along the last axis in torch's order: LSTM (i, f, g, o), GRU (r, z, n). Sequences are
time-major, x (T, B, D), as torch's default ``batch_first=False``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.core.activations import sigmoid

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


@dataclass(frozen=True)
class RecurrentParams:
    """One recurrent layer: k = 1 (RNN), 4 (LSTM: i, f, g, o) or 3 (GRU: r, z, n) gate blocks."""

    W_ih: np.ndarray  # (D, k·H)
    W_hh: np.ndarray  # (H, k·H)
    b_ih: np.ndarray  # (k·H,)
    b_hh: np.ndarray  # (k·H,)

    @property
    def hidden_size(self) -> int:
        return self.W_hh.shape[0]


def init_recurrent_params(kind: str, input_size: int, hidden_size: int, seed: int = 0) -> RecurrentParams:
    """Seeded U(±1/√H) for every tensor, torch's default for RNN/LSTM/GRU."""
    k = GATES[kind]
    rng = np.random.default_rng(seed)
    bound = hidden_size**-0.5
    u = lambda *shape: rng.uniform(-bound, bound, size=shape)
    return RecurrentParams(
        u(input_size, k * hidden_size),
        u(hidden_size, k * hidden_size),
        u(k * hidden_size),
        u(k * hidden_size),
    )


def _zeros_like_state(x: np.ndarray, h: int, given: np.ndarray | None) -> np.ndarray:
    return np.zeros((x.shape[1], h)) if given is None else given  # (B, H)


# ---------------------------------------------------------------- RNN + BPTT


@dataclass(frozen=True)
class RNNTrace:
    """Forward pass of a tanh RNN over a sequence."""

    x: np.ndarray  # (T, B, D)
    h0: np.ndarray  # (B, H)
    pre: np.ndarray  # (T, B, H)  a_t = x_t W_ih + b_ih + h_{t−1} W_hh + b_hh
    h: np.ndarray  # (T, B, H)  h_t = tanh(a_t)


@dataclass(frozen=True)
class RNNGrads:
    """BPTT result: parameter gradients, input gradients and the total ∂L/∂h_t at every step."""

    dW_ih: np.ndarray  # (D, H)
    dW_hh: np.ndarray  # (H, H)
    db_ih: np.ndarray  # (H,)
    db_hh: np.ndarray  # (H,)
    dx: np.ndarray  # (T, B, D)
    dh0: np.ndarray  # (B, H)
    dh: np.ndarray  # (T, B, H)  ∂L/∂h_t through every path (direct loss + all later steps)
    grad_norms: np.ndarray  # (T,)  ‖∂L/∂h_t‖ (Frobenius over batch and units)


def rnn_forward(params: RecurrentParams, x: np.ndarray, h0: np.ndarray | None = None) -> RNNTrace:
    """Elman RNN (Elman 1990; torch.nn.RNN, tanh): h_t = tanh(x_t W_ih + b_ih + h_{t−1} W_hh + b_hh)."""
    h_prev = _zeros_like_state(x, params.hidden_size, h0)  # (B, H)
    h0 = h_prev
    pre, hs = [], []
    for x_t in x:  # x_t (B, D)
        a = x_t @ params.W_ih + params.b_ih + h_prev @ params.W_hh + params.b_hh  # (B, H)
        h_prev = np.tanh(a)  # (B, H)
        pre.append(a)
        hs.append(h_prev)
    return RNNTrace(x, h0, np.stack(pre), np.stack(hs))  # (T, B, H) each


def rnn_bptt(params: RecurrentParams, trace: RNNTrace, dh_out: np.ndarray) -> RNNGrads:
    """Backpropagation through time (Werbos 1990, eq. for ordered derivatives) for the tanh RNN.

    dh_out (T, B, H) is the loss's direct gradient w.r.t. each h_t. Walking t = T…1:
        ∂L/∂h_t = dh_out_t + ∂L/∂a_{t+1} W_hhᵀ,   ∂L/∂a_t = ∂L/∂h_t ⊙ (1 − h_t²),
        ∂L/∂W_hh += h_{t−1}ᵀ ∂L/∂a_t,  ∂L/∂W_ih += x_tᵀ ∂L/∂a_t,  ∂L/∂x_t = ∂L/∂a_t W_ihᵀ.
    """
    T = trace.h.shape[0]
    h_prev = np.concatenate([trace.h0[None], trace.h[:-1]])  # (T, B, H)  h_{t−1}
    dW_ih, dW_hh = np.zeros_like(params.W_ih), np.zeros_like(params.W_hh)  # (D, H), (H, H)
    db = np.zeros_like(params.b_ih)  # (H,)
    dx = np.zeros_like(trace.x)  # (T, B, D)
    dh = np.zeros_like(trace.h)  # (T, B, H)
    from_future = np.zeros_like(trace.h0)  # (B, H)  ∂L/∂a_{t+1} W_hhᵀ
    for t in reversed(range(T)):
        dh[t] = dh_out[t] + from_future  # (B, H)
        da = dh[t] * (1.0 - trace.h[t] ** 2)  # (B, H)
        dW_hh += h_prev[t].T @ da  # (H, H)
        dW_ih += trace.x[t].T @ da  # (D, H)
        db += da.sum(axis=0)  # (H,)
        dx[t] = da @ params.W_ih.T  # (B, D)
        from_future = da @ params.W_hh.T  # (B, H)
    norms = np.sqrt((dh**2).sum(axis=(1, 2)))  # (T,)
    return RNNGrads(dW_ih, dW_hh, db, db.copy(), dx, from_future, dh, norms)


# ---------------------------------------------------------------- LSTM


@dataclass(frozen=True)
class LSTMCellTrace:
    """One LSTM step, gate by gate (torch order i, f, g, o)."""

    x: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    c_prev: np.ndarray  # (B, H)
    pre: np.ndarray  # (B, 4H)  x W_ih + b_ih + h_prev W_hh + b_hh, blocks (i, f, g, o)
    i: np.ndarray  # (B, H)  input gate σ
    f: np.ndarray  # (B, H)  forget gate σ
    g: np.ndarray  # (B, H)  cell candidate tanh
    o: np.ndarray  # (B, H)  output gate σ
    c: np.ndarray  # (B, H)  c = f ⊙ c_prev + i ⊙ g
    tanh_c: np.ndarray  # (B, H)
    h: np.ndarray  # (B, H)  h = o ⊙ tanh(c)


def lstm_cell(
    params: RecurrentParams, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray
) -> LSTMCellTrace:
    """LSTM step (Hochreiter & Schmidhuber 1997; forget gate: Gers et al. 2000), as torch.nn.LSTMCell:

    i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o);  c = f ⊙ c_prev + i ⊙ g;  h = o ⊙ tanh(c).
    """
    pre = x @ params.W_ih + params.b_ih + h_prev @ params.W_hh + params.b_hh  # (B, 4H)
    a_i, a_f, a_g, a_o = np.split(pre, 4, axis=-1)  # (B, H) each
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)  # (B, H) each
    c = f * c_prev + i * g  # (B, H)
    tanh_c = np.tanh(c)  # (B, H)
    return LSTMCellTrace(x, h_prev, c_prev, pre, i, f, g, o, c, tanh_c, o * tanh_c)


@dataclass(frozen=True)
class LSTMSequence:
    h: np.ndarray  # (T, B, H)
    c: np.ndarray  # (T, B, H)
    steps: tuple[LSTMCellTrace, ...]


def lstm_forward(
    params: RecurrentParams, x: np.ndarray, h0: np.ndarray | None = None, c0: np.ndarray | None = None
) -> LSTMSequence:
    """Unroll ``lstm_cell`` over x (T, B, D), as a one-layer torch.nn.LSTM."""
    h = _zeros_like_state(x, params.hidden_size, h0)  # (B, H)
    c = _zeros_like_state(x, params.hidden_size, c0)  # (B, H)
    steps = []
    for x_t in x:  # x_t (B, D)
        step = lstm_cell(params, x_t, h, c)
        h, c = step.h, step.c  # (B, H) each
        steps.append(step)
    return LSTMSequence(np.stack([s.h for s in steps]), np.stack([s.c for s in steps]), tuple(steps))


# ---------------------------------------------------------------- GRU


@dataclass(frozen=True)
class GRUCellTrace:
    """One GRU step, gate by gate (torch order r, z, n)."""

    x: np.ndarray  # (B, D)
    h_prev: np.ndarray  # (B, H)
    gi: np.ndarray  # (B, 3H)  x W_ih + b_ih, blocks (r, z, n)
    gh: np.ndarray  # (B, 3H)  h_prev W_hh + b_hh, blocks (r, z, n)
    r: np.ndarray  # (B, H)  reset gate σ(gi_r + gh_r)
    z: np.ndarray  # (B, H)  update gate σ(gi_z + gh_z)
    n: np.ndarray  # (B, H)  candidate tanh(gi_n + r ⊙ gh_n)
    h: np.ndarray  # (B, H)  h = (1 − z) ⊙ n + z ⊙ h_prev


def gru_cell(params: RecurrentParams, x: np.ndarray, h_prev: np.ndarray) -> GRUCellTrace:
    """GRU step (Cho et al. 2014, eq. 5–8) in torch.nn.GRUCell's form:

    r = σ(x W_ir + b_ir + h W_hr + b_hr),  z = σ(x W_iz + b_iz + h W_hz + b_hz),
    n = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h.
    (Cho et al. put r inside, W(r ⊙ h); torch, like cuDNN, applies r after the matrix product.)
    """
    gi = x @ params.W_ih + params.b_ih  # (B, 3H)
    gh = h_prev @ params.W_hh + params.b_hh  # (B, 3H)
    gi_r, gi_z, gi_n = np.split(gi, 3, axis=-1)  # (B, H) each
    gh_r, gh_z, gh_n = np.split(gh, 3, axis=-1)  # (B, H) each
    r = sigmoid(gi_r + gh_r)  # (B, H)
    z = sigmoid(gi_z + gh_z)  # (B, H)
    n = np.tanh(gi_n + r * gh_n)  # (B, H)
    h = (1.0 - z) * n + z * h_prev  # (B, H)
    return GRUCellTrace(x, h_prev, gi, gh, r, z, n, h)


@dataclass(frozen=True)
class GRUSequence:
    h: np.ndarray  # (T, B, H)
    steps: tuple[GRUCellTrace, ...]


def gru_forward(params: RecurrentParams, x: np.ndarray, h0: np.ndarray | None = None) -> GRUSequence:
    """Unroll ``gru_cell`` over x (T, B, D), as a one-layer torch.nn.GRU."""
    h = _zeros_like_state(x, params.hidden_size, h0)  # (B, H)
    steps = []
    for x_t in x:  # x_t (B, D)
        step = gru_cell(params, x_t, h)
        h = step.h  # (B, H)
        steps.append(step)
    return GRUSequence(np.stack([s.h for s in steps]), tuple(steps))
