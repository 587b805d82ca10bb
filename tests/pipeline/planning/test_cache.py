"""The cache key covers exactly what can change a clip: params, quality, locale, the source of every project
module the scene imports (transitively, including imports inside functions) and the worker's own code —
and nothing that only validates, plans or reports."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from pipeline.inputs.plugins import SourceRoots
from pipeline.planning.cache import (
    DISTRIBUTIONS,
    RENDER_MODULES,
    ClipCache,
    SourceIndex,
    cache_key,
    distribution_versions,
    source_closure,
    tool_versions,
)
from scenes.engine.discovery import discover

ROOT = Path(__file__).resolve().parents[3]


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
        "pipeline/execution/__init__.py": "",
        "pipeline/planning/__init__.py": "",
        "pipeline/inputs/__init__.py": "",
        "pipeline/execution/worker.py": "from pipeline.planning.jobs import QUALITIES\n",
        "pipeline/planning/jobs.py": "QUALITIES = {}\n",
        "pipeline/inputs/storyboard.py": "MESSAGE = 'unknown key'\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def key_in(root: Path, params=None, quality="low", locale="en") -> str:
    return cache_key("scenes.demo", "demo", params or {"a": 1}, quality, locale, root=root, tools={})[0]


def test_source_closure_follows_relative_lazy_and_transitive_imports(tmp_path):
    make_tree(tmp_path)
    assert set(source_closure("scenes.demo", tmp_path)) == {
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
    base = key_in(tmp_path)
    assert key_in(tmp_path) == base  # deterministic
    assert key_in(tmp_path, {"a": 2}) != base
    assert key_in(tmp_path, quality="high") != base
    assert key_in(tmp_path, locale="zh") != base
    # an edit behind two imports (lib.numbers -> lib.deep) invalidates the clip
    (tmp_path / "lib/deep.py").write_text("VALUE = 2\n")
    k2 = key_in(tmp_path)
    assert k2 != base
    # a lazily imported helper, too
    (tmp_path / "lib/lazy.py").write_text("def g():\n    return 3\n")
    k3 = key_in(tmp_path)
    assert k3 != k2
    # and the worker's own imports
    (tmp_path / "pipeline/planning/jobs.py").write_text("QUALITIES = {'low': 1}\n")
    k4 = key_in(tmp_path)
    assert k4 != k3
    # a module the scene does not import does not; nor does an error message in the storyboard validator
    (tmp_path / "scenes/other.py").write_text("X = 2\n")
    (tmp_path / "pipeline/inputs/storyboard.py").write_text("MESSAGE = 'unknown key, did you mean'\n")
    assert key_in(tmp_path) == k4


def test_the_real_key_covers_the_renderer_and_not_the_orchestration():
    """Editing an error message in storyboard.py (or the CLI, the planner, discovery) keeps every clip."""
    index = SourceIndex()
    worker = set()
    for m in RENDER_MODULES:
        worker |= set(index.closure(m))
    # scenes.engine.registry: where the worker finds the class the scene module registered
    packages = {"pipeline", "pipeline.execution", "pipeline.planning", "pipeline.inputs", "pipeline.voice"}
    assert worker == packages | {
        "pipeline.execution.worker",
        "pipeline.planning.jobs",
        "pipeline.inputs.quality",  # Manim's preset for the job's quality
        "common",
        "common.fsutil",
        "common.verified",  # what ffmpeg wrote is probed before the entry is cached; the clip's sha256
        "scenes",
        "scenes.engine",
        "scenes.engine.registry",
        "scenes.engine.runner",  # the one place a scene is configured and rendered
        "pipeline.execution.svgs",  # the compiled LaTeX and text shared between renders
        # narration: the beats' timing and the voice track (the voice's parsing and identity are not here)
        "scenes.engine.narration",
        "pipeline.voice.voices",
        "pipeline.voice.audio",
        "pipeline.voice.resolved",
        "pipeline.voice.lexicon",  # the pronunciation rules (the entries are in the key one by one)
        # chunked entries: a chunk's range, times and deck pieces, and the join of the chunks into a clip
        "pipeline.execution.chunks",
        "pipeline.execution.clip_encoder",
    }
    orchestration = {
        "pipeline.inputs.storyboard",
        "pipeline.cli",
        "pipeline.run",
        "pipeline.planning.plan",
        "pipeline.execution.processes",
        "pipeline.inputs.plugins",
        "pipeline.inputs.schema",
        "pipeline.inputs.yamlsource",
        "pipeline.planning.cache",
        "scenes.engine.discovery",
        "pipeline.execution.executors",
        "pipeline.inputs.course",
        "pipeline.execution.count",
        "pipeline.voice.spec",
        "scenes.engine.probe",  # the tests' picture of a pause: editing it re-renders nothing
        "scenes.engine.layout",
    }
    for spec in discover().values():
        closure = set(index.closure(spec.module))
        assert spec.module in closure and spec.params_module in closure
        assert not closure & orchestration, (spec.scene_id, closure & orchestration)


def test_import_lists_are_memoised_by_content(tmp_path):
    make_tree(tmp_path)
    memo = tmp_path / "memo.json"
    first = SourceIndex(SourceRoots(tmp_path), memo=memo)
    assert "lib.extra" not in first.closure("scenes.demo")
    first.save()
    assert memo.is_file() and len(json.loads(memo.read_text())) == 8
    # the same name with new content is a new memo entry: the new import is seen
    (tmp_path / "lib/deep.py").write_text("from lib import extra\n")
    (tmp_path / "lib/extra.py").write_text("E = 1\n")
    second = SourceIndex(SourceRoots(tmp_path), memo=memo)
    assert "lib.extra" in second.closure("scenes.demo")


def test_plugin_sources_are_found_in_the_plugin_folder_only(tmp_path):
    make_tree(tmp_path / "project")
    plugin = tmp_path / "course"
    (plugin / "my_course").mkdir(parents=True)
    (plugin / "my_course" / "__init__.py").write_text("")
    (plugin / "my_course" / "scene.py").write_text("import lib.deep\nfrom my_course import util\n")
    (plugin / "my_course" / "util.py").write_text("U = 1\n")
    (plugin / "lib").mkdir()
    (plugin / "lib" / "deep.py").write_text("shadow = True\n")  # never used: lib is the project's
    roots = SourceRoots(tmp_path / "project", (("my_course", plugin),))
    paths = SourceIndex(roots).paths("my_course.scene")
    assert set(paths) == {"my_course", "my_course.scene", "my_course.util", "lib", "lib.deep"}
    assert paths["lib.deep"] == tmp_path / "project" / "lib" / "deep.py"

    def key() -> str:
        return cache_key(
            "my_course.scene", "course.scene", {}, "low", "en", sources=SourceIndex(roots), tools={}
        )[0]

    before = key()
    (plugin / "my_course" / "util.py").write_text("U = 2\n")
    assert key() != before


def test_ffmpeg_version_is_memoised_by_the_binarys_identity(tmp_path, monkeypatch):
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\necho 'ffmpeg version fake-1'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    known: dict[str, str] = {}
    assert tool_versions(known)["ffmpeg"] == "ffmpeg version fake-1"
    assert list(known.values()) == ["ffmpeg version fake-1"]
    fake.write_text("#!/bin/sh\necho 'ffmpeg version fake-22'\n")  # another binary: asked again
    assert tool_versions(known)["ffmpeg"] == "ffmpeg version fake-22"
    assert len(known) == 2


def test_distribution_versions_agree_with_importlib_metadata():
    from importlib import metadata

    found = distribution_versions((*DISTRIBUTIONS, "no-such-distribution"))
    assert found == {**{d: metadata.version(d) for d in DISTRIBUTIONS}, "no-such-distribution": "missing"}


def meta(key: str = "abc", **over) -> dict:
    base = {
        "key": key,
        "scene": "fixture.shapes",
        "params": {},
        "quality": "low",
        "locale": "en",
        "name": "e01_fixture_shapes",
        "duration": 1.0,
        "resolution": [854, 480],
        "fps": 15,
        "animations": 1,
        "slides": 1,
        "frames": [{"file": "frames/00.png", "kind": "slide", "time": 0.5}],
        "shown": {},
        "render_seconds": 1.0,
        "peak_rss_mb": 100.0,
    }
    return {**base, **over}


def test_incomplete_or_malformed_cache_entry_is_not_trusted(tmp_path):
    cache = ClipCache(tmp_path)
    entry = cache.entry("abc")
    entry.mkdir()
    (entry / "clip.mp4").write_bytes(b"half a clip")
    assert cache.lookup("abc") is None  # meta.json is written last: no meta, no hit
    (entry / "meta.json").write_text("{not json")
    assert cache.lookup("abc") is None
    (entry / "meta.json").write_text(json.dumps({"duration": 1.0}))  # an old or foreign layout
    assert cache.lookup("abc") is None
    (entry / "meta.json").write_text(json.dumps(meta(**written(entry / "clip.mp4"))))
    hit = cache.lookup("abc")
    assert hit is not None and hit.duration == 1.0 and hit.frames[0].kind == "slide"
    (entry / "clip.mp4").unlink()
    assert cache.lookup("abc") is None


@pytest.mark.parametrize("bad", [{"fps": "fast"}, {"frames": [{"file": "x", "kind": "pause", "time": 0}]}])
def test_metadata_of_the_wrong_type_is_a_miss(tmp_path, bad):
    cache = ClipCache(tmp_path)
    (cache.entry("abc")).mkdir()
    (cache.entry("abc") / "clip.mp4").write_bytes(b"")
    (cache.entry("abc") / "meta.json").write_text(json.dumps(meta(**bad)))
    assert cache.lookup("abc") is None


def test_sweep_removes_only_folders_of_dead_workers(tmp_path):
    cache = ClipCache(tmp_path)
    dead = tmp_path / ".tmp-abc-999999999"  # no such pid
    alive = tmp_path / f".tmp-def-{os.getpid()}"
    for d in (dead, alive):
        d.mkdir()
    assert cache.sweep() == 1
    assert not dead.exists() and alive.exists()


def test_the_import_memo_stays_bounded(tmp_path, monkeypatch):
    import pipeline.planning.cache

    make_tree(tmp_path)
    memo = tmp_path / "memo.json"
    memo.write_text(json.dumps({f"stale{i}:x:0": [] for i in range(20)}))
    monkeypatch.setattr(pipeline.planning.cache, "MEMO_LIMIT", 10)
    index = SourceIndex(SourceRoots(tmp_path), memo=memo)
    index.closure("scenes.demo")
    index.save()
    kept = json.loads(memo.read_text())
    assert len(kept) == 8 and not [k for k in kept if k.startswith("stale")]  # this run's 8 files only


def written(clip: Path) -> dict:
    """The size and sha256 a worker records for ``clip`` (computed here, with hashlib)."""
    data = clip.read_bytes()
    return {"clip_bytes": len(data), "clip_sha256": hashlib.sha256(data).hexdigest()}


def cached_entry(cache: ClipCache, key: str = "abc", data: bytes = b"a whole clip " * 1000) -> Path:
    entry = cache.entry(key)
    entry.mkdir(parents=True)
    (entry / "clip.mp4").write_bytes(data)
    (entry / "meta.json").write_text(json.dumps(meta(key, **written(entry / "clip.mp4"))))
    return entry / "clip.mp4"


@pytest.fixture
def hashes(monkeypatch) -> list[Path]:
    """Every file the cache hashes, in order."""
    import common.verified

    seen: list[Path] = []
    real = common.verified.file_sha256
    monkeypatch.setattr(common.verified, "file_sha256", lambda p: seen.append(Path(p)) or real(p))
    return seen


@pytest.mark.parametrize("keep", [0.5, 0.0], ids=["truncated", "empty"])
def test_a_cut_clip_is_a_miss_and_says_why(tmp_path, keep):
    cache = ClipCache(tmp_path)
    clip = cached_entry(cache)
    size = clip.stat().st_size
    assert cache.lookup("abc") is not None
    with open(clip, "r+b") as f:
        f.truncate(int(size * keep))
    assert cache.lookup("abc") is None
    assert cache.damaged == {"abc": f"{int(size * keep)} bytes where {size} were written"}


def test_a_clip_changed_in_place_is_a_miss_even_with_its_size_and_mtime_put_back(tmp_path, hashes):
    cache = ClipCache(tmp_path)
    clip = cached_entry(cache)
    assert cache.lookup("abc") is not None and hashes == [clip]
    cache.save_memos()
    st = clip.stat()
    data = bytearray(clip.read_bytes())
    data[100] ^= 0xFF
    clip.write_bytes(bytes(data))
    os.utime(clip, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = ClipCache(tmp_path)
    assert again.lookup("abc") is None
    assert again.damaged == {"abc": "its bytes changed (sha256 differs)"}


def test_a_fully_cached_run_hashes_nothing(tmp_path, hashes):
    cache = ClipCache(tmp_path)
    clips = [cached_entry(cache, key) for key in ("k1", "k2", "k3")]
    assert all(cache.lookup(k) for k in ("k1", "k2", "k3")) and hashes == clips  # each once, when new
    cache.save_memos()
    memo = tmp_path / ".verified.json"
    assert memo.is_file() and stat.S_IMODE(memo.stat().st_mode) == 0o644
    hashes.clear()
    for _ in range(3):  # later runs: a stat per clip
        run = ClipCache(tmp_path)
        assert all(run.lookup(k) for k in ("k1", "k2", "k3")) and hashes == [] and run.damaged == {}
        run.save_memos()
    # a clip rendered again (a new file, another digest) is hashed again, once
    (tmp_path / "k2").rename(tmp_path / ".old")
    cached_entry(ClipCache(tmp_path), "k2", b"another render " * 1000)
    run = ClipCache(tmp_path)
    assert all(run.lookup(k) for k in ("k1", "k2", "k3")) and hashes == [clips[1]]


def test_a_clip_without_a_recorded_size_and_digest_is_never_trusted(tmp_path):
    cache = ClipCache(tmp_path)
    clip = cached_entry(cache)
    (clip.parent / "meta.json").write_text(json.dumps(meta()))  # made by hand, or by an older worker
    assert cache.lookup("abc") is None and cache.damaged == {"abc": "no size and sha256 recorded"}


def test_the_verified_memo_stays_bounded(tmp_path, monkeypatch):
    import pipeline.planning.cache

    monkeypatch.setattr(pipeline.planning.cache, "MEMO_LIMIT", 3)
    memo = tmp_path / ".verified.json"
    memo.write_text(json.dumps({f"gone{i}": [1, 2, 3, 4, 5, "x"] for i in range(5)}))
    cache = ClipCache(tmp_path)
    cached_entry(cache, "k1")
    assert cache.lookup("k1") is not None
    cache.save_memos()
    assert list(json.loads(memo.read_text())) == ["k1"]


@pytest.mark.parametrize("junk", ["[1, 2]", "{not json", '{"abc": 3}', '{"abc": ["x"]}'])
def test_a_damaged_verified_memo_only_costs_a_hash(tmp_path, hashes, junk):
    cache = ClipCache(tmp_path)
    clip = cached_entry(cache)
    (tmp_path / ".verified.json").write_text(junk)
    again = ClipCache(tmp_path)
    assert again.lookup("abc") is not None and hashes == [clip] and again.damaged == {}
    again.save_memos()
    assert list(json.loads((tmp_path / ".verified.json").read_text())) == ["abc"]
