"""The committed JSON Schema is what the models generate; it accepts good and rejects bad storyboards; its
definitions are named by scene id, so models that share a class name cannot collide."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from pipeline.inputs.plugins import load_scenes
from pipeline.inputs.schema import storyboard_schema
from scenes.engine.discovery import discover

ROOT = Path(__file__).resolve().parents[3]
BAD = Path(__file__).parents[1] / "bad"
FIXTURES = "tests.pipeline.fixture_scenes"


@pytest.fixture(scope="module")
def schema() -> dict:
    return storyboard_schema()


@pytest.fixture(scope="module")
def fixture_schema() -> dict:
    registry, problems = load_scenes([FIXTURES], ROOT)
    assert not problems
    return storyboard_schema(registry)


def test_committed_schema_is_current(schema):
    committed = json.loads((ROOT / "storyboards" / "schema.json").read_text())
    assert committed == schema, "regenerate with: make schema"


def test_schema_lists_every_scene_under_its_own_id(schema):
    variants = schema["properties"]["scenes"]["items"]["oneOf"]
    ids = [v["properties"]["scene"]["const"] for v in variants]
    assert sorted(ids) == sorted(discover())
    for v in variants:
        scene_id = v["properties"]["scene"]["const"]
        assert v["properties"]["params"]["$ref"] == f"#/$defs/{scene_id}"
        assert schema["$defs"][scene_id]["additionalProperties"] is False


def test_models_with_the_same_class_name_do_not_collide(fixture_schema):
    registry, _ = load_scenes([FIXTURES], ROOT)
    assert {spec.params.__name__ for spec in registry.values()} == {"Params"}  # every one is `Params`
    for scene_id, spec in registry.items():
        assert set(fixture_schema["$defs"][scene_id]["properties"]) == set(spec.params.model_fields), scene_id


@pytest.mark.parametrize("board", sorted((ROOT / "storyboards").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_storyboards_validate(schema, board):
    jsonschema.validate(yaml.safe_load(board.read_text()), schema)


def test_a_good_fixture_storyboard_validates(fixture_schema):
    good = {
        "title": "t",
        "plugins": [FIXTURES],
        "scenes": [{"scene": "fixture.steps", "params": {"delta": 0.2}}, {"scene": "fixture.tokens"}],
    }
    jsonschema.validate(good, fixture_schema)


@pytest.mark.parametrize(
    "name",
    [
        "unknown_scene.yaml",
        "unknown_param.yaml",
        "out_of_bounds.yaml",
        "wrong_type.yaml",
        "bad_locale.yaml",
        "top_level_typo.yaml",
        "empty_scenes.yaml",
        "plugin_bad_name.yaml",
    ],
)
def test_schema_rejects_bad_storyboards(fixture_schema, name):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load((BAD / name).read_text()), fixture_schema)
