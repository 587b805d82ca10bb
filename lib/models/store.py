"""Weight and curve files of the trained models: byte-for-byte reproducible ``.npz`` files and a manifest.

``np.savez`` stamps each member with the current time, so two identical trainings would write different
bytes; :func:`write_npz` fixes the timestamp and the member order, so a file's sha256 depends on its arrays
only and ``make retrain`` can reproduce the committed files exactly. Reading needs NumPy only (no torch).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS_DIR = Path(__file__).with_name("weights")
MANIFEST = "manifest.json"
DIGESTS = Path(__file__).with_name("digests.py")


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> str:
    """Write ``arrays`` as an uncompressed .npz with fixed timestamps, sorted names; return its sha256.

    Written to a temporary file, then renamed: the file appears whole or not at all.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), member.getvalue())
    data = buf.getvalue()
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return hashlib.sha256(data).hexdigest()


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an .npz file (no pickles)."""
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_manifest(folder: Path = WEIGHTS_DIR) -> dict[str, Any]:
    """The manifest: per task its seed, steps, settings, final metrics, files and their sha256."""
    path = folder / MANIFEST
    return json.loads(path.read_text()) if path.exists() else {"models": {}}


def write_manifest(manifest: dict[str, Any], folder: Path = WEIGHTS_DIR) -> None:
    """Write the manifest with sorted keys and a final newline (stable diffs), atomically."""
    path = folder / MANIFEST
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def write_digests(manifest: dict[str, Any], path: Path = DIGESTS) -> None:
    """Write ``lib/models/digests.py``: the sha256 of every file in the manifest, as Python source.

    The clip cache keys a clip on the Python sources a scene imports, not on data files; the NumPy forwards
    import this module, so retrained weights (new digests) re-render every scene that shows them.
    """
    # trained models ("models") and training runs kept as data, e.g. loss curves ("runs")
    entries = [*manifest["models"].values(), *manifest.get("runs", {}).values()]
    files = {n: d for entry in entries for n, d in entry["files"].items()}
    lines = "".join(f'    "{name}": "{files[name]}",\n' for name in sorted(files))
    source = (
        '"""sha256 of the committed weight and curve files (written by ``python -m lib.models.train``).\n\n'
        "Python source, so that the clip cache, which hashes the modules a scene imports, changes its key\n"
        'when ``lib/models/weights/`` does; ``load_weights`` checks each file against it."""\n\n'
        f"SHA256 = {{\n{lines}}}\n"
    )
    tmp = path.with_suffix(".py.tmp")
    tmp.write_text(source)
    os.replace(tmp, path)


def load_arrays(name: str, folder: Path = WEIGHTS_DIR) -> dict[str, np.ndarray]:
    """A committed data file (``<name>``, e.g. ``induction_curves.npz`` or a training run's curves) as
    float64 arrays; from the committed folder it must match its digest in ``lib/models/digests.py``."""
    path = folder / name
    if folder == WEIGHTS_DIR:
        from lib.models.digests import SHA256

        if name not in SHA256 or sha256(path) != SHA256[name]:
            raise ValueError(f"{path} does not match lib/models/digests.py: run make retrain, or restore it")
    return {k: v.astype(np.float64) for k, v in read_npz(path).items()}


def load_weights(task: str, folder: Path = WEIGHTS_DIR) -> dict[str, np.ndarray]:
    """A trained model's weights (torch state-dict names and layouts), as float64 arrays.

    From the committed folder, the file must match its digest in ``lib/models/digests.py``.
    """
    return load_arrays(f"{task}.npz", folder)
