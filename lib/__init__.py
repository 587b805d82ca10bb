"""Exact numerics behind every scene: NumPy, float64, deterministic, no Manim.

Each module holds one topic and reads like its paper: public functions cite the equation they implement,
array lines carry a shape comment, and results come back as small frozen dataclasses that keep the
intermediates a scene will show. The tests in ``tests/lib`` check every function against PyTorch in
float64 (or against a second independent derivation where PyTorch has none).
"""
