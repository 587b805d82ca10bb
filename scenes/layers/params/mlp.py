"""An MLP forward and backward, neuron by neuron

A seeded multilayer perceptron (input, one hidden layer, output; MSE loss on one example): one hidden unit's
weighted sum, bias and activation with its numbers; the chain rule backwards from ∂L/∂y to that unit's δ and
its weight gradients; and a gradient check, backprop against central differences, as relative errors
(Rumelhart, Hinton & Williams 1986, eq. 1–2 and 5–7).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    inputs: int = Field(3, ge=2, le=4, description="input width d_0")
    hidden: int = Field(4, ge=2, le=5, description="hidden width d_1")
    outputs: int = Field(2, ge=1, le=3, description="output width d_2 (the regression targets)")
    activation: Literal["tanh", "sigmoid", "relu"] = Field("tanh", description="the hidden activation φ")
    seed: int = Field(0, ge=0, le=100_000, description="seed of the weights, the input and the target")
    unit: int = Field(1, ge=0, le=4, description="the hidden unit (0-based) worked out term by term")
    weight_input: int = Field(
        0, ge=0, le=3, description="the input (0-based) whose weight into `unit` is checked numerically"
    )
    eps: float = Field(
        1e-3, ge=1e-4, le=1e-2, description="the central-difference step ε of the gradient check"
    )

    @model_validator(mode="after")
    def _check(self):
        if self.unit >= self.hidden:
            raise ValueError(f"unit {self.unit} is not a hidden unit (0 … {self.hidden - 1})")
        if self.weight_input >= self.inputs:
            raise ValueError(f"weight_input {self.weight_input} is not an input (0 … {self.inputs - 1})")
        return self
