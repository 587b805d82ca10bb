"""Gradients through time: a tanh RNN's ‖∂L/∂h_t‖ for a recurrent matrix of chosen spectral radius, and the
LSTM's cell path, whose Jacobian ∂c_t/∂c_{t−1} is diag(f_t).

- Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks", eq. 5–7:
  ∂L/∂h_k = ∂L/∂h_t Π_{k<j≤t} diag(1 − h_j²) W_hhᵀ, so ‖∂L/∂h_k‖ shrinks or grows roughly like ρ(W_hh)^{t−k}
  while tanh stays in its linear range (ρ < 1 is sufficient for vanishing, ρ > 1 necessary for exploding).
- Hochreiter & Schmidhuber 1997 (the constant error carousel) with the forget gate of Gers et al. 2000:
  c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t, so along the cell path ∂c_t/∂c_{t−1} = diag(f_t) and
  ∂c_T/∂c_t = diag(Π_{t<k≤T} f_k): the gradient is multiplied by the forget gates, not by a matrix.

The loss is L = Σ_i h_T,i (resp. Σ_i c_T,i): its gradient at the last step is the vector of ones, so the
curves start at √H and show only what the recurrence does to it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lib.nets.recurrent import (
    LSTMCellTrace,
    RecurrentParams,
    init_recurrent_params,
    lstm_forward,
    rnn_bptt,
    rnn_forward,
)


def spectral_radius(w: np.ndarray) -> float:
    """ρ(W) = max |λ_i(W)|, the largest eigenvalue modulus."""
    return float(np.abs(np.linalg.eigvals(w)).max())


def with_spectral_radius(w: np.ndarray, radius: float) -> np.ndarray:
    """W rescaled to spectral radius ``radius``: W · ρ_target / ρ(W) (eigenvectors unchanged)."""
    return w * (radius / spectral_radius(w))  # (H, H)


def toy_sequence(steps: int, input_size: int, scale: float, seed: int) -> np.ndarray:
    """Seeded inputs x_t ~ N(0, scale²), time-major (T, 1, D): one sequence."""
    return scale * np.random.default_rng(seed).standard_normal((steps, 1, input_size))  # (T, 1, D)


@dataclass(frozen=True)
class RNNGradientRun:
    radius: float  # ρ(W_hh), computed from the rescaled matrix
    params: RecurrentParams
    x: np.ndarray  # (T, 1, D)  the inputs
    h: np.ndarray  # (T, H)  the states of the one sequence
    grad_norms: np.ndarray  # (T,)  ‖∂L/∂h_t‖ for L = Σ h_T


def rnn_gradient_run(
    hidden: int, input_size: int, steps: int, radius: float, input_scale: float, seed: int
) -> RNNGradientRun:
    """A seeded tanh RNN (``init_recurrent_params``, biases zero) with W_hh rescaled to spectral radius
    ``radius``, run on ``toy_sequence`` from h_0 = 0, and BPTT of L = Σ_i h_T,i (Pascanu et al. 2013,
    eq. 5–7).
    Small inputs keep tanh near its linear range, where the norms follow ρ^{T−t}; once the states saturate,
    diag(1 − h²) shrinks every step and even ρ > 1 vanishes."""
    base = init_recurrent_params("rnn", input_size, hidden, seed)
    zero = np.zeros_like(base.b_ih)  # (H,)  no bias: the states start in tanh's linear range, around 0
    params = replace(base, W_hh=with_spectral_radius(base.W_hh, radius), b_ih=zero, b_hh=zero)
    x = toy_sequence(steps, input_size, input_scale, seed + 1)  # (T, 1, D)
    trace = rnn_forward(params, x)
    dh_out = np.zeros_like(trace.h)  # (T, 1, H)
    dh_out[-1] = 1.0  # ∂(Σ h_T)/∂h_T
    grads = rnn_bptt(params, trace, dh_out)
    return RNNGradientRun(spectral_radius(params.W_hh), params, x, trace.h[:, 0], grads.grad_norms)


@dataclass(frozen=True)
class LSTMCellPath:
    params: RecurrentParams
    x: np.ndarray  # (T, 1, D)
    f: np.ndarray  # (T, H)  forget gates f_t
    c: np.ndarray  # (T, H)  cell states
    cell_grads: np.ndarray  # (T, H)  ∂L/∂c_t along the cell path = Π_{t<k≤T} f_k  (L = Σ c_T)
    cell_grad_norms: np.ndarray  # (T,)  ‖∂L/∂c_t‖ along the cell path
    last: LSTMCellTrace  # step T gate by gate (i, f, g, o, c, h), batch of 1


def lstm_cell_path(
    hidden: int, input_size: int, steps: int, forget_bias: float, input_scale: float, seed: int
) -> LSTMCellPath:
    """A seeded LSTM (torch.nn.LSTM's init) whose forget-gate bias b_ih,f is ``forget_bias`` (Gers et al.
    2000 open the gate with a positive bias; Jozefowicz et al. 2015 recommend 1), run on ``toy_sequence``;
    the gradient of L = Σ c_T carried back along the cell path only: ∂L/∂c_t = Π_{t<k≤T} f_k."""
    base = init_recurrent_params("lstm", input_size, hidden, seed)
    b_ih = base.b_ih.copy()  # (4H,)  blocks (i, f, g, o)
    b_ih[hidden : 2 * hidden] = forget_bias
    params = replace(base, b_ih=b_ih, b_hh=np.zeros_like(base.b_hh))  # the forget bias is exactly forget_bias
    x = toy_sequence(steps, input_size, input_scale, seed + 1)  # (T, 1, D)
    seq = lstm_forward(params, x)
    f = np.stack([s.f[0] for s in seq.steps])  # (T, H)
    grads = np.ones_like(f)  # (T, H)  ∂L/∂c_T = 1
    for t in range(steps - 2, -1, -1):
        grads[t] = grads[t + 1] * f[t + 1]  # ∂c_{t+1}/∂c_t = diag(f_{t+1})
    return LSTMCellPath(params, x, f, seq.c[:, 0], grads, np.linalg.norm(grads, axis=1), seq.steps[-1])
