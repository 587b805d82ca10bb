"""Scene discovery by one rule, without Manim: ``<package>/<topic>/params/<name>.py`` defines the scene
``<topic>.<name>`` drawn by ``<package>/<topic>/<name>.py``. Every way of breaking the rule is an error that
names the file(s); listing, validating and planning never import Manim."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from scenes.engine import registry
from scenes.engine.discovery import DiscoveryError, discover
from scenes.engine.registry import RegistrationError, SceneParams, register

ROOT = Path(__file__).resolve().parents[3]


def write_package(root: Path, files: dict[str, str]) -> str:
    """A scene package under a fresh name in ``root`` (on sys.path); returns its name."""
    name = f"pkg_{uuid.uuid4().hex[:8]}"
    for rel, text in {"__init__.py": "", **files}.items():
        path = root / name / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    for folder in [root / name, *(p for p in (root / name).rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    return name


PARAMS = '''\
"""Demo: a summary line.

More text that is not the summary.
"""
from scenes.engine.registry import SceneParams


class Params(SceneParams):
    n: int = 1
'''


@pytest.fixture
def pkg_root(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_builtin_scenes_follow_the_rule():
    specs = discover()
    assert {sid.split(".")[0] for sid in specs} >= {"showcase", "mamba"}  # every topic's scenes are found
    for sid, spec in specs.items():
        topic, name = sid.split(".")
        assert (
            spec.module == f"scenes.{topic}.{name}" and spec.params_module == f"scenes.{topic}.params.{name}"
        )
        assert spec.params.__name__ == "Params" and spec.params.__module__ == spec.params_module
        assert spec.summary and "\n" not in spec.summary
    assert not [sid for sid in specs if sid.split(".")[1].startswith("_")]  # params/_toy.py is a helper


def test_a_package_is_found_by_the_rule_alone(pkg_root):
    name = write_package(
        pkg_root,
        {
            "demo/params/one.py": PARAMS,
            "demo/params/_shared.py": "X = 1\n",  # a helper, not a scene
            "demo/one.py": "# the scene module (not imported by discovery)\nraise ImportError('not now')\n",
            "demo/helpers.py": "Y = 2\n",  # a topic may hold other modules
            "empty_topic/notes.py": "",
        },
    )
    specs = discover((name,))
    assert list(specs) == ["demo.one"]
    spec = specs["demo.one"]
    assert (spec.module, spec.params_module) == (f"{name}.demo.one", f"{name}.demo.params.one")
    assert spec.summary == "Demo: a summary line."
    assert spec.params().n == 1


@pytest.mark.parametrize(
    ("files", "fragments"),
    [
        (
            {"t/params/a.py": PARAMS},
            ["t/params/a.py defines the parameters of scene 't.a'", "t/a.py does not exist"],
        ),
        (
            {"t/params/__init__.py": "", "t/b.py": '@register("t.b")\nclass B: ...\n'},
            ["t/b.py registers scene 't.b'", "no params module", "t/params/b.py"],
        ),
        (
            {"t/params/c.py": '"""C."""\nX = 1\n', "t/c.py": ""},
            ["t/params/c.py", "class Params(SceneParams)"],
        ),
        (
            {
                "t/params/d.py": "from scenes.engine.registry import SceneParams\n"
                "class Params(SceneParams): pass\n",
                "t/d.py": "",
            },
            ["t/params/d.py", "docstring", "summary"],
        ),
        (
            {"t/params/e.py": '"""E."""\nfrom scenes.mamba.params.two_views import Params\n', "t/e.py": ""},
            ["t/params/e.py", "must be defined in this module", "scenes.mamba.params.two_views"],
        ),
    ],
    ids=["params-without-scene", "scene-without-params", "no-Params", "no-summary", "borrowed-Params"],
)
def test_breaking_the_rule_is_an_error_naming_the_file(pkg_root, files, fragments):
    name = write_package(pkg_root, files)
    with pytest.raises(DiscoveryError) as info:
        discover((name,))
    for fragment in fragments:
        assert fragment in str(info.value)


def test_one_id_from_two_packages_is_an_error_naming_both(pkg_root):
    a = write_package(pkg_root, {"t/params/x.py": PARAMS, "t/x.py": ""})
    b = write_package(pkg_root, {"t/params/x.py": PARAMS, "t/x.py": ""})
    with pytest.raises(
        DiscoveryError, match=rf"'t.x' defined twice: by {a}.t.params.x and by {b}.t.params.x"
    ):
        discover((a, b))


def scene_class(module: str, params_module: str | None, name: str = "S") -> type:
    attrs: dict = {"__module__": module}
    if params_module is not None:
        attrs["Params"] = type("Params", (SceneParams,), {"__module__": params_module})
    return type(name, (), attrs)


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(registry, "_CLASSES", {})


def test_register_checks_the_id_against_the_file(clean_registry):
    with pytest.raises(
        RegistrationError, match=r"registered as 'demo.two', but a scene in pkg.demo.one is 'demo.one'"
    ):
        register("demo.two")(scene_class("pkg.demo.one", "pkg.demo.params.one"))


def test_register_checks_where_params_come_from(clean_registry):
    with pytest.raises(
        RegistrationError, match=r"takes its Params from pkg.demo.other; .* pkg.demo.params.one"
    ):
        register("demo.one")(scene_class("pkg.demo.one", "pkg.demo.other"))
    with pytest.raises(RegistrationError, match=r"set `Params = ` the Params class of pkg.demo.params.one"):
        register("demo.one")(scene_class("pkg.demo.one", None))


def test_register_rejects_one_id_from_two_modules(clean_registry):
    first = register("demo.one")(scene_class("pkg_a.demo.one", "pkg_a.demo.params.one"))
    assert registry.scene_class("demo.one") is first and first.scene_id == "demo.one"
    register("demo.one")(scene_class("pkg_a.demo.one", "pkg_a.demo.params.one"))  # a re-import: fine
    with pytest.raises(
        RegistrationError, match=r"'demo.one' registered twice: by pkg_a.demo.one and by pkg_b.demo.one"
    ):
        register("demo.one")(scene_class("pkg_b.demo.one", "pkg_b.demo.params.one"))


def test_the_scene_class_is_imported_only_on_demand():
    code = (
        "import sys\nfrom scenes.engine.discovery import discover\nspecs = discover()\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('manim', 'manim_slides')], 'manim'\n"
        "assert not [s.module for s in specs.values() if s.module in sys.modules], 'a scene module'\n"
        "cls = specs['mamba.two_views'].cls\n"
        "assert cls.Params is specs['mamba.two_views'].params and 'manim' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "args", [["--list"], ["--schema"], ["storyboards/mamba.yaml", "--dry-run", "-o", "{tmp}"]]
)
def test_listing_validating_and_planning_do_not_import_manim(args, tmp_path):
    cmd = [sys.executable, "-X", "importtime", "render.py", *(a.format(tmp=tmp_path) for a in args)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "scenes.engine.discovery" in imported  # the measurement itself worked
    assert not {m for m in imported if m.split(".")[0] in ("manim", "manim_slides", "cairo", "av")}
    assert not list(tmp_path.iterdir())  # a dry run writes nothing
