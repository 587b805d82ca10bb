"""The committed files: their manifest, their size, byte-reproducible writing, loading without torch."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from lib.models.configs import TASKS
from lib.models.store import WEIGHTS_DIR, load_weights, read_manifest, read_npz, write_npz
from pipeline.planning.cache import source_closure


def test_manifest_sha256_matches_every_committed_file():
    manifest = read_manifest()
    assert sorted(manifest["models"]) == sorted(TASKS)
    for task, entry in manifest["models"].items():
        assert set(entry["files"]) == {f"{task}.npz", f"{task}_curves.npz"}
        for name, digest in entry["files"].items():
            assert hashlib.sha256((WEIGHTS_DIR / name).read_bytes()).hexdigest() == digest, name
    runs = manifest.get("runs", {}).values()  # training runs kept as data (lib.models.runs)
    for entry in runs:
        for name, digest in entry["files"].items():
            assert hashlib.sha256((WEIGHTS_DIR / name).read_bytes()).hexdigest() == digest, name
    assert set(p.name for p in WEIGHTS_DIR.iterdir()) == {"manifest.json"} | {
        n for e in [*manifest["models"].values(), *runs] for n in e["files"]
    }


def test_files_are_small_and_curves_cover_every_step():
    for task, entry in read_manifest()["models"].items():
        assert (WEIGHTS_DIR / f"{task}.npz").stat().st_size < 400_000
        curves = read_npz(WEIGHTS_DIR / f"{task}_curves.npz")
        assert curves["train_loss"].shape == curves["train_acc"].shape == (entry["steps"],)
        assert curves["val_step"][-1] == entry["steps"]
        assert curves["val_loss"].shape == curves["val_acc"].shape == curves["val_step"].shape


def test_write_npz_is_byte_for_byte_reproducible(tmp_path):
    arrays = {"b": np.arange(6, dtype=np.float32).reshape(2, 3), "a": np.array([1, 2], dtype=np.int64)}
    d1 = write_npz(tmp_path / "one.npz", arrays)
    d2 = write_npz(tmp_path / "two.npz", dict(reversed(arrays.items())))
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    assert d1 == d2 == hashlib.sha256((tmp_path / "one.npz").read_bytes()).hexdigest()
    back = np.load(tmp_path / "one.npz")
    assert back["b"].dtype == np.float32 and (back["b"] == arrays["b"]).all() and (back["a"] == [1, 2]).all()
    assert write_npz(tmp_path / "three.npz", {**arrays, "a": np.array([1, 3])}) != d1


def test_the_numpy_forwards_load_without_torch():
    code = (
        "import sys\n"
        "from lib.models import induction, translation, selective_copy\n"
        "induction.load(); translation.load(); selective_copy.trained_toy()\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=WEIGHTS_DIR.parents[2])


def test_digests_module_matches_the_manifest_and_guards_loading(monkeypatch):
    from lib.models import digests

    manifest = read_manifest()
    entries = [*manifest["models"].values(), *manifest.get("runs", {}).values()]
    files = {n: d for e in entries for n, d in e["files"].items()}
    assert digests.SHA256 == files
    load_weights("selective_copy")  # the committed file matches
    monkeypatch.setitem(digests.SHA256, "selective_copy.npz", "0" * 64)
    with pytest.raises(ValueError, match="digests"):
        load_weights("selective_copy")


def test_retrained_weights_change_the_cache_key_of_the_scenes_that_show_them():
    # clips are keyed on the Python modules a scene imports; the digests module stands for the data files
    for scene in ("scenes.mamba.selection", "scenes.mamba.selective_scan", "scenes.mamba.parallel_scan"):
        assert "lib.models.digests" in source_closure(scene)


def test_load_arrays_checks_the_committed_digest(tmp_path):
    from lib.models.store import load_arrays

    curves = load_arrays("induction_curves.npz")
    assert curves["train_loss"].dtype == np.float64 and curves["train_loss"].ndim == 1
    with pytest.raises(ValueError, match="does not match"):
        load_arrays("no_such_file.npz")
