"""Orchestration: storyboard → plan → jobs → worker processes → cache → stitched video and slide deck.

Pure functions build the plan; processes, files and ffmpeg live at the edges (``executor``, ``media``,
``slides``). ``render.py`` is a thin command line over :func:`pipeline.cli.main`.
"""
