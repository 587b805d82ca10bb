"""Train the tiny models and write their weights, curves and manifest to ``lib/models/weights/``.

    python -m lib.models.train {induction,translation,selective_copy,all} [--steps N] [--out DIR]

Deterministic: fixed seeds (torch for the initial weights, NumPy for the data), one thread
(``torch.set_num_threads(1)``, so the result does not depend on the machine's core count) and
``torch.use_deterministic_algorithms(True)``. Trained in float32; the weights are stored as float32 (the
trained values exactly) and the NumPy forward passes read them as float64. Each run rewrites its task's
``<task>.npz`` (weights, torch state-dict names) and ``<task>_curves.npz`` (loss and accuracy per step,
train and validation) and its entry in ``manifest.json``.
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lib.models import tasks
from lib.models.configs import (
    COPY_MODEL,
    INDUCTION_MODEL,
    TASKS,
    TRAIN,
    TRANSLATION_MODEL,
    Task,
    TrainConfig,
    describe,
)
from lib.models.store import WEIGHTS_DIR, read_manifest, write_digests, write_manifest, write_npz
from lib.models.torch_models import DecoderLM, MambaBlock, MambaLM, Seq2Seq

Step = Callable[[int], tuple[float, float]]  # step index → (train loss, train accuracy)


@dataclass(frozen=True)
class Trained:
    model: torch.nn.Module
    curves: dict[str, np.ndarray]
    metrics: dict[str, float]
    seconds: float


def deterministic(seed: int) -> None:
    """Seed torch, pin it to one thread and to deterministic kernels."""
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay from lr to lr/10 at the last step."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    p = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p)))


@contextmanager
def progress_bar(task: str, steps: int, quiet: bool) -> Iterator[Callable[[float, float], None]]:
    """A rich progress bar with the running loss; yields ``advance(loss, acc)``."""
    if quiet:
        yield lambda loss, acc: None
        return
    columns = (
        TextColumn(f"[bold]{task}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}  acc {task.fields[acc]:.3f}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as bar:
        tid = bar.add_task(task, total=steps, loss=float("nan"), acc=float("nan"))

        def advance(loss: float, acc: float) -> None:
            bar.update(tid, advance=1, loss=loss, acc=acc)

        yield advance


def fit(
    name: str,
    model: torch.nn.Module,
    cfg: TrainConfig,
    batch_loss: Callable[[int], tuple[torch.Tensor, torch.Tensor]],
    validate: Callable[[], tuple[float, float]],
    quiet: bool,
    lr_fn: Callable[[int], float] | None = None,
) -> dict[str, np.ndarray]:
    """The training loop shared by the three tasks: AdamW, warm-up + cosine, gradient clipping at 1.

    ``batch_loss(step)`` returns (loss, accuracy) on that step's batch; ``validate()`` (loss, accuracy) on
    the fixed validation set, every ``eval_every`` steps and after the last. Returns the curves.
    ``lr_fn(step)``, when given, replaces :func:`lr_at` (the schedule runs of ``lib.models.runs``).
    """
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    train_loss, train_acc = np.empty(cfg.steps), np.empty(cfg.steps)  # (steps,)
    val_step, val_loss, val_acc = [], [], []
    with progress_bar(name, cfg.steps, quiet) as advance:
        for step in range(cfg.steps):
            for group in opt.param_groups:
                group["lr"] = lr_at(step, cfg) if lr_fn is None else lr_fn(step)
            loss, acc = batch_loss(step)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            train_loss[step], train_acc[step] = loss.item(), acc.item()
            advance(train_loss[step], train_acc[step])
            if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps:
                vl, va = validate()
                val_step.append(step + 1)
                val_loss.append(vl)
                val_acc.append(va)
    return {
        "train_loss": train_loss.astype(np.float32),
        "train_acc": train_acc.astype(np.float32),
        "val_step": np.asarray(val_step, dtype=np.int64),
        "val_loss": np.asarray(val_loss, dtype=np.float32),
        "val_acc": np.asarray(val_acc, dtype=np.float32),
    }


def _masked_ce(
    logits: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy and accuracy over the positions where ``mask`` is True."""
    lg, tg = logits[mask], targets[mask]  # (M, V), (M,)
    return F.cross_entropy(lg, tg), (lg.argmax(-1) == tg).float().mean()


# ── induction ───────────────────────────────────────────────────────────────────────────────────────


def induction_targets(batch: tasks.InductionBatch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inputs (B, T), next tokens (B, T) (the last position's is a dummy) and the second-copy mask (B, T)."""
    x = torch.from_numpy(batch.tokens)  # (B, T)
    y = torch.roll(x, -1, dims=1)  # (B, T)  y[t] = x[t + 1]
    return x, y, torch.from_numpy(batch.target_mask)


def train_induction(
    cfg: TrainConfig, quiet: bool = False, lr_fn: Callable[[int], float] | None = None
) -> Trained:
    """The decoder-only Transformer on repeated random segments; the loss is on the second copy only.

    ``lr_fn(step)`` overrides the warm-up + cosine schedule (``lib.models.runs`` compares schedules)."""
    t0 = time.perf_counter()
    deterministic(cfg.seed)
    task_cfg = tasks.InductionConfig()
    model = DecoderLM(task_cfg.vocab, task_cfg.length, INDUCTION_MODEL).train()  # dropout 0: train = eval
    rng = np.random.default_rng(cfg.seed)
    val = induction_targets(tasks.induction_batch(np.random.default_rng(cfg.seed + 1_000), 1000, task_cfg))

    def batch_loss(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y, m = induction_targets(tasks.induction_batch(rng, cfg.batch, task_cfg))
        return _masked_ce(model(x), y, m)

    def validate() -> tuple[float, float]:
        with torch.no_grad():
            loss, acc = _masked_ce(model(val[0]), val[1], val[2])
        return loss.item(), acc.item()

    curves = fit("induction", model, cfg, batch_loss, validate, quiet, lr_fn)
    metrics = {"induction_accuracy": float(curves["val_acc"][-1]), "val_loss": float(curves["val_loss"][-1])}
    return Trained(model, curves, metrics, time.perf_counter() - t0)


# ── translation (dates) ─────────────────────────────────────────────────────────────────────────────


def greedy_decode(model: Seq2Seq, src: torch.Tensor) -> torch.Tensor:
    """Greedy decoding from BOS for TGT_LEN steps; returns the generated ids (B, TGT_LEN)."""
    memory = model.encode(src)  # (B, S, d)
    out = torch.full((src.shape[0], 1), tasks.TGT_ID[tasks.BOS], dtype=torch.long)  # (B, 1)
    for _ in range(tasks.TGT_LEN):
        nxt = model.decode(out, memory, src)[:, -1].argmax(-1, keepdim=True)  # (B, 1)
        out = torch.cat([out, nxt], dim=1)
    return out[:, 1:]  # (B, TGT_LEN)


def exact_match(generated: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Per sequence: the generated ids equal the expected target up to and including EOS."""
    eos = tasks.TGT_ID[tasks.EOS]
    return np.array([list(g[: list(e).index(eos) + 1]) == list(e[: list(e).index(eos) + 1])
                     for g, e in zip(generated, expected, strict=True)])  # fmt: skip


def held_out_dates(seed: int, n: int = 500) -> np.ndarray:
    """The validation dates (never trained on)."""
    return tasks.random_dates(np.random.default_rng(seed + 1_000), n)


def train_translation(cfg: TrainConfig, quiet: bool = False) -> Trained:
    """The encoder–decoder Transformer on English → Chinese dates; held-out dates excluded from training."""
    t0 = time.perf_counter()
    deterministic(cfg.seed)
    model = Seq2Seq(
        len(tasks.SRC_VOCAB), len(tasks.TGT_VOCAB), tasks.SRC_LEN, tasks.TGT_LEN, TRANSLATION_MODEL
    ).train()
    rng = np.random.default_rng(cfg.seed)
    val_dates = held_out_dates(cfg.seed)
    held = {tuple(d) for d in val_dates.tolist()}
    val = tasks.encode_dates(val_dates)
    v_src, v_in, v_out = (torch.from_numpy(a) for a in (val.src, val.tgt_in, val.tgt_out))

    def batch_loss(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        dates = tasks.random_dates(rng, cfg.batch)
        dates = dates[[tuple(d) not in held for d in dates.tolist()]]  # (B', 3)
        b = tasks.encode_dates(dates)
        out = torch.from_numpy(b.tgt_out)
        return _masked_ce(model(torch.from_numpy(b.src), torch.from_numpy(b.tgt_in)), out, out != 0)

    def validate() -> tuple[float, float]:
        with torch.no_grad():
            loss, acc = _masked_ce(model(v_src, v_in), v_out, v_out != 0)
        return loss.item(), acc.item()

    curves = fit("translation", model, cfg, batch_loss, validate, quiet)
    with torch.no_grad():
        generated = greedy_decode(model, v_src).numpy()
    metrics = {
        "exact_match": float(exact_match(generated, val.tgt_out).mean()),
        "token_accuracy": float(curves["val_acc"][-1]),
        "val_loss": float(curves["val_loss"][-1]),
    }
    return Trained(model, curves, metrics, time.perf_counter() - t0)


# ── selective copying ───────────────────────────────────────────────────────────────────────────────


def copy_loss(model: MambaLM, batch: tasks.CopyBatch) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy and accuracy of the data tokens predicted at the K marker positions."""
    k = batch.targets.shape[1]
    logits = model(torch.from_numpy(batch.tokens))[:, -k:]  # (B, K, V)
    targets = torch.from_numpy(batch.targets)  # (B, K)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)), (
        logits.argmax(-1) == targets
    ).float().mean()


def copy_validation(seed: int, n: int = 250) -> list[tasks.CopyBatch]:
    """The fixed validation set: n sequences at each context length 8, 16, 24 and 32."""
    rng = np.random.default_rng(seed + 1_000)
    return [tasks.copy_batch(rng, n, context=lc) for lc in (8, 16, 24, 32)]


def delta_by_kind(model: MambaLM, batches: list[tasks.CopyBatch]) -> tuple[np.ndarray, np.ndarray]:
    """Mean Δ of every channel of the first block on data tokens and on noise tokens: (D,), (D,)."""
    layer = model.layers[0]
    assert isinstance(layer, MambaBlock)
    layer.trace = {}
    on_data, on_noise = [], []
    with torch.no_grad():
        for b in batches:
            model(torch.from_numpy(b.tokens))
            delta = layer.trace["delta"].numpy()  # (B, L, D)
            noise = b.tokens == tasks.NOISE_ID  # (B, L)
            on_data.append(delta[b.is_data])
            on_noise.append(delta[noise])
    layer.trace = None
    return np.concatenate(on_data).mean(0), np.concatenate(on_noise).mean(0)  # (D,), (D,)


def train_selective_copy(cfg: TrainConfig, quiet: bool = False) -> Trained:
    """The Mamba on Selective Copying; reports copying accuracy and mean Δ on data vs noise tokens."""
    t0 = time.perf_counter()
    deterministic(cfg.seed)
    model = MambaLM(len(tasks.COPY_VOCAB), COPY_MODEL).train()
    rng = np.random.default_rng(cfg.seed)
    val = copy_validation(cfg.seed)

    def validate() -> tuple[float, float]:
        with torch.no_grad():
            results = [copy_loss(model, b) for b in val]
        return float(np.mean([r[0].item() for r in results])), float(np.mean([r[1].item() for r in results]))

    def batch_loss(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        return copy_loss(model, tasks.copy_batch(rng, cfg.batch))

    curves = fit("selective_copy", model, cfg, batch_loss, validate, quiet)
    data, noise = delta_by_kind(model, val)  # (D,), (D,)
    metrics = {
        "copy_accuracy": float(curves["val_acc"][-1]),
        "val_loss": float(curves["val_loss"][-1]),
        "delta_data": float(data.mean()),
        "delta_noise": float(noise.mean()),
        "median_channel_delta_data": float(np.median(data)),
        "median_channel_delta_noise": float(np.median(noise)),
        "channels_delta_data_above_noise": float((data > noise).mean()),
    }
    return Trained(model, curves, metrics, time.perf_counter() - t0)


# ── files ───────────────────────────────────────────────────────────────────────────────────────────

TRAINERS: dict[Task, Callable[[TrainConfig, bool], Trained]] = {
    "induction": train_induction,
    "translation": train_translation,
    "selective_copy": train_selective_copy,
}
ARCH: dict[Task, Any] = {"induction": INDUCTION_MODEL, "translation": TRANSLATION_MODEL,
                         "selective_copy": COPY_MODEL}  # fmt: skip


def state_arrays(model: torch.nn.Module) -> dict[str, np.ndarray]:
    """The state dict as float32 NumPy arrays (the trained values exactly)."""
    return {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()}


def save(task: Task, cfg: TrainConfig, result: Trained, out: Path) -> dict[str, Any]:
    """Write ``<task>.npz``, ``<task>_curves.npz`` and the task's manifest entry; return the entry."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        f"{task}.npz": write_npz(out / f"{task}.npz", state_arrays(result.model)),
        f"{task}_curves.npz": write_npz(out / f"{task}_curves.npz", result.curves),
    }
    entry = {
        "task": task,
        "seed": cfg.seed,
        "steps": cfg.steps,
        "train": describe(cfg),
        "model": describe(ARCH[task]),
        "parameters": sum(p.numel() for p in result.model.parameters()),
        "metrics": {k: round(v, 6) for k, v in result.metrics.items()},
        "files": files,
    }
    manifest = read_manifest(out)
    manifest["models"][task] = entry
    manifest["torch"] = torch.__version__
    manifest["numpy"] = np.__version__
    manifest["python"] = platform.python_version()
    write_manifest(manifest, out)
    if out == WEIGHTS_DIR:
        write_digests(manifest)
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.models.train", description=__doc__.split("\n")[0])
    parser.add_argument("task", choices=[*TASKS, "all"])
    parser.add_argument("--steps", type=int, help="override the number of training steps (a quick check)")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="folder for the files and manifest")
    args = parser.parse_args(argv)
    console = Console()
    for task in TASKS if args.task == "all" else (args.task,):
        cfg = TRAIN[task] if args.steps is None else replace(TRAIN[task], steps=args.steps)
        result = TRAINERS[task](cfg, False)
        entry = save(task, cfg, result, args.out)
        metrics = ", ".join(f"{k} {v:.4g}" for k, v in entry["metrics"].items())
        console.print(f"[bold]{task}[/]: {result.seconds:.1f} s, {entry['parameters']} parameters; {metrics}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
