"""The render qualities a storyboard or ``-q`` names, in one table: Manim's preset, resolution, frame rate
and the default worker timeout. A worker reads its preset from here, so this module is part of every
clip's cache key: keep it to what shapes a render (and the timeout that stops one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Quality = Literal["low", "medium", "high", "4k"]


@dataclass(frozen=True)
class QualitySpec:
    manim: str  # Manim's quality preset
    height: int  # pixels (16:9)
    fps: int
    # Seconds a worker may take per entry unless --timeout says otherwise: a hang is stopped, a slow render
    # is not. Measured: the slowest Mamba scene (selective_scan, 28 s of video) took 18 min at 4K on the
    # 2-core machine under a load of ~10 (about 6 min of CPU); at 480p it takes ~30 s.
    timeout: float


QUALITIES: dict[Quality, QualitySpec] = {
    "low": QualitySpec("low_quality", 480, 15, 1800.0),
    "medium": QualitySpec("medium_quality", 720, 30, 1800.0),
    "high": QualitySpec("high_quality", 1080, 60, 3600.0),
    "4k": QualitySpec("fourk_quality", 2160, 60, 7200.0),
}
