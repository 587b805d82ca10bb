"""Scenes of the Mamba lecture (storyboards/mamba.yaml)."""
