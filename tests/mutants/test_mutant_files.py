"""Every tests/mutants/*.yaml is usable by scripts/mutants.py: the exact keys, a ``find`` occurring once
in its file (so an edit elsewhere cannot silently disarm a mutant), a replacement that differs and still
parses, test paths that exist, unique ids. Also the checker itself, on broken entries."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("mutants_script", ROOT / "scripts" / "mutants.py")
assert _spec and _spec.loader
mutants = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = mutants  # dataclasses look their module up while the class is built
_spec.loader.exec_module(mutants)

FILES = sorted((ROOT / "tests" / "mutants").glob("*.yaml"))


def test_there_are_mutant_files() -> None:
    assert ROOT / "tests" / "mutants" / "lib.yaml" in FILES


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_mutant_file_is_well_formed(path: Path) -> None:
    found = mutants.load_mutants([path])  # raises MutantFileError listing every problem
    assert found, f"{path.name} holds no mutants"
    for m in found:
        assert (ROOT / m.file).read_text(encoding="utf-8").count(m.find) == 1, m.id


def test_ids_are_unique_across_files() -> None:
    ids = [m.id for m in mutants.load_mutants(FILES)]
    assert len(ids) == len(set(ids))


def test_lib_mutants_cover_every_topic() -> None:
    files = {m.file for m in mutants.load_mutants([ROOT / "tests" / "mutants" / "lib.yaml"])}
    topics = {f.split("/")[1] for f in files}
    assert topics >= {"core", "mamba", "transformer", "training", "nets", "arithmetic"}
    assert len(mutants.load_mutants([ROOT / "tests" / "mutants" / "lib.yaml"])) >= 20


def test_the_checker_rejects_broken_entries(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("x = 1\ny = 1\n")
    (tmp_path / "test_mod.py").write_text("")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        textwrap.dedent(
            """\
            - {id: twice, file: mod.py, find: "= 1", replace: "= 2", tests: [test_mod.py], why: w}
            - {id: absent, file: mod.py, find: "z = 3", replace: "z = 4", tests: [test_mod.py], why: w}
            - {id: breaks, file: mod.py, find: "x = 1", replace: "x = (", tests: [test_mod.py], why: w}
            - {id: same, file: mod.py, find: "x = 1", replace: "x = 1", tests: [test_mod.py], why: w}
            - {id: notest, file: mod.py, find: "x = 1", replace: "x = 2", tests: [nope.py], why: w}
            - {id: nowhy, file: mod.py, find: "x = 1", replace: "x = 2", tests: [test_mod.py], why: ""}
            - {id: nowhy, file: mod.py, find: "y = 1", replace: "y = 2", tests: [test_mod.py], why: w}
            - {id: extra, file: mod.py, find: "x = 1", replace: "x = 2", tests: [test_mod.py], why: w, k: 1}
            - {id: nofile, file: gone.py, find: "x", replace: "y", tests: [test_mod.py], why: w}
            """
        )
    )
    with pytest.raises(mutants.MutantFileError) as e:
        mutants.load_mutants([bad], root=tmp_path)
    msg = str(e.value)
    for needle in (
        "(twice): find occurs 2 times",
        "(absent): find occurs 0 times",
        "(breaks): the mutated mod.py does not parse",
        "(same): replace equals find",
        "(notest): test path nope.py does not exist",
        "why is empty",
        "id 'nowhy' already used",
        "(extra): expected exactly the keys",
        "(nofile): file gone.py does not exist",
    ):
        assert needle in msg, needle
    good = tmp_path / "good.yaml"
    good.write_text('- {id: ok, file: mod.py, find: "x = 1", replace: "x = 2", tests: [test_mod.py], why: w}')
    assert [m.id for m in mutants.load_mutants([good], root=tmp_path)] == ["ok"]
