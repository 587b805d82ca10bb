"""lib.models.next_token against the torch model on the committed weights and F.cross_entropy."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from lib.models import induction, next_token, tasks
from tests.lib.models.torch_ref import induction_model


def test_prediction_is_torchs_logits_at_the_step_th_second_copy_position():
    w, model = induction.load(), induction_model()
    for example, segment, step in [(27, 4, 2), (0, 6, 0), (3, 5, 3)]:
        pr = next_token.predict(w, example, segment, step)
        ex = induction.example(example, segment)
        toks, F_ = ex.tokens[0], int(ex.start[0])
        t = F_ + segment + step  # the second copy starts at F + S; position t predicts t + 1
        assert pr.position == t and pr.target == int(toks[t + 1]) == int(toks[F_ + step + 1])
        with torch.no_grad():
            ref = model(torch.from_numpy(ex.tokens))[0].numpy()  # (T, V)
        np.testing.assert_allclose(pr.logits, ref[t], rtol=0, atol=1e-10)
        expected = np.full(len(toks), -100)
        expected[F_ + segment : F_ + 2 * segment - 1] = toks[F_ + segment + 1 : F_ + 2 * segment]
        assert pr.sequence_targets.tolist() == expected.tolist()


def test_batch_loss_is_torch_cross_entropy_over_the_second_copy():
    w, model = induction.load(), induction_model()
    res = next_token.batch_loss(w, 16, 3)
    batch = tasks.induction_batch(np.random.default_rng(3), 16)
    nxt = torch.from_numpy(np.roll(batch.tokens, -1, 1))
    tgt = nxt.masked_fill(~torch.from_numpy(batch.target_mask), -100)
    with torch.no_grad():
        logits = model(torch.from_numpy(batch.tokens))
    ref = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=-100).item()
    assert abs(res.loss - ref) < 1e-12
    assert res.count == int((batch.segment - 1).sum())
