"""The parallel scan: an associative operator on (a, b) pairs lets a Blelloch tree compute every h_t."""

from __future__ import annotations

from scenes.mamba.params._toy import ChannelParams


class Params(ChannelParams):
    pass
