"""training.cross_entropy: what the viewer reads, against the torch model on the committed weights.

Logits are the torch DecoderLM's at the predicted position; probabilities F.softmax; the loss
F.cross_entropy (and with label_smoothing); the gradient autograd on the logits; the smoothed target
worked by hand; the per-position losses F.cross_entropy(reduction="none"); the batch F.cross_entropy with
ignore_index over a batch drawn here from the same seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.models import induction, tasks
from scenes.kit import numbers
from scenes.training.cross_entropy import CrossEntropy
from tests.lib.models.torch_ref import induction_model

SETS = [None, *CrossEntropy.EXAMPLES]
PRED, LOSS, GRAD, SMOOTH, PPL = range(5)  # the pauses
NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZαβγδεζ"
V = 32


def fx(v: float, d: int = 3) -> str:
    return numbers.fixed(float(v), d)


def reference(raw):
    """Everything the scene should show, from torch and by hand."""
    p = CrossEntropy.Params.model_validate(raw or {})
    ex = induction.example(p.example, p.segment)
    toks, F_ = [int(t) for t in ex.tokens[0]], int(ex.start[0])
    t = F_ + p.segment + p.step  # the step-th position of the second copy predicts t + 1
    model = induction_model()
    logits_all = model(torch.tensor([toks]))[0].detach()  # (T, V)
    z = logits_all[t].clone().requires_grad_(True)
    target = toks[t + 1]
    loss = F.cross_entropy(z[None], torch.tensor([target]))
    loss.backward()
    probs = F.softmax(z.detach(), -1).numpy()
    order = sorted(range(V), key=lambda i: (-probs[i], i))[: p.shown]
    if target not in order:
        order[-1] = target
    smoothed = F.cross_entropy(z.detach()[None], torch.tensor([target]), label_smoothing=p.smoothing).item()
    pos = list(range(F_ + p.segment, F_ + 2 * p.segment - 1))
    nll = F.cross_entropy(logits_all[pos], torch.tensor([toks[i + 1] for i in pos]), reduction="none")
    batch = tasks.induction_batch(np.random.default_rng(p.batch_seed), p.batch)
    with torch.no_grad():
        blog = model(torch.from_numpy(batch.tokens))  # (B, T, V)
    nxt = torch.from_numpy(np.roll(batch.tokens, -1, 1)).masked_fill(
        ~torch.from_numpy(batch.target_mask), -100
    )
    bloss = F.cross_entropy(blog.reshape(-1, V), nxt.reshape(-1), ignore_index=-100).item()
    return {
        "p": p, "toks": toks, "t": t, "start": F_, "target": target, "order": order,
        "z": z.detach().numpy(), "probs": probs, "loss": loss.item(), "grad": z.grad.numpy(),
        "smoothed": smoothed, "pos": pos, "nll": nll.detach().numpy(), "bloss": bloss,
        "bcount": int((batch.segment - 1).sum()),
    }  # fmt: skip


_REF: dict = {}


def ref(raw):
    key = repr(raw)
    if key not in _REF:
        _REF[key] = reference(raw)
    return _REF[key]


def run(fast_run, raw, locale):
    scene, _ = fast_run("training.cross_entropy", raw, locale)
    assert len(scene.pictures) == PPL + 1
    return scene


@pytest.mark.parametrize("raw", SETS)
def test_context_logits_and_probabilities_are_torchs(fast_run, raw):
    r, pic = ref(raw), run(fast_run, raw, "en").pictures[PRED]
    assert list(pic.array("context")) == [NAMES[i] for i in r["toks"][: r["t"] + 1]]
    names = [NAMES[i] for i in r["order"]]
    assert list(pic.array("logits_label")) == names and list(pic.array("probs_label")) == names
    assert list(pic.array("logits")) == [fx(r["z"][i], 2) for i in r["order"]]
    assert list(pic.array("probs")) == [fx(r["probs"][i]) for i in r["order"]]
    assert pic.contains_text(
        f"after {NAMES[r['toks'][r['t']]]} the model should predict {NAMES[r['target']]}"
    )


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("raw", SETS)
def test_loss_gradient_and_smoothing_are_torchs(fast_run, raw, locale):
    r, scene = ref(raw), run(fast_run, raw, locale)
    pics = scene.pictures
    assert pics[LOSS].text("p_target") == fx(r["probs"][r["target"]])
    assert pics[LOSS].text("loss") == fx(r["loss"])
    assert list(pics[GRAD].array("grad")) == [fx(r["grad"][i]) for i in r["order"]]
    eps = r["p"].smoothing
    q = [(1 - eps) + eps / V if i == r["target"] else eps / V for i in r["order"]]
    assert list(pics[SMOOTH].array("smoothed")) == [fx(v) for v in q]
    assert pics[SMOOTH].text("loss_smoothed") == fx(r["smoothed"])
    assert pics[SMOOTH].contains_text(fx(eps / V))


@pytest.mark.parametrize("locale", ["en", "zh"])
@pytest.mark.parametrize("raw", SETS)
def test_perplexity_of_the_sequence_and_of_the_batch(fast_run, raw, locale):
    r, pic = ref(raw), run(fast_run, raw, locale).pictures[PPL]
    assert list(pic.array("seq_loss")) == [fx(v) for v in r["nll"]]
    toks = r["toks"]
    assert list(pic.array("seq_loss_label")) == [f"{NAMES[toks[i]]}→{NAMES[toks[i + 1]]}" for i in r["pos"]]
    mean = float(np.mean(r["nll"]))
    assert pic.text("seq_mean") == fx(mean) and pic.text("seq_ppl") == fx(math.exp(mean))
    line = CrossEntropy.STRINGS[locale]["batch_line"].format(
        b=r["p"].batch, n=r["bcount"], loss=fx(r["bloss"]), ppl=fx(math.exp(r["bloss"]))
    )
    assert pic.text("batch_line") == line
