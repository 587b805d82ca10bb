"""lib/nets/rnn_gradients.py against torch: eigvals, a hand-unrolled RNN under autograd, nn.LSTMCell."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lib.nets.rnn_gradients import lstm_cell_path, rnn_gradient_run, with_spectral_radius


def t64(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def test_rescaled_matrix_has_the_radius_asked_for():
    w = np.random.default_rng(0).standard_normal((5, 5))
    assert abs(torch.linalg.eigvals(t64(with_spectral_radius(w, 0.9))).abs().max().item() - 0.9) < 1e-12


def test_bptt_norms_equal_autograd_and_vanish_or_explode():
    for radius in (0.8, 1.2):
        r = rnn_gradient_run(4, 2, 30, radius, 0.01, seed=0)
        w_hh = t64(r.params.W_hh).requires_grad_(True)
        h = torch.zeros(1, 4, dtype=torch.float64)
        hs = []
        for x_t in t64(r.x):
            h = torch.tanh(x_t @ t64(r.params.W_ih) + h @ w_hh)
            h.retain_grad()
            hs.append(h)
        hs[-1].sum().backward()
        norms = np.array([h.grad.norm().item() for h in hs])
        np.testing.assert_allclose(r.grad_norms, norms, rtol=1e-12)
        assert (norms[0] < 1e-2) if radius < 1 else (norms[0] > 10)


def test_lstm_cell_path_is_the_product_of_forget_gates():
    c = lstm_cell_path(3, 2, 12, forget_bias=2.0, input_scale=1.0, seed=4)
    cell = nn.LSTMCell(2, 3, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(t64(c.params.W_ih.T))
        cell.weight_hh.copy_(t64(c.params.W_hh.T))
        cell.bias_ih.copy_(t64(c.params.b_ih))
        cell.bias_hh.copy_(t64(c.params.b_hh))
    h = cs = torch.zeros(1, 3, dtype=torch.float64)
    grad, grads = torch.ones(3, dtype=torch.float64), []
    jacs = []
    with torch.no_grad():
        for x_t in t64(c.x):
            with torch.enable_grad():
                jacs.append(
                    torch.autograd.functional.jacobian(lambda cp, x_t=x_t, h=h: cell(x_t, (h, cp))[1], cs)
                )
            h, cs = cell(x_t, (h, cs))
    np.testing.assert_allclose(c.c[-1], cs[0].numpy(), atol=1e-12)
    np.testing.assert_allclose(c.last.h[0], h[0].numpy(), atol=1e-12)
    grads = [grad]
    for jac in reversed(jacs[1:]):
        grad = grad @ jac.reshape(3, 3)
        grads.append(grad)
    np.testing.assert_allclose(c.cell_grads, torch.stack(grads[::-1]).numpy(), atol=1e-12)
