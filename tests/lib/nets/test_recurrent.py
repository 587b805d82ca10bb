"""lib/nets/recurrent.py vs nn.RNN / nn.LSTM(Cell) / nn.GRU(Cell) with copied weights, and torch.autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.nets.recurrent import (
    RecurrentParams,
    gru_cell,
    gru_forward,
    init_recurrent_params,
    lstm_cell,
    lstm_forward,
    rnn_bptt,
    rnn_forward,
)

ATOL = 1e-12
T, B, D, H = 7, 3, 4, 5


def _copy_into(module: torch.nn.Module, p: RecurrentParams, suffix: str = "") -> None:
    with torch.no_grad():
        getattr(module, "weight_ih" + suffix).copy_(torch.from_numpy(p.W_ih.T))
        getattr(module, "weight_hh" + suffix).copy_(torch.from_numpy(p.W_hh.T))
        getattr(module, "bias_ih" + suffix).copy_(torch.from_numpy(p.b_ih))
        getattr(module, "bias_hh" + suffix).copy_(torch.from_numpy(p.b_hh))


def _rng_arrays(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


# ---------------------------------------------------------------- RNN + BPTT


def test_rnn_forward_and_param_grads_match_nn_rnn():
    p = init_recurrent_params("rnn", D, H, seed=0)
    x, h0, G = _rng_arrays(1, (T, B, D), (B, H), (T, B, H))
    rnn = torch.nn.RNN(D, H, nonlinearity="tanh", dtype=torch.float64)
    _copy_into(rnn, p, "_l0")
    xt, h0t = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    out, h_n = rnn(xt, h0t[None])
    (out * torch.from_numpy(G)).sum().backward()

    tr = rnn_forward(p, x, h0)
    np.testing.assert_allclose(tr.h, out.detach().numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(tr.h[-1], h_n[0].detach().numpy(), atol=ATOL, rtol=0)
    g = rnn_bptt(p, tr, G)
    np.testing.assert_allclose(g.dW_ih, rnn.weight_ih_l0.grad.numpy().T, atol=ATOL, rtol=0)
    np.testing.assert_allclose(g.dW_hh, rnn.weight_hh_l0.grad.numpy().T, atol=ATOL, rtol=0)
    np.testing.assert_allclose(g.db_ih, rnn.bias_ih_l0.grad.numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(g.db_hh, rnn.bias_hh_l0.grad.numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(g.dx, xt.grad.numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(g.dh0, h0t.grad.numpy(), atol=ATOL, rtol=0)


@settings(max_examples=10, deadline=None, database=None)
@given(t=st.integers(1, 12), b=st.integers(1, 3), seed=st.integers(0, 2**16), scale=st.floats(0.3, 3.0))
def test_bptt_total_hidden_gradients_match_autograd(t, b, seed, scale):
    # an independent torch unroll with retain_grad: h_t.grad is the total ∂L/∂h_t
    p = init_recurrent_params("rnn", D, H, seed=seed)
    p = RecurrentParams(p.W_ih, scale * p.W_hh, p.b_ih, p.b_hh)
    x, G = _rng_arrays(seed + 1, (t, b, D), (t, b, H))
    W_ih, W_hh, b_ih, b_hh = (torch.tensor(a, requires_grad=True) for a in (p.W_ih, p.W_hh, p.b_ih, p.b_hh))
    h = torch.zeros(b, H, dtype=torch.float64)
    hs = []
    for k in range(t):
        h = torch.tanh(torch.from_numpy(x[k]) @ W_ih + b_ih + h @ W_hh + b_hh)
        h.retain_grad()
        hs.append(h)
    sum((hk * torch.from_numpy(G[k])).sum() for k, hk in enumerate(hs)).backward()
    expected = np.stack([hk.grad.numpy() for hk in hs])

    g = rnn_bptt(p, rnn_forward(p, x), G)
    np.testing.assert_allclose(g.dh, expected, atol=ATOL, rtol=0)
    np.testing.assert_allclose(
        g.grad_norms, np.linalg.norm(expected.reshape(t, -1), axis=1), atol=ATOL, rtol=0
    )


def _orthogonal(n, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return q


@pytest.mark.parametrize("gain", [0.5, 1.5])
def test_vanishing_and_exploding_by_hand(gain):
    # x = 0, biases 0, h0 = 0 ⇒ h_t = 0, tanh' = 1, so ∂L/∂h_{t−1} = ∂L/∂h_t W_hhᵀ. With W_hh = gain·Q
    # (Q orthogonal) each step back multiplies the norm by exactly `gain`: 0.5 vanishes, 1.5 explodes.
    steps = 10
    p = RecurrentParams(np.ones((D, H)), gain * _orthogonal(H, 0), np.zeros(H), np.zeros(H))
    dh_out = np.zeros((steps, 1, H))
    dh_out[-1, 0] = [3.0, 0, 4.0, 0, 0]  # loss reads only the last state, ‖·‖ = 5
    g = rnn_bptt(p, rnn_forward(p, np.zeros((steps, 1, D))), dh_out)
    np.testing.assert_allclose(g.grad_norms, 5.0 * gain ** np.arange(steps - 1, -1, -1), rtol=1e-12)


def test_gradient_norm_bounded_by_spectral_norm():
    # Pascanu et al. 2013 eq. 7: ‖∂h_t/∂h_{t−1}‖ ≤ ‖W_hhᵀ‖ ‖diag(1 − h²)‖ ≤ ‖W_hh‖₂
    p = init_recurrent_params("rnn", D, H, seed=3)
    (x,) = _rng_arrays(4, (20, 2, D))
    dh_out = np.zeros((20, 2, H))
    dh_out[-1] = 1.0
    g = rnn_bptt(p, rnn_forward(p, x), dh_out)
    sigma = np.linalg.norm(p.W_hh, 2)
    assert np.all(g.grad_norms[:-1] <= sigma * g.grad_norms[1:] + 1e-12)


# ---------------------------------------------------------------- LSTM


def test_lstm_cell_matches_nn_lstmcell_gate_by_gate():
    p = init_recurrent_params("lstm", D, H, seed=5)
    x, h, c = _rng_arrays(6, (B, D), (B, H), (B, H))
    cell = torch.nn.LSTMCell(D, H, dtype=torch.float64)
    _copy_into(cell, p)
    h_t, c_t = cell(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(c)))
    tr = lstm_cell(p, x, h, c)
    np.testing.assert_allclose(tr.h, h_t.detach().numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(tr.c, c_t.detach().numpy(), atol=ATOL, rtol=0)
    # gates from torch's own weight chunks (rows i, f, g, o of weight_ih)
    pre = (torch.from_numpy(x) @ cell.weight_ih.T + cell.bias_ih + torch.from_numpy(h) @ cell.weight_hh.T
           + cell.bias_hh).detach()  # fmt: skip
    zi, zf, zg, zo = pre.chunk(4, dim=1)
    for mine, ref in ((tr.i, zi.sigmoid()), (tr.f, zf.sigmoid()), (tr.g, zg.tanh()), (tr.o, zo.sigmoid())):
        np.testing.assert_allclose(mine, ref.numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(tr.c, tr.f * c + tr.i * tr.g, atol=ATOL, rtol=0)


def test_lstm_sequence_matches_nn_lstm():
    p = init_recurrent_params("lstm", D, H, seed=7)
    x, h0, c0 = _rng_arrays(8, (T, B, D), (B, H), (B, H))
    lstm = torch.nn.LSTM(D, H, dtype=torch.float64)
    _copy_into(lstm, p, "_l0")
    out, (h_n, c_n) = lstm(torch.from_numpy(x), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    seq = lstm_forward(p, x, h0, c0)
    np.testing.assert_allclose(seq.h, out.detach().numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(seq.c[-1], c_n[0].detach().numpy(), atol=ATOL, rtol=0)
    assert len(seq.steps) == T and seq.steps[0].h_prev is h0


def test_lstm_by_hand_all_zero_weights():
    # zero weights/biases: i = f = o = ½, g = 0 ⇒ c = ½ c_prev, h = ½ tanh(½ c_prev)
    z = np.zeros
    p = RecurrentParams(z((1, 4)), z((1, 4)), z(4), z(4))
    tr = lstm_cell(p, np.ones((1, 1)), np.zeros((1, 1)), np.array([[2.0]]))
    assert (tr.i.item(), tr.f.item(), tr.g.item(), tr.o.item()) == (0.5, 0.5, 0.0, 0.5)
    assert tr.c.item() == 1.0
    assert tr.h.item() == pytest.approx(0.5 * np.tanh(1.0), abs=1e-15)


# ---------------------------------------------------------------- GRU


def test_gru_cell_matches_nn_grucell_gate_by_gate():
    p = init_recurrent_params("gru", D, H, seed=9)
    x, h = _rng_arrays(10, (B, D), (B, H))
    cell = torch.nn.GRUCell(D, H, dtype=torch.float64)
    _copy_into(cell, p)
    h_t = cell(torch.from_numpy(x), torch.from_numpy(h)).detach().numpy()
    tr = gru_cell(p, x, h)
    np.testing.assert_allclose(tr.h, h_t, atol=ATOL, rtol=0)
    with torch.no_grad():
        gi = (torch.from_numpy(x) @ cell.weight_ih.T + cell.bias_ih).chunk(3, dim=1)
        gh = (torch.from_numpy(h) @ cell.weight_hh.T + cell.bias_hh).chunk(3, dim=1)
        r = torch.sigmoid(gi[0] + gh[0])
        z = torch.sigmoid(gi[1] + gh[1])
        n = torch.tanh(gi[2] + r * gh[2])
    for mine, ref in ((tr.r, r), (tr.z, z), (tr.n, n)):
        np.testing.assert_allclose(mine, ref.numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(tr.h, (1 - tr.z) * tr.n + tr.z * h, atol=ATOL, rtol=0)


def test_gru_sequence_matches_nn_gru():
    p = init_recurrent_params("gru", D, H, seed=11)
    x, h0 = _rng_arrays(12, (T, B, D), (B, H))
    gru = torch.nn.GRU(D, H, dtype=torch.float64)
    _copy_into(gru, p, "_l0")
    out, h_n = gru(torch.from_numpy(x), torch.from_numpy(h0)[None])
    seq = gru_forward(p, x, h0)
    np.testing.assert_allclose(seq.h, out.detach().numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(seq.h[-1], h_n[0].detach().numpy(), atol=ATOL, rtol=0)


def test_gru_reset_gate_acts_after_the_matrix_product():
    # torch's n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)): with b_hn ≠ 0 and h = 0, r still scales b_hn.
    # Hand case, H = D = 1: all weights 0 except b_hn = 2 and b_ir = −∞-ish so r ≈ 0 vs b_ir = +∞-ish, r ≈ 1.
    for b_r, expected_r in ((-40.0, 0.0), (40.0, 1.0)):
        b_ih = np.array([b_r, 0.0, 0.0])
        p = RecurrentParams(np.zeros((1, 3)), np.zeros((1, 3)), b_ih, np.array([0.0, 0.0, 2.0]))
        tr = gru_cell(p, np.zeros((1, 1)), np.zeros((1, 1)))
        assert tr.r.item() == pytest.approx(expected_r, abs=1e-15)
        assert tr.n.item() == pytest.approx(np.tanh(2.0 * expected_r), abs=1e-15)
        assert tr.h.item() == pytest.approx(0.5 * np.tanh(2.0 * expected_r), abs=1e-15)  # z = ½
