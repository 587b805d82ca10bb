"""The held-out dates and the learned cross-attention alignment against the torch model (same weights)."""

from __future__ import annotations

import numpy as np
import torch

from lib.models import alignment, tasks, translation
from lib.models.store import read_manifest
from lib.models.train import held_out_dates
from tests.lib.models.torch_ref import greedy_cross_attention, translation_model


def test_held_out_dates_are_the_validation_dates_of_training():
    seed = read_manifest()["models"]["translation"]["seed"]
    np.testing.assert_array_equal(alignment.held_out_dates(), held_out_dates(seed))


def test_alignment_is_torchs_cross_attention_on_torchs_greedy_output():
    w = translation.load()
    model = translation_model()
    for index in (0, 7):
        a = alignment.align(w, index)
        date = held_out_dates(read_manifest()["models"]["translation"]["seed"])[index]
        assert a.date == tuple(int(v) for v in date)
        src = torch.from_numpy(tasks.encode_dates(date[None]).src)
        out, ref = greedy_cross_attention(model, src)
        assert list(a.written) == [tasks.TGT_VOCAB[i] for i in out]
        S = len(a.source)
        np.testing.assert_allclose(a.weights, ref[:, :, :S], atol=1e-10, rtol=0)
        assert np.abs(ref[:, :, S:]).max(initial=0.0) == 0.0  # padding never attended
        # by hand: month digits ← the month word (0), day digits ← day digits, year digits ← year digits
        y_, m, d = a.date
        nd = len(str(d))
        hand = [nd + 2 + k for k in range(4)] + [-1] + [0] * len(str(m)) + [-1] + [1 + k for k in range(nd)]
        assert list(a.by_hand) == [*hand, -1, -1]
        known = np.array(a.by_hand) >= 0
        assert (
            a.hits.tolist()
            == (ref[:, :, :S].argmax(-1)[:, known] == np.array(a.by_hand)[known]).sum(-1).tolist()
        )
