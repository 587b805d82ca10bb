"""Gradient descent and conditioning

Plain gradient descent, heavy-ball momentum and Nesterov on an ill-conditioned quadratic
f(θ) = ½ (θ − θ*)ᵀ A (θ − θ*), A = R(φ) diag(1, κ) R(φ)ᵀ: the eigenvalues and the condition number κ, the
step-size limit 2/λ_max (a step just below it converges, just above diverges), and how many steps each
method needs (Goodfellow et al. 2016, §4.3.1 and §8.3; Polyak 1964; Sutskever et al. 2013, eq. 1-4).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams

VIEW = ((-5.0, 5.0), (-3.0, 3.0))  # the plotted window of θ = (x, y): every start must lie inside it


class Params(SceneParams):
    condition: float = Field(20.0, ge=4, le=100, description="condition number κ = λ_max/λ_min (λ_min = 1)")
    angle: float = Field(30.0, ge=0, le=90, description="angle of the valley floor to the x axis, degrees")
    start: tuple[float, float] = Field(
        (-4.0, -1.0), description="the start θ_0, inside x ∈ [−4.5, 4.5], |y| ≤ 2.7"
    )
    margin: float = Field(
        0.05, ge=0.01, le=0.3, description="the steps shown either side of the limit: (1 ∓ margin)·2/λ_max"
    )
    limit_steps: int = Field(40, ge=10, le=80, description="steps run at the two steps around the limit")
    lr: float = Field(0.06, gt=0, le=0.5, description="the step η shared by GD, momentum and Nesterov")
    momentum: float = Field(0.7, ge=0.1, le=0.95, description="the momentum μ of heavy ball and Nesterov")
    steps: int = Field(150, ge=20, le=300, description="steps run by each of the three methods")
    tol: float = Field(1e-3, ge=1e-4, le=0.1, description="a run has converged once ‖θ − θ*‖ < tol")

    @model_validator(mode="after")
    def _check(self):
        x, y = self.start
        if not (-4.5 <= x <= 4.5 and -2.7 <= y <= 2.7):
            raise ValueError("start must lie in x ∈ [−4.5, 4.5], y ∈ [−2.7, 2.7] (the plotted window)")
        if self.lr * self.condition >= 2:
            raise ValueError(f"lr must be below the limit 2/λ_max = {2 / self.condition:.4g}")
        return self
