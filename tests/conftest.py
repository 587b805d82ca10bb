"""Shared test fixtures. Tests write only under ``tmp_path``."""
