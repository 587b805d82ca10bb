"""The optimiser race

SGD, momentum, Adam, AdamW and Lion from the same start on the Rosenbrock function
f = (1 − x)² + 100 (y − x²)² (Rosenbrock 1960): their paths over the contour plot, the loss per step, and
where each ends after the same number of steps. Each optimiser has its own learning rate, one typical for
it (Sutskever et al. 2013; Kingma & Ba 2015, Alg. 1; Loshchilov & Hutter 2019, Alg. 2; Chen et al. 2023,
Alg. 1).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams

VIEW = ((-1.5, 1.5), (-0.5, 1.5))  # the plotted window of θ = (x, y); the minimum (1, 1) lies inside
RACERS = ("sgd", "momentum", "adam", "adamw", "lion")  # the order of the legend and the table
ADAM_BETAS = (0.9, 0.999)  # (β1, β2) of Adam and AdamW: Kingma & Ba's defaults, as torch.optim's
LION_BETAS = (0.9, 0.99)  # (β1, β2) of Lion: Chen et al. 2023's defaults


class Params(SceneParams):
    start: tuple[float, float] = Field(
        (-1.2, 1.0), description="the common start θ_0, inside x ∈ [−1.4, 1.4], y ∈ [−0.4, 1.4]"
    )
    steps: int = Field(400, ge=50, le=600, description="steps each optimiser takes")
    lr_sgd: float = Field(1e-3, gt=0, le=0.01, description="SGD learning rate")
    lr_momentum: float = Field(1e-3, gt=0, le=0.01, description="learning rate of SGD with momentum")
    momentum: float = Field(0.9, ge=0.1, le=0.99, description="the momentum μ of SGD with momentum")
    lr_adam: float = Field(0.1, gt=0, le=0.5, description="Adam learning rate (β = 0.9, 0.999)")
    lr_adamw: float = Field(0.1, gt=0, le=0.5, description="AdamW learning rate (β = 0.9, 0.999)")
    weight_decay: float = Field(0.1, ge=0, le=1, description="AdamW's decoupled weight decay λ")
    lr_lion: float = Field(0.007, gt=0, le=0.05, description="Lion learning rate (β = 0.9, 0.99)")

    @model_validator(mode="after")
    def _check(self):
        x, y = self.start
        if not (-1.4 <= x <= 1.4 and -0.4 <= y <= 1.4):
            raise ValueError("start must lie in x ∈ [−1.4, 1.4], y ∈ [−0.4, 1.4] (the plotted window)")
        if x == 1 and y == 1:
            raise ValueError("start at the minimum (1, 1): there is no race")
        return self
