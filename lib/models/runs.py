"""Train the runs kept as data (loss curves, no weights) and register them in ``weights/manifest.json``.

    python -m lib.models.runs {schedules,overfitting,all} [--out DIR]

Deterministic like ``lib.models.train``: fixed seeds, one thread, deterministic kernels. Each run writes
``<name>.npz`` (per-step / per-epoch arrays) and ``manifest["runs"][name]`` (settings, metrics, seconds,
sha256), then regenerates ``lib/models/digests.py``; scenes read the curves with
``lib.models.store.load_arrays``. Settings and schedules: ``lib.models.run_configs``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from rich.console import Console
from torch import nn

from lib.models.run_configs import (
    OVERFIT_RUNS,
    SCHEDULE_RUNS,
    SCHEDULES,
    VARIANTS,
    OverfitRuns,
    ScheduleRuns,
    noisy_teacher_data,
    schedule_lrs,
)
from lib.models.store import WEIGHTS_DIR, read_manifest, write_digests, write_manifest, write_npz
from lib.models.train import deterministic, train_induction

RUNS = ("schedules", "overfitting")


@dataclass(frozen=True)
class Run:
    curves: dict[str, np.ndarray]
    metrics: dict[str, float]
    seconds: float


def _rate(lrs: np.ndarray, t: int) -> float:
    """The rate of step t, exactly as lib computed it."""
    return float(lrs[t])


# ── schedules ───────────────────────────────────────────────────────────────────────────────────────


def run_schedules(cfg: ScheduleRuns = SCHEDULE_RUNS, quiet: bool = False) -> Run:
    """The induction model from the same seed under each schedule; the optimiser's rate at step t is
    exactly ``schedule_lrs(name)[t]`` (lib's values, stored beside the losses)."""
    t0 = time.perf_counter()
    curves: dict[str, np.ndarray] = {}
    metrics: dict[str, float] = {}
    for name in SCHEDULES:
        lrs = schedule_lrs(name, cfg)  # (steps,)
        trained = train_induction(cfg.train_config(), quiet, lr_fn=partial(_rate, lrs))
        c = trained.curves
        curves[f"{name}_lr"] = lrs
        curves[f"{name}_train_loss"] = c["train_loss"]
        curves[f"{name}_val_loss"] = c["val_loss"]
        curves[f"{name}_val_acc"] = c["val_acc"]
        curves["val_step"] = c["val_step"]
        metrics[f"{name}_final_val_loss"] = float(c["val_loss"][-1])
        metrics[f"{name}_best_val_loss"] = float(c["val_loss"].min())
        metrics[f"{name}_final_val_acc"] = float(c["val_acc"][-1])
    return Run(curves, metrics, time.perf_counter() - t0)


# ── overfitting ─────────────────────────────────────────────────────────────────────────────────────


class MLP(nn.Module):
    """dim → hidden → hidden → 2, ReLU, dropout p after each hidden activation (p = 0: none)."""

    def __init__(self, dim: int, hidden: int, p: float) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, 2),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (B, 2)


def overfit_variant(cfg: OverfitRuns, variant: str, epochs: int | None = None) -> dict[str, np.ndarray]:
    """One variant from the shared seed: the same initial weights (dropout has none), data and batch order.

    Loss and accuracy on the whole training set and on the validation set, in eval mode (no dropout),
    before training (epoch 0) and after each epoch: (epochs + 1,) each.
    """
    wd, p = cfg.variant(variant)
    deterministic(cfg.seed)
    model = MLP(cfg.dim, cfg.hidden, p)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=wd)
    xt, yt = (
        torch.from_numpy(a) for a in noisy_teacher_data(cfg, cfg.n_train, np.random.default_rng(cfg.seed))
    )
    xv, yv = (
        torch.from_numpy(a) for a in noisy_teacher_data(cfg, cfg.n_val, np.random.default_rng(cfg.seed + 1))
    )
    order = np.random.default_rng(cfg.seed + 2)  # the batch order: shared by the three variants
    out: dict[str, list[float]] = {k: [] for k in ("train_loss", "val_loss", "train_acc", "val_acc")}

    def evaluate() -> None:
        model.eval()
        with torch.no_grad():
            for split, x, y in (("train", xt, yt), ("val", xv, yv)):
                logits = model(x)  # (n, 2)
                out[f"{split}_loss"].append(F.cross_entropy(logits, y).item())
                out[f"{split}_acc"].append((logits.argmax(-1) == y).float().mean().item())
        model.train()

    evaluate()
    for _ in range(cfg.epochs if epochs is None else epochs):
        perm = order.permutation(cfg.n_train)  # (n_train,)
        for i in range(0, cfg.n_train, cfg.batch):
            idx = torch.from_numpy(perm[i : i + cfg.batch])  # (batch,)
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        evaluate()
    return {k: np.asarray(v, dtype=np.float32) for k, v in out.items()}


def run_overfitting(cfg: OverfitRuns = OVERFIT_RUNS, quiet: bool = False) -> Run:
    """The three variants; curves ``<variant>_<split>_<loss|acc>`` and ``epoch`` (0 … epochs)."""
    t0 = time.perf_counter()
    curves: dict[str, np.ndarray] = {"epoch": np.arange(cfg.epochs + 1, dtype=np.int64)}
    metrics: dict[str, float] = {}
    for v in VARIANTS:
        c = overfit_variant(cfg, v)
        curves.update({f"{v}_{k}": a for k, a in c.items()})
        metrics[f"{v}_best_val_loss"] = float(c["val_loss"].min())
        metrics[f"{v}_best_epoch"] = float(c["val_loss"].argmin())
        metrics[f"{v}_final_gap"] = float(c["val_loss"][-1] - c["train_loss"][-1])
    return Run(curves, metrics, time.perf_counter() - t0)


# ── files ───────────────────────────────────────────────────────────────────────────────────────────

RUNNERS: dict[str, tuple[Callable[..., Run], Any]] = {
    "schedules": (run_schedules, SCHEDULE_RUNS),
    "overfitting": (run_overfitting, OVERFIT_RUNS),
}


def save(name: str, cfg: Any, run: Run, out: Path) -> dict[str, Any]:
    """Write ``<name>.npz`` and ``manifest["runs"][name]``; regenerate the digests (committed folder)."""
    out.mkdir(parents=True, exist_ok=True)
    entry = {
        "files": {f"{name}.npz": write_npz(out / f"{name}.npz", run.curves)},
        "config": asdict(cfg),
        "metrics": {k: round(v, 6) for k, v in run.metrics.items()},
        "seconds": round(run.seconds, 1),
        "torch": torch.__version__,
    }
    manifest = read_manifest(out)
    old = manifest.setdefault("runs", {}).get(name, {})
    if old.get("files") == entry["files"]:  # the same bytes again: keep the time of the run that made them,
        entry["seconds"] = old["seconds"]  # so a reproducing `make retrain` leaves the manifest unchanged
    manifest["runs"][name] = entry
    write_manifest(manifest, out)
    if out == WEIGHTS_DIR:
        write_digests(manifest)
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.models.runs", description=__doc__.split("\n")[0])
    parser.add_argument("run", choices=[*RUNS, "all"])
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="folder for the files and manifest")
    args = parser.parse_args(argv)
    console = Console()
    for name in RUNS if args.run == "all" else (args.run,):
        fn, cfg = RUNNERS[name]
        run = fn(cfg, False)
        entry = save(name, cfg, run, args.out)
        metrics = ", ".join(f"{k} {v:.4g}" for k, v in entry["metrics"].items())
        console.print(f"[bold]{name}[/]: {run.seconds:.1f} s; {metrics}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
