"""layers.rnn: what the viewer reads and where the curves are drawn, against torch.

The RNN is unrolled by hand in torch with the scene's weights and inputs; autograd gives ∂L/∂h_t at every
step (retain_grad) and torch.linalg.eigvals the spectral radius. The LSTM step is torch.nn.LSTMCell with
copied weights run over the same inputs; its gates are recomputed here from the cell's weights, and the
cell path's Jacobian ∂c_t/∂c_{t−1} comes from torch.autograd.functional.jacobian, step by step.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from scenes.kit import numbers
from scenes.layers.rnn import RNN

SETS = [None, *RNN.EXAMPLES]
LOCALES = ["en", "zh"]
BPTT, LSTM, PATH = range(3)  # the pauses


def run(fast_run, raw, locale):
    scene, _ = fast_run("layers.rnn", raw, locale)
    assert len(scene.pictures) == PATH + 1
    return scene, RNN.Params.model_validate(raw or {}), RNN.STRINGS[locale]


def t64(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def rnn_norms(run_) -> tuple[float, np.ndarray]:
    """Spectral radius of W_hh and ‖∂L/∂h_t‖ for L = Σ h_T, by autograd through a hand-unrolled RNN."""
    p = run_.params
    w_ih, w_hh, b = t64(p.W_ih), t64(p.W_hh).requires_grad_(True), t64(p.b_ih + p.b_hh)
    h = torch.zeros(1, w_hh.shape[0], dtype=torch.float64)
    hs = []
    for x_t in t64(run_.x):
        h = torch.tanh(x_t @ w_ih + h @ w_hh + b)
        h.retain_grad()
        hs.append(h)
    hs[-1].sum().backward()
    rho = torch.linalg.eigvals(w_hh).abs().max().item()
    return rho, np.array([float(h.grad.norm()) for h in hs])


def lstm_cell(path) -> nn.LSTMCell:
    p = path.params
    cell = nn.LSTMCell(p.W_ih.shape[0], p.W_hh.shape[0], dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(t64(p.W_ih.T))
        cell.weight_hh.copy_(t64(p.W_hh.T))
        cell.bias_ih.copy_(t64(p.b_ih))
        cell.bias_hh.copy_(t64(p.b_hh))
    return cell


def lstm_reference(path):
    """Per step: (gates i, f, g, o; c_prev; c; h; the Jacobian ∂c_t/∂c_{t−1} with h_{t−1} held)."""
    cell = lstm_cell(path)
    H = cell.hidden_size
    h = torch.zeros(1, H, dtype=torch.float64)
    c = torch.zeros(1, H, dtype=torch.float64)
    out = []
    with torch.no_grad():
        for x_t in t64(path.x):
            pre = x_t @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh
            i, f, g, o = pre.chunk(4, dim=1)
            gates = (torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o))
            with torch.enable_grad():
                jac = torch.autograd.functional.jacobian(lambda cp, x_t=x_t, h=h: cell(x_t, (h, cp))[1], c)
            h_new, c_new = cell(x_t, (h, c))
            out.append((gates, c, c_new, h_new, jac.reshape(H, H)))
            h, c = h_new, c_new
    return out


def f2(v) -> str:
    return numbers.fixed(float(v), 2)


def tex2(v) -> str:
    return numbers.fixed(float(v), 2, tex=True)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_bptt_norms_and_spectral_radii(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[BPTT]
    t = np.arange(1, p.steps + 1)
    for side, run_ in (("low", scene.low), ("high", scene.high)):
        rho, norms = rnn_norms(run_)
        want_rho = p.radius_low if side == "low" else p.radius_high
        assert abs(rho - want_rho) < 1e-12
        assert pic.text(f"legend_{side}") == strings[side].format(rho=f2(rho), first=numbers.sci(norms[0], 1))
        drawn = pic.value(f"norm_{side}")
        np.testing.assert_allclose(drawn[:, 0], t, rtol=0, atol=1e-9)
        np.testing.assert_allclose(drawn[:, 1], norms, rtol=1e-9)
        np.testing.assert_allclose(pic.value(f"first_{side}", 0), (1, norms[0]), rtol=1e-9)
    assert rnn_norms(scene.low)[1][0] < 1e-2 < 10 < rnn_norms(scene.high)[1][0]  # vanished, exploded


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_lstm_step_gate_by_gate(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[LSTM]
    (i, f, g, o), c_prev, c, h, _ = lstm_reference(scene.path)[-1]
    assert (pic.array("gates") == np.vectorize(f2)(torch.cat([i, f, o]).numpy())).all()
    assert (pic.array("cell_values") == np.vectorize(f2)(torch.cat([g, c_prev, c, h]).numpy())).all()
    k = p.unit
    par = lambda v: f"({tex2(v)})" if tex2(v).startswith("-") else tex2(v)  # a negative factor in ( )
    assert pic.text("w_f") == tex2(f[0, k])
    assert pic.text("w_c_prev") == par(float(c_prev[0, k]))
    assert pic.text("w_i") == tex2(i[0, k])
    assert pic.text("w_g") == par(float(g[0, k]))
    assert pic.text("w_c") == tex2(c[0, k]) == pic.text("w_c_again")
    assert pic.text("w_o") == tex2(o[0, k])
    assert pic.text("w_h") == tex2(h[0, k])
    assert pic.contains_text(strings["lstm_head"].format(t=p.steps))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_cell_path_is_the_forget_gate(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[PATH]
    steps = lstm_reference(scene.path)
    jac_last = steps[-1][4]
    assert torch.count_nonzero(jac_last - torch.diag(torch.diagonal(jac_last))) == 0  # diagonal: no mixing
    assert list(pic.array("jac_f")) == [tex2(v) for v in torch.diagonal(jac_last)]
    grad = torch.ones(jac_last.shape[0], dtype=torch.float64)  # ∂(Σ c_T)/∂c_T
    norms = [float(grad.norm())]
    for _, _, _, _, jac in reversed(steps[1:]):
        grad = grad @ jac  # one step back along the cell path
        norms.append(float(grad.norm()))
    norms = np.array(norms[::-1])
    drawn = pic.value("norm_cell")
    np.testing.assert_allclose(drawn[:, 0], np.arange(1, p.steps + 1), rtol=0, atol=1e-9)
    np.testing.assert_allclose(drawn[:, 1], norms, rtol=1e-9)
    np.testing.assert_allclose(pic.value("first_cell", 0), (1, norms[0]), rtol=1e-9)
    assert pic.text("legend_cell") == strings["cell"].format(
        bf=numbers.fixed(p.forget_bias, 1), first=numbers.sci(norms[0], 1)
    )
