"""The output-size formula: floor((W + 2P − D·(K − 1) − 1)/S) + 1, on several layers and window by window

Along one axis a window of K taps spaced D apart (dilation), moved in steps of S over an input of W cells
zero-padded by P on each side, fits ⌊(W + 2P − D(K − 1) − 1)/S⌋ + 1 times (Dumoulin & Visin 2016, Rel. 15;
the torch.nn.Conv2d docs): a table of configurations, one worked step by step, and its windows drawn.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from lib.core.window_steps import output_size_steps
from scenes.engine.registry import SceneParams

Config = tuple[int, int, int, int, int]  # W, K, S, P, D
MAX_DRAWN = 16  # padded cells the window picture can show across the frame


class Params(SceneParams):
    configs: tuple[Config, ...] = Field(
        (
            (224, 7, 2, 3, 1),
            (32, 3, 1, 1, 1),
            (32, 3, 2, 1, 1),
            (8, 3, 2, 1, 1),
            (28, 5, 1, 0, 1),
            (32, 3, 1, 2, 2),
        ),
        min_length=2,
        max_length=7,
        description="table rows (W, K, S, P, D): input size, kernel, stride, padding, dilation",
    )
    worked: int = Field(
        4, ge=1, le=7, description=f"the row (from 1) worked step by step and drawn (W + 2P ≤ {MAX_DRAWN})"
    )

    @model_validator(mode="after")
    def _check(self) -> Params:
        for n, (w, k, s, p, d) in enumerate(self.configs, start=1):
            if not (1 <= w <= 4096 and 1 <= k <= 15 and 1 <= s <= 8 and 0 <= p <= 8 and 1 <= d <= 4):
                raise ValueError(f"row {n}: need 1 ≤ W ≤ 4096, 1 ≤ K ≤ 15, 1 ≤ S ≤ 8, 0 ≤ P ≤ 8, 1 ≤ D ≤ 4")
            try:
                output_size_steps(w, k, s, p, d)
            except ValueError as e:
                raise ValueError(f"row {n}: {e}") from None
        if self.worked > len(self.configs):
            raise ValueError(f"worked is row {self.worked}, but there are {len(self.configs)} rows")
        w, _, _, p, _ = self.configs[self.worked - 1]
        if w + 2 * p > MAX_DRAWN:
            raise ValueError(f"the worked row is drawn cell by cell: W + 2P must be ≤ {MAX_DRAWN}")
        return self
