"""lib/nets/mlp_example.py against torch (float64 autograd) and by hand."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from lib.nets.mlp_example import mlp_example

ACT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}


def test_example_matches_torch_autograd_and_the_check_is_small():
    for act in ACT:
        ex = mlp_example((3, 4, 2), act, unit=2, seed=3, eps=1e-3)
        (l1, l2) = ex.params.layers
        W1, b1 = torch.tensor(l1.W, requires_grad=True), torch.tensor(l1.b, requires_grad=True)
        W2, b2 = torch.tensor(l2.W, requires_grad=True), torch.tensor(l2.b, requires_grad=True)
        x = torch.tensor(ex.x, requires_grad=True)
        z = x @ W1 + b1
        z.retain_grad()
        y = ACT[act](z) @ W2 + b2
        loss = F.mse_loss(y, torch.tensor(ex.target))
        loss.backward()
        assert abs(ex.loss - loss.item()) < 1e-12
        np.testing.assert_allclose(ex.grads.layers[0].delta, z.grad.numpy(), atol=1e-12, rtol=0)
        np.testing.assert_allclose(ex.grads.layers[0].dW, W1.grad.numpy(), atol=1e-12, rtol=0)
        np.testing.assert_allclose(ex.grads.dx, x.grad.numpy(), atol=1e-12, rtol=0)
        zu = z[0, 2].detach().clone().requires_grad_(True)
        (slope,) = torch.autograd.grad(ACT[act](zu), zu)
        assert abs(ex.phi_prime[0][0, 2] - slope.item()) < 1e-12
        assert abs(ex.neuron_sum - float(ex.x[0] @ l1.W[:, 2])) < 1e-12
        assert ex.check.max_rel_error < 1e-6  # central differences agree with backprop to O(ε²)


def test_error_of_the_check_shrinks_like_eps_squared():
    big = mlp_example((3, 4, 2), "tanh", seed=0, eps=1e-2).check.rel_errors[0]
    small = mlp_example((3, 4, 2), "tanh", seed=0, eps=1e-3).check.rel_errors[0]
    assert 80 < big / small < 120
