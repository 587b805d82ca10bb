"""Elementwise activation functions, their derivatives, and the one dispatcher by name that every layer uses.

References
- ReLU: Nair & Hinton 2010, "Rectified Linear Units Improve Restricted Boltzmann Machines", eq. 3 (max(0, x)).
- Logistic σ(x) = 1/(1 + e^{−x}) and tanh: Rumelhart, Hinton & Williams 1986 (the logistic φ of eq. 2).
- SiLU / Swish: Elfwing, Uchibe & Doya 2018, "Sigmoid-Weighted Linear Units", eq. 1 (x σ(x));
  Ramachandran, Zoph & Le 2017, "Searching for Activation Functions": Swish_β(x) = x σ(βx).
- GELU: Hendrycks & Gimpel 2016, "Gaussian Error Linear Units", §2: x Φ(x) = ½ x (1 + erf(x/√2)), and its
  tanh approximation ½ x (1 + tanh(√(2/π)(x + 0.044715 x³))).
- ELU: Clevert, Unterthiner & Hochreiter 2016, "Fast and Accurate Deep Network Learning by ELUs", eq. 1
  (α = 1: x for x > 0, eˣ − 1 otherwise; GAT's nonlinearity).

Names are those ``activate`` understands (``ACTIVATIONS``); ``None`` is accepted as "identity". Every
function is float64 NumPy and never overflows: σ is evaluated as e^{−|x|}-based on both sides of 0, which
keeps its relative accuracy far into the tails (σ(−40) ≈ 4.2e−18, not 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

_erfc = np.vectorize(math.erfc, otypes=[np.float64])
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_C = 0.044715  # the cubic coefficient of Hendrycks & Gimpel's tanh approximation


def relu(x: np.ndarray) -> np.ndarray:
    """ReLU(x) = max(0, x) (Nair & Hinton 2010, eq. 3)."""
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)  # (...)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1/(1 + e^{−x}), as 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0 with e = e^{−|x|} ≤ 1."""
    x = np.asarray(x, dtype=np.float64)  # (...)
    e = np.exp(-np.abs(x))  # (...)  in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # (...)


def swish(x: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """Swish_β(x) = x σ(βx) (Ramachandran et al. 2017); β = 1 is SiLU."""
    x = np.asarray(x, dtype=np.float64)  # (...)
    return x * sigmoid(beta * x)  # (...)


def silu(x: np.ndarray) -> np.ndarray:
    """SiLU(x) = x σ(x) (Elfwing et al. 2018, eq. 1): Mamba's activation and gate, Swish₁ of SwiGLU."""
    return swish(x, 1.0)


def gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """GELU (Hendrycks & Gimpel 2016, §2): exact x Φ(x) = ½ x (1 + erf(x/√2)), or the tanh approximation.

    ``approximate`` takes torch's values: "none" or "tanh". Φ(x) is evaluated as ½ erfc(−x/√2), which keeps
    its relative accuracy in the left tail where 1 + erf(x/√2) cancels (x ≲ −5).
    """
    x = np.asarray(x, dtype=np.float64)  # (...)
    if approximate == "none":
        return 0.5 * x * _erfc(-x / math.sqrt(2.0))  # (...)
    if approximate == "tanh":
        return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + _GELU_TANH_C * x**3)))  # (...)
    raise ValueError(f"unknown GELU approximation {approximate!r}")


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """ELU(x) = x for x > 0, α(eˣ − 1) otherwise (Clevert et al. 2016, eq. 1); expm1 keeps small x exact."""
    x = np.asarray(x, dtype=np.float64)  # (...)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))  # (...)


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda x: np.asarray(x, dtype=np.float64),
    "relu": relu,
    "tanh": lambda x: np.tanh(np.asarray(x, dtype=np.float64)),
    "sigmoid": sigmoid,
    "silu": silu,
    "gelu": gelu,
    "gelu_tanh": lambda x: gelu(x, "tanh"),
    "elu": elu,
}


def _check(name: str) -> None:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {tuple(ACTIVATIONS)}")


def activate(x: np.ndarray, name: str | None) -> np.ndarray:
    """φ(x) for the activation called ``name`` (``None`` means identity); see ``ACTIVATIONS``."""
    name = "identity" if name is None else name
    _check(name)
    return ACTIVATIONS[name](x)


def activation_grad(z: np.ndarray, name: str | None, a: np.ndarray | None = None) -> np.ndarray:
    """φ'(z), elementwise. ``a`` = φ(z) if the caller has it: tanh' = 1 − a² and σ' = a(1 − a) are how the
    derivatives are usually taught (Rumelhart et al. 1986, eq. 5 for the logistic φ) and reuse the forward.

    relu'(0) := 0 and elu'(0) := 1, as torch's autograd.
    """
    name = "identity" if name is None else name
    _check(name)
    z = np.asarray(z, dtype=np.float64)  # (...)
    if name == "identity":
        return np.ones_like(z)
    if name == "relu":
        return (z > 0).astype(np.float64)  # (...)
    if name == "tanh":
        t = np.tanh(z) if a is None else a  # (...)
        return 1.0 - t**2  # (...)
    if name == "sigmoid":
        s = sigmoid(z) if a is None else a  # (...)
        return s * (1.0 - s)  # (...)
    if name == "silu":
        s = sigmoid(z)  # (...)
        return s * (1.0 + z * (1.0 - s))  # (...)  d/dz z σ(z) = σ + z σ (1 − σ)
    if name == "gelu":
        pdf = np.exp(-0.5 * z**2) / math.sqrt(2.0 * math.pi)  # (...)  φ(z), the normal density
        return 0.5 * _erfc(-z / math.sqrt(2.0)) + z * pdf  # (...)  Φ(z) + z φ(z)
    if name == "gelu_tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (z + _GELU_TANH_C * z**3))  # (...)
        du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_TANH_C * z**2)  # (...)  d/dz of tanh's argument
        return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t**2) * du  # (...)
    if name == "elu":
        return np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0)))  # (...)  α = 1: 1 for z > 0, eᶻ otherwise
    raise NotImplementedError(f"no derivative for activation {name!r}")
