"""The architectures and training settings of the three tiny models (plain Python: no NumPy, no torch).

Scenes' parameter modules import this to validate against the trained model without loading it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Task = Literal["induction", "translation", "selective_copy"]
TASKS: tuple[Task, ...] = ("induction", "translation", "selective_copy")


@dataclass(frozen=True)
class TransformerConfig:
    """A pre-norm Transformer (Xiong et al. 2020) with learned positions and a final LayerNorm."""

    d_model: int = 64
    n_heads: int = 4
    d_ff: int = 128
    n_layers: int = 2  # decoder-only: its layers; encoder–decoder: layers in each stack
    eps: float = 1e-5  # LayerNorm ε (torch's default)


@dataclass(frozen=True)
class MambaConfig:
    """A residual stack of Mamba blocks, x + Mamba(RMSNorm(x)), as in Gu & Dao 2023's language models."""

    d_model: int = 32
    d_state: int = 4
    # No convolution over time (width 1): Δ_t, B_t, C_t of the one block are functions of token t alone, so
    # what the scenes show as a token's step is that token's. With mamba_simple's width 4 the model learned
    # to let each data token in two or three positions later, through the convolution, a step on noise.
    d_conv: int = 1
    expand: int = 2
    dt_rank: int = 2
    n_layers: int = 1
    eps: float = 1e-5  # RMSNorm ε
    # softplus(b_Δ) starts log-uniform in [dt_min, dt_max]. mamba_simple's default 1e-3 … 1e-1 suits long
    # sequences; over a dozen tokens it barely decays, so nothing has to be selected. A step of order
    # 1/length makes an unselective state forget within the sequence: the model must learn small Δ on noise.
    dt_min: float = 0.05
    dt_max: float = 0.5
    discretization: Literal["zoh"] = "zoh"  # the paper's exact B̄ = (ΔA)⁻¹(exp(ΔA) − I)·ΔB, eq. 4

    @property
    def d_inner(self) -> int:
        return self.expand * self.d_model


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser and schedule: AdamW, linear warm-up then cosine decay to 10 %."""

    steps: int
    batch: int
    lr: float
    warmup: int = 100
    weight_decay: float = 0.01
    eval_every: int = 50
    seed: int = 0


INDUCTION_MODEL = TransformerConfig()
TRANSLATION_MODEL = TransformerConfig(n_layers=1)  # one encoder and one decoder layer: ≤ 400 KB of weights
COPY_MODEL = MambaConfig()

TRAIN: dict[Task, TrainConfig] = {
    "induction": TrainConfig(steps=600, batch=64, lr=3e-3),
    "translation": TrainConfig(steps=400, batch=64, lr=3e-3),
    "selective_copy": TrainConfig(steps=600, batch=64, lr=5e-3),
}


def describe(cfg: Any) -> dict[str, Any]:
    """A config as a JSON-ready dict (for the manifest)."""
    return asdict(cfg)
