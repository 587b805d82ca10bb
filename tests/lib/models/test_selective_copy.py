"""The NumPy Mamba against torch on the committed weights; copying accuracy; learned selection in Δ."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.models import selective_copy as sc
from lib.models import tasks
from lib.models.store import read_manifest
from tests.lib.models.torch_ref import copy_model


@pytest.fixture(scope="module")
def weights() -> sc.MambaLMWeights:
    return sc.load()


@pytest.fixture(scope="module")
def fresh() -> list[tasks.CopyBatch]:
    rng = np.random.default_rng(99)  # neither the training, validation nor the reference sequences
    return [tasks.copy_batch(rng, 25, context=lc) for lc in (8, 13, 21, 32)]


def test_numpy_forward_equals_torch_in_float64(weights):
    b = tasks.copy_batch(np.random.default_rng(3), 4, context=12)
    model = copy_model()
    block = model.layers[0]
    block.trace = {}
    with torch.no_grad():
        logits = model(torch.from_numpy(b.tokens)).numpy()  # (B, L, V)
    for i, seq in enumerate(b.tokens):
        ours = sc.forward(weights, seq)
        np.testing.assert_allclose(ours.logits, logits[i], atol=1e-10, rtol=0)
        tr = ours.blocks[0]
        for name, mine in (("x", tr.x_act), ("delta", tr.delta), ("B", tr.B), ("C", tr.C), ("y", tr.y_ssm)):
            np.testing.assert_allclose(mine, block.trace[name][i].numpy(), atol=1e-10, rtol=0, err_msg=name)


def test_copying_accuracy_on_unseen_sequences(weights, fresh):
    right = [
        sc.copied(sc.forward(weights, seq)) == b.targets[i] for b in fresh for i, seq in enumerate(b.tokens)
    ]
    assert np.mean(right) >= 0.95
    assert read_manifest()["models"]["selective_copy"]["metrics"]["copy_accuracy"] >= 0.95


def test_selective_channels_let_data_in_and_keep_their_state_on_noise(weights, fresh):
    order = sc.delta_by_kind(weights, sc.reference_batch()).selective_order  # chosen on other sequences
    top = order[:4]
    data, noise = [], []
    for b in fresh:
        for seq, is_data in zip(b.tokens, b.is_data, strict=True):
            delta = sc.forward(weights, seq).blocks[0].delta[:, top]  # (L, 4)
            data.append(delta[is_data])
            noise.append(delta[seq == tasks.NOISE_ID])
    data, noise = np.concatenate(data), np.concatenate(noise)  # (n, 4)
    assert data.min() > 10 * noise.max()  # every data token opens, every noise token keeps
    A = -np.exp(weights.blocks[0].A_log[top])  # (4, N)
    keep_noise = np.exp(noise.max(0)[:, None] * A)  # the least a noise token keeps of the state
    assert keep_noise.min() > 0.95


def test_delta_by_kind_is_the_mean_over_token_kinds(weights):
    seqs = sc.reference_batch(n=2)
    by = sc.delta_by_kind(weights, seqs)
    deltas = [sc.forward(weights, s).blocks[0].delta for s in seqs]
    is_data = [s < tasks.NOISE_ID for s in seqs]
    data = sum(d[m].sum(0) for d, m in zip(deltas, is_data, strict=True)) / sum(m.sum() for m in is_data)
    np.testing.assert_allclose(by.data, data, atol=1e-12, rtol=0)
    assert list(by.selective_order[:3]) == list(np.argsort(by.noise - by.data)[:3])


def test_trained_toy_is_the_torch_block_on_its_channels(weights):
    toy = sc.trained_toy(seed=1, d_inner=3)
    seq = sc.example(1)
    L = len(toy.tokens)
    assert toy.tokens == tasks.copy_symbols(seq[:L]) and L == 8
    model = copy_model()
    block = model.layers[0]
    block.trace = {}
    with torch.no_grad():
        model(torch.from_numpy(seq[None]))
    chans = sc.delta_by_kind(weights, sc.reference_batch()).selective_order[:3]
    delta = block.trace["delta"][0, :L, chans].numpy()  # (L, 3)
    np.testing.assert_allclose(toy.sel.delta, delta, atol=1e-10, rtol=0)
    np.testing.assert_allclose(toy.sel.B, block.trace["B"][0, :L].numpy(), atol=1e-10, rtol=0)
    # the block's y without its D skip, on those channels, is C_t · h_t of the toy's scan
    x = block.trace["x"][0, :L, chans]
    y_ssm = block.trace["y"][0, :L, chans] - block.D[chans] * x
    np.testing.assert_allclose(toy.scan.y, y_ssm.detach().numpy(), atol=1e-10, rtol=0)
