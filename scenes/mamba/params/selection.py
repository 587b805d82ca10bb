"""Selection: Δ_t, B_t, C_t computed from each token; large Δ lets a token in, small Δ keeps the state."""

from __future__ import annotations

from scenes.mamba.params._toy import ChannelParams


class Params(ChannelParams):
    pass
