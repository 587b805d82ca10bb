#!/usr/bin/env python3
"""Render a storyboard into a video (and a slide deck): ``python render.py storyboards/mamba.yaml``.

A thin command line; everything lives in the ``pipeline`` package. ``--help`` explains the options.
"""

from pipeline.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
