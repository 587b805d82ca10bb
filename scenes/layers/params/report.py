"""A layer report: what one Conv2d layer outputs, holds, computes and stores

One ``torch.nn.Conv2d`` call on an (N, C, H, W) input, every number with its formula: the output size
⌊(H + 2P − D(K − 1) − 1)/S⌋ + 1 (Dumoulin & Visin 2016, Rel. 15), parameters C_out·C_in·K_h·K_w + C_out,
MACs and FLOPs, forward memory; then the seed's question: why ``Conv2d(3, 64, 3)`` has 1,792 parameters.
The layer strings are parsed by ``lib.arithmetic.report`` (``ast``; its error messages).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from lib.arithmetic.conv_report import conv_args, conv_report
from scenes.engine.registry import SceneParams


class Params(SceneParams):
    layer: str = Field(
        "Conv2d(3, 64, kernel_size=7, stride=2, padding=3)",
        min_length=8,
        max_length=80,
        description="one torch.nn.Conv2d call with literal arguments (groups=1, numeric padding)",
    )
    input_shape: str = Field(
        "1,3,224,224", min_length=7, max_length=24, description="the input's N, C, H, W, comma-separated"
    )
    question: str = Field(
        "Conv2d(3, 64, 3)",
        min_length=8,
        max_length=60,
        description="a second Conv2d call whose parameters are counted at the end (the seed's question)",
    )
    dtype_bytes: Literal[2, 4, 8] = Field(4, description="bytes per element of the forward memory (4 = fp32)")

    @model_validator(mode="after")
    def _check(self) -> Params:
        # ReportError is a ValueError: pydantic reports the report's own message for a bad string
        r = conv_report(self.layer, self.input_shape)
        q = conv_args(self.question)
        for name, args in (("layer", r.args), ("question", q)):
            if args.groups != 1:
                raise ValueError(f"{name}: this scene explains groups=1, got groups={args.groups}")
        if not q.bias:
            raise ValueError("question: the question is about PyTorch's default bias=True")
        if max(r.input_shape) > 4096 or r.args.out_channels > 4096 or q.out_channels > 4096:
            raise ValueError("sizes up to 4096 keep the formulas on screen")
        return self
