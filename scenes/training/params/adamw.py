"""AdamW vs Adam + L2: decoupled weight decay

The two update rules side by side (Loshchilov & Hutter 2019, Algorithm 2): with L2 the decay λθ joins the
gradient, so it is averaged into m, squared into v and divided by √v̂; AdamW subtracts ηλθ from θ directly.
One parameter stepped by both on the same large, noisy gradients: the effective decay rate each applies
per step (ηλ/(√v̂ + ε) against ηλ) and a table of θ, m, v, as torch.optim.Adam / AdamW compute them.
"""

from __future__ import annotations

from pydantic import Field

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    theta0: float = Field(1.0, ge=0.1, le=5, description="the parameter's starting value θ_0")
    lr: float = Field(0.1, ge=1e-3, le=0.5, description="the learning rate η")
    weight_decay: float = Field(0.1, ge=1e-3, le=0.5, description="the weight decay λ")
    grad_mean: float = Field(0.5, ge=-5, le=5, description="the mean of the gradients of f")
    grad_std: float = Field(4.0, ge=0.5, le=20, description="the noise (standard deviation) of the gradients")
    steps: int = Field(8, ge=4, le=10, description="steps run and tabulated")
    seed: int = Field(0, ge=0, le=10**6, description="seed of the gradient noise")
    beta1: float = Field(0.9, ge=0.5, le=0.99, description="β1, the decay of the first moment m")
    beta2: float = Field(0.999, ge=0.9, le=0.9999, description="β2, the decay of the second moment v")
