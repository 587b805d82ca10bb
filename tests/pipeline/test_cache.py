"""The cache key covers exactly what can change a clip: params, quality, locale, and the source of every
project module the scene imports (transitively, including imports inside functions)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.cache import ClipCache, cache_key, source_closure


def make_tree(root: Path) -> None:
    files = {
        "scenes/__init__.py": "",
        "scenes/demo.py": "from scenes import helper\nimport lib.numbers\n\n"
        "def f():\n    from lib.lazy import g\n",
        "scenes/helper.py": "from .theme import COLOR\n",
        "scenes/theme.py": "COLOR = 'red'\n",
        "scenes/other.py": "X = 1\n",
        "lib/__init__.py": "",
        "lib/numbers.py": "import numpy as np\nfrom lib import deep\n",
        "lib/deep.py": "VALUE = 1\n",
        "lib/lazy.py": "def g():\n    return 2\n",
        "pipeline/__init__.py": "",
        "pipeline/worker.py": "",
        "pipeline/storyboard.py": "",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_source_closure_follows_relative_lazy_and_transitive_imports(tmp_path):
    make_tree(tmp_path)
    mods = set(source_closure("scenes.demo", tmp_path))
    assert mods == {
        "scenes",
        "scenes.demo",
        "scenes.helper",
        "scenes.theme",
        "lib",
        "lib.numbers",
        "lib.deep",
        "lib.lazy",
    }


def test_key_changes_with_every_input_that_matters(tmp_path):
    make_tree(tmp_path)

    def key(params=None, quality="low", locale="en"):
        return cache_key("scenes.demo", "demo", params or {"a": 1}, quality, locale, root=tmp_path)[0]

    base = key()
    assert key() == base  # deterministic
    assert key({"a": 2}) != base
    assert key(quality="high") != base
    assert key(locale="zh") != base
    # an edit behind two imports (lib.numbers -> lib.deep) invalidates the clip
    (tmp_path / "lib/deep.py").write_text("VALUE = 2\n")
    k2 = key()
    assert k2 != base
    # a lazily imported helper, too
    (tmp_path / "lib/lazy.py").write_text("def g():\n    return 3\n")
    k3 = key()
    assert k3 != k2
    # a module the scene does not import does not
    (tmp_path / "scenes/other.py").write_text("X = 2\n")
    assert key() == k3


def test_incomplete_cache_entry_is_not_trusted(tmp_path):
    cache = ClipCache(tmp_path)
    entry = cache.entry("abc")
    entry.mkdir()
    (entry / "clip.mp4").write_bytes(b"half a clip")
    assert cache.lookup("abc") is None  # meta.json is written last: no meta, no hit
    (entry / "meta.json").write_text("{not json")
    assert cache.lookup("abc") is None
    (entry / "meta.json").write_text(json.dumps({"duration": 1.0}))
    assert cache.lookup("abc") == {"duration": 1.0}
    (entry / "clip.mp4").unlink()
    assert cache.lookup("abc") is None


def test_sweep_removes_only_folders_of_dead_workers(tmp_path):
    import os

    cache = ClipCache(tmp_path)
    dead = tmp_path / ".tmp-abc-999999999"  # no such pid
    alive = tmp_path / f".tmp-def-{os.getpid()}"
    for d in (dead, alive):
        d.mkdir()
    assert cache.sweep() == 1
    assert not dead.exists() and alive.exists()
