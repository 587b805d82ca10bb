"""Selection, one (channel d, state n) at a time: how much of the state each token keeps, how much it lets in.

Mamba (Gu & Dao 2023, §3.2 and Algorithm 2) makes Δ_t, B_t and C_t functions of the token x_t. For one
channel d and state n with A = A[d, n] < 0, the recurrence h_t = Ā_t h_{t−1} + B̄_t x_t has
    keep    Ā_t = exp(Δ_t A)                       (the fraction of h_{t−1} that survives the step)
    let in  B̄_t / B_t = (exp(Δ_t A) − 1)/A          (zoh, the paper's eq. 4)   or   Δ_t   ("mamba", ΔB)
so a large Δ_t forgets the state and takes the token in (a reset), a small Δ_t keeps the state and
ignores the token (§3.5.2, "Interpretation of Δ"). An LTI model has one Δ for every token: the same keep
and let-in whatever the token says. Here its Δ is the sentence mean of Δ_t, for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.mamba.ssm import discretize_diagonal
from lib.mamba.toy_mamba import ToySelectiveSSM


@dataclass(frozen=True)
class SelectionGates:
    channel: int
    state: int
    A: float  # A[d, n] (negative)
    delta: np.ndarray  # (L,)  Δ_t[d]
    keep: np.ndarray  # (L,)  Ā_t[d, n] = exp(Δ_t A)
    let_in: np.ndarray  # (L,)  B̄_t[d, n] / B_t[n], the input gain of the step
    lti_delta: float  # the one Δ of the LTI comparison: mean_t Δ_t[d]
    lti_keep: float  # exp(Δ A)
    lti_let_in: float  # B̄ / B at that Δ
    most: int  # token with the largest Δ_t (lets the most in)
    least: int  # token with the smallest Δ_t (keeps the most state)


def selection_gates(model: ToySelectiveSSM, d: int, n: int) -> SelectionGates:
    """The per-token keep / let-in factors of channel ``d``, state ``n`` of ``model``, and their LTI twin."""
    D, N = model.A.shape
    if not (0 <= d < D and 0 <= n < N):
        raise ValueError(f"(d, n) = ({d}, {n}) outside the model's (D, N) = ({D}, {N})")
    a = float(model.A[d, n])
    delta = model.sel.delta[:, d].copy()  # (L,)
    step = discretize_diagonal(np.array([a]), np.array([1.0]), delta, model.discretization)  # B = 1
    lti_delta = float(delta.mean())
    lti = discretize_diagonal(np.array([a]), np.array([1.0]), lti_delta, model.discretization)
    return SelectionGates(
        channel=d,
        state=n,
        A=a,
        delta=delta,
        keep=model.scan.A_bar[:, d, n].copy(),  # (L,)  the very Ā_t the scan used
        let_in=step.B_bar[:, 0],  # (L,)
        lti_delta=lti_delta,
        lti_keep=float(lti.A_bar[0]),
        lti_let_in=float(lti.B_bar[0]),
        most=int(np.argmax(delta)),
        least=int(np.argmin(delta)),
    )
