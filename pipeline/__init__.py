"""The pipeline: a storyboard in, a stitched video, captions, a deck and a bundle out.

Sub-packages, each importing only those listed before it (checked by ``lint-imports``, see pyproject.toml):
``inputs`` (storyboards, courses, plugins, the schema) → ``planning`` (jobs, cache keys, the plan) →
``voice`` (voices, audio, captions, the recording script) → ``execution`` (worker processes, executors,
chunks) → ``publishing`` (decks, media, bundles); ``run`` and ``cli`` sit on top. See docs/architecture.md.
"""

from pathlib import Path

# the checkout: workers start here (``python -m pipeline.execution.worker``), and clip keys hash sources
# below it
ROOT = Path(__file__).resolve().parent.parent
