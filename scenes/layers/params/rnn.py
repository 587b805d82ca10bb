"""RNN through time: vanishing and exploding gradients, and the LSTM's cell path

A tanh RNN unrolled over T steps with its recurrent matrix rescaled to a spectral radius below and above 1:
‖∂L/∂h_t‖ by backpropagation through time on a log scale (Pascanu et al. 2013, eq. 5–7); then one LSTM step
gate by gate (i, f, g, o, c, h; Hochreiter & Schmidhuber 1997, Gers et al. 2000) and the cell path, where
∂c_t/∂c_{t−1} = diag(f_t) carries the gradient back through forget gates instead of a matrix.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    hidden: int = Field(4, ge=2, le=6, description="hidden width H of the RNN")
    steps: int = Field(30, ge=10, le=50, description="sequence length T")
    radius_low: float = Field(0.8, ge=0.3, le=0.98, description="spectral radius ρ(W_hh) below 1: vanishing")
    radius_high: float = Field(1.2, ge=1.02, le=1.4, description="spectral radius ρ(W_hh) above 1: exploding")
    input_scale: float = Field(
        0.01, ge=0.001, le=0.5, description="std of the inputs x_t (small: tanh stays near its linear range)"
    )
    lstm_hidden: int = Field(3, ge=2, le=4, description="hidden width of the LSTM shown gate by gate")
    forget_bias: float = Field(3.0, ge=-2.0, le=5.0, description="bias of the LSTM's forget gate")
    unit: int = Field(0, ge=0, le=3, description="the LSTM unit (0-based) whose cell update is worked out")
    seed: int = Field(0, ge=0, le=100_000, description="seed of the weights and the inputs")

    @model_validator(mode="after")
    def _check(self):
        if self.unit >= self.lstm_hidden:
            raise ValueError(f"unit {self.unit} is not an LSTM unit (0 … {self.lstm_hidden - 1})")
        return self
