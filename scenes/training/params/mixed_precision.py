"""Mixed precision: fp32, fp16, bf16 and loss scaling

The bit layouts of fp32, fp16 and bf16 for one number (sign, exponent, mantissa; the value each decodes to
and its rounding error; IEEE 754-2019 §3.4), round to nearest even on two ties (§4.3.1), each format's
range and precision, a gradient that underflows in fp16 but survives in bf16 and after loss scaling, and
dynamic loss scaling step by step as torch.amp.GradScaler does it (Micikevicius et al. 2018, §3.2).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    value: float = Field(
        0.1, ge=1e-3, le=6e4, description="the number whose bits are shown (in fp16's range)"
    )
    tie_k: int = Field(0, ge=0, le=1021, description="the ties shown lie after 1 + k·2⁻¹⁰ and 1 + (k+1)·2⁻¹⁰")
    gradient: float = Field(
        2e-8, ge=1e-12, le=2.9e-8, description="a gradient below half fp16's smallest subnormal (underflows)"
    )
    init_scale: float = Field(65536.0, ge=2.0, le=2.0**24, description="the loss scale S at the start")
    growth_interval: int = Field(3, ge=2, le=5, description="clean steps before S doubles")
    steps: int = Field(8, ge=5, le=10, description="iterations of loss scaling shown")
    base_grad: float = Field(1e-3, ge=1e-6, le=1e-2, description="the gradient at ordinary iterations")
    spike: float = Field(2.0, ge=0.5, le=1e3, description="the gradient of the spike that overflows S·g")
    spike_at: int = Field(2, ge=0, le=6, description="the first iteration of the spike (counted from 0)")
    spike_len: int = Field(2, ge=1, le=3, description="iterations the spike lasts")

    @model_validator(mode="after")
    def _check(self):
        if self.spike_at + self.spike_len > self.steps:
            raise ValueError("the spike must end within the iterations shown")
        return self
