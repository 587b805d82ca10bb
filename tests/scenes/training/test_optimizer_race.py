"""training.optimizer_race: every path, loss curve and number drawn, against torch.

SGD, momentum, Adam and AdamW are torch.optim runs on the Rosenbrock function written in torch (autograd for
the gradient); Lion is not in torch, so it is written here in torch from the paper (Chen et al. 2023, Alg. 1).
The drawn path vertices (read back through the axes) must equal those runs to 1e-10 — the scene says so — and
the loss curves, the final losses and distances and the hyper-parameters are compared as the screen
formats them.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from scenes.kit import numbers
from scenes.training.optimizer_race import OptimizerRace
from scenes.training.params.optimizer_race import RACERS, VIEW

SETS = [None, *OptimizerRace.EXAMPLES]
LOCALES = ["en", "zh"]
COURSE, RACE, RESULTS = range(3)  # the pauses
ATOL = 1e-10  # what the scene claims: lib/'s paths equal torch.optim's to 1e-10


def run(fast_run, raw, locale):
    scene, _ = fast_run("training.optimizer_race", raw, locale)
    assert len(scene.pictures) == RESULTS + 1
    return scene, OptimizerRace.Params.model_validate(raw or {}), OptimizerRace.STRINGS[locale]


def rosenbrock(t: torch.Tensor) -> torch.Tensor:
    return (1 - t[0]) ** 2 + 100 * (t[1] - t[0] ** 2) ** 2


def lion_path(start, steps: int, lr: float, betas=(0.9, 0.99), wd: float = 0.0) -> torch.Tensor:
    """Lion (Chen et al. 2023, Alg. 1).

    c = β1 m + (1 − β1) g;  θ ← θ − η (sign(c) + λθ);  m ← β2 m + (1 − β2) g.
    """
    b1, b2 = betas
    theta = torch.tensor(start, dtype=torch.float64)
    m = torch.zeros(2, dtype=torch.float64)
    out = [theta.clone()]
    for _ in range(steps):
        x = theta.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(rosenbrock(x), x)
        c = b1 * m + (1 - b1) * g
        theta = theta - lr * (torch.sign(c) + wd * theta)
        m = b2 * m + (1 - b2) * g
        out.append(theta.clone())
    return torch.stack(out)


def torch_path(p, k: str) -> np.ndarray:
    """θ_0 … θ_steps of racer ``k`` from the scene's start, with its hyper-parameters."""
    if k == "lion":
        return lion_path(p.start, p.steps, p.lr_lion).numpy()
    make = {
        "sgd": lambda ps: torch.optim.SGD(ps, lr=p.lr_sgd, foreach=False),
        "momentum": lambda ps: torch.optim.SGD(ps, lr=p.lr_momentum, momentum=p.momentum, foreach=False),
        "adam": lambda ps: torch.optim.Adam(ps, lr=p.lr_adam, foreach=False),
        "adamw": lambda ps: torch.optim.AdamW(ps, lr=p.lr_adamw, weight_decay=p.weight_decay, foreach=False),
    }[k]
    theta = torch.tensor(p.start, dtype=torch.float64, requires_grad=True)
    opt = make([theta])
    out = [theta.detach().clone()]
    for _ in range(p.steps):
        opt.zero_grad()
        rosenbrock(theta).backward()
        opt.step()
        out.append(theta.detach().clone())
    return torch.stack(out).numpy()


_PATHS: dict[tuple, dict[str, np.ndarray]] = {}


def paths(p) -> dict[str, np.ndarray]:
    key = tuple(sorted(p.model_dump().items()))
    if key not in _PATHS:
        _PATHS[key] = {k: torch_path(p, k) for k in RACERS}
    return _PATHS[key]


def loss(path: np.ndarray) -> np.ndarray:
    return np.array([float(rosenbrock(torch.tensor(q))) for q in path])


def in_window(path: np.ndarray) -> np.ndarray:
    (x0, x1), (y0, y1) = VIEW
    inside = (path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1)
    return path if inside.all() else path[: int(np.argmin(inside))]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_the_course_and_the_hyper_parameters(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[COURSE]
    assert pic.text("minimum") == strings["minimum"].format(point="(1, 1)")  # a = 1: minimum (a, a²)
    lrs = [p.lr_sgd, p.lr_momentum, p.lr_adam, p.lr_adamw, p.lr_lion]
    assert [pic.text("lr", i) for i in range(5)] == [f"{v:g}" for v in lrs]
    assert pic.text("extra", 1) == strings["extra_momentum"].format(mu=f"{p.momentum:.2f}")
    assert pic.text("extra", 3) == strings["extra_adamw"].format(wd=f"{p.weight_decay:g}")
    assert pic.text("extra", 2) == strings["extra_adam"].format(betas="0.9, 0.999")  # torch defaults
    assert pic.text("extra", 4) == strings["extra_lion"].format(betas="0.9, 0.99")  # Chen et al. 2023, Alg. 1


@pytest.mark.parametrize("raw", SETS)
def test_paths_equal_torch_optim_to_1e_10(fast_run, raw):
    scene, p, _ = run(fast_run, raw, "en")
    ref = paths(p)
    for pic in (scene.pictures[RACE], scene.pictures[RESULTS]):
        for k in RACERS:
            drawn = pic.value(f"path_{k}")
            want = in_window(ref[k])
            assert drawn.shape == want.shape, k
            np.testing.assert_allclose(drawn, want, atol=ATOL, rtol=0, err_msg=k)
    ends = scene.pictures[RESULTS].values("end")
    for i, k in enumerate(RACERS):
        np.testing.assert_allclose(ends[(i,)], ref[k][-1], atol=ATOL, rtol=0, err_msg=k)


@pytest.mark.parametrize("raw", SETS)
def test_loss_curves_are_the_loss_of_each_torch_path(fast_run, raw):
    scene, p, _ = run(fast_run, raw, "en")
    pic = scene.pictures[RACE]
    for k, path in paths(p).items():
        drawn = pic.value(f"loss_{k}")
        np.testing.assert_allclose(drawn[:, 0], np.arange(p.steps + 1), atol=1e-9, rtol=0)
        np.testing.assert_allclose(drawn[:, 1], loss(path), rtol=1e-8, err_msg=k)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("raw", SETS)
def test_final_loss_and_distance_table(fast_run, raw, locale):
    scene, p, strings = run(fast_run, raw, locale)
    pic = scene.pictures[RESULTS]
    assert pic.text("after") == strings["after"].format(n=p.steps)
    for i, (k, path) in enumerate(paths(p).items()):
        end = path[-1]
        assert pic.text("final_loss", i) == numbers.sci(float(loss(end[None])[0]), 1), k
        assert pic.text("final_dist", i) == f"{np.hypot(end[0] - 1, end[1] - 1):.3f}", k
