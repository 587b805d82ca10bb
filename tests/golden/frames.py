"""Golden frames: a scene's pause frames compared with stored PNGs, in the manner of Manim's
``frames_comparison``, with a tolerance that forgives anti-aliasing noise but not a moved or recoloured part.

A pixel *differs* when one of its channels differs from the golden frame by more than ``Tolerance.pixel``
(of 255); a frame *matches* when at most ``Tolerance.fraction`` of its pixels differ. The defaults were
measured on the kit gallery at 854 × 480 (one scene unit = 60 px):

- every mobject moved by 0.1 px (anti-aliasing noise: edge pixels change by up to 42/255): 0 pixels
  differ → match;
- one digit of a number changed (67,108,864 → 67,108,865): 52 pixels; a table moved by half a pixel:
  ~4,000; a table column in another theme colour: 475 to 1,400 → no match (the limit, 5·10⁻⁵ of
  409,920 pixels, is 20 pixels).

Not caught: a swap between two nearly equal colours (no channel apart by more than 48). What a number
*says* is the probe's job (``scenes.engine.probe``), what it *looks like* is this one's.

The golden files are ``<folder>/<name>.png`` (RGB). ``pytest --update-golden`` (``make golden``) rewrites
the ones that are missing or no longer match and deletes those the scene no longer makes; without it a
missing golden file is a failure, never created silently, so a reviewer sees every new or changed frame
in the diff.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).parent


@dataclass(frozen=True)
class Tolerance:
    """How different a frame may be and still match (see the module docstring for the measurements)."""

    pixel: int = 48  # a pixel differs when a channel differs by more than this (0–255)
    fraction: float = 5e-5  # a frame matches when at most this fraction of its pixels differ


@dataclass(frozen=True)
class FrameDiff:
    """The comparison of one frame with its golden frame."""

    mask: np.ndarray  # (H, W) bool: the pixels that differ
    max_delta: int  # the largest channel difference anywhere

    @property
    def differing(self) -> int:
        return int(self.mask.sum())

    @property
    def fraction(self) -> float:
        return self.differing / self.mask.size

    def matches(self, tol: Tolerance) -> bool:
        return self.fraction <= tol.fraction


def rgb(frame: np.ndarray) -> np.ndarray:
    """An (H, W, 3) uint8 frame from a camera's (H, W, 4) RGBA pixel array (the background is opaque)."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (3, 4):
        raise ValueError(f"expected an (H, W, 3|4) uint8 frame, got {frame.shape} {frame.dtype}")
    return frame[..., :3]


def compare(actual: np.ndarray, expected: np.ndarray, tol: Tolerance = Tolerance()) -> FrameDiff:
    """Which pixels of ``actual`` differ from ``expected`` by more than ``tol.pixel`` (same sizes only)."""
    a, e = rgb(actual), rgb(expected)
    if a.shape != e.shape:
        raise ValueError(f"frame is {a.shape[1]}×{a.shape[0]}, golden frame {e.shape[1]}×{e.shape[0]}")
    delta = np.abs(a.astype(np.int16) - e.astype(np.int16)).max(axis=2)  # (H, W)
    return FrameDiff(delta > tol.pixel, int(delta.max()))


def diff_image(actual: np.ndarray, expected: np.ndarray, diff: FrameDiff) -> np.ndarray:
    """The golden frame dimmed to grey, with the differing pixels in magenta: where to look."""
    grey = rgb(expected).astype(np.float64).mean(axis=2, keepdims=True) * 0.35  # (H, W, 1)
    out = np.repeat(grey, 3, axis=2).astype(np.uint8)  # (H, W, 3)
    out[diff.mask] = (255, 0, 255)
    return out


def load(path: Path) -> np.ndarray:
    """A stored frame as (H, W, 3) uint8."""
    with Image.open(path) as im:
        return np.array(im.convert("RGB"))


def save(path: Path, frame: np.ndarray) -> None:
    """Write ``frame`` as an RGB PNG (losslessly; written whole, then renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.png")
    Image.fromarray(rgb(frame)).save(tmp, optimize=True)
    tmp.replace(path)


def check_frames(
    frames: dict[str, np.ndarray],
    folder: Path,
    *,
    update: bool,
    out_dir: Path,
    tol: Tolerance = Tolerance(),
) -> tuple[list[str], list[str]]:
    """Compare each ``frames[name]`` with ``folder/<name>.png``; return (problems, files written).

    Without ``update``: a missing, mismatching or stale (no longer made) golden file is a problem; for a
    mismatch the actual frame and a diff image go to ``out_dir`` and the problem names them. With
    ``update``: missing and mismatching golden files are (re)written, stale ones deleted; no problems.
    """
    problems: list[str] = []
    written: list[str] = []
    for name, frame in frames.items():
        path = folder / f"{name}.png"
        rel = _rel(path)
        if not path.is_file():
            if update:
                save(path, frame)
                written.append(f"{rel} (new)")
            else:
                problems.append(f"{rel}: no golden frame; make one with `make golden` and review it")
            continue
        golden = load(path)
        if golden.shape != rgb(frame).shape:
            why = f"size {frame.shape[1]}×{frame.shape[0]}, golden {golden.shape[1]}×{golden.shape[0]}"
            diff = None
        else:
            diff = compare(frame, golden, tol)
            if diff.matches(tol):
                continue
            why = (
                f"{diff.differing} pixels ({diff.fraction:.3%}) differ by more than {tol.pixel}/255 "
                f"(allowed: {tol.fraction:.3%}; largest difference {diff.max_delta})"
            )
        if update:
            save(path, frame)
            written.append(f"{rel} ({why})")
            continue
        actual_path = out_dir / f"{name}_actual.png"
        save(actual_path, frame)
        shown = f"actual: {actual_path}"
        if diff is not None:
            diff_path = out_dir / f"{name}_diff.png"
            save(diff_path, diff_image(frame, golden, diff))
            shown += f", diff: {diff_path}"
        problems.append(f"{rel}: {why}; {shown}")
    stale = sorted(p for p in folder.glob("*.png") if p.stem not in frames) if folder.is_dir() else []
    for p in stale:
        if update:
            p.unlink()
            written.append(f"{_rel(p)} (deleted: the scene no longer makes it)")
        else:
            problems.append(f"{_rel(p)}: stale golden frame (the scene makes {len(frames)} frames)")
    return problems, written


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT.parent.parent))
    except ValueError:
        return str(path)
