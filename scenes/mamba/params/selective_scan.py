"""The selective scan step by step: the state matrix updated token by token, with the numbers."""

from __future__ import annotations

from scenes.mamba.params._toy import ToyParams


class Params(ToyParams):
    pass
