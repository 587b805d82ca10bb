"""The committed JSON Schema is what the models generate; it accepts good and rejects bad storyboards."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from scenes.discovery import discover
from pipeline.schema import storyboard_schema

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).parent / "bad"


@pytest.fixture(scope="module")
def schema() -> dict:
    return storyboard_schema()


def test_committed_schema_is_current(schema):
    committed = json.loads((ROOT / "storyboards" / "schema.json").read_text())
    assert committed == schema, "regenerate with: make schema"


def test_schema_lists_every_scene_and_its_params(schema):
    variants = schema["properties"]["scenes"]["items"]["oneOf"]
    ids = {v["properties"]["scene"]["const"] for v in variants}
    assert ids == set(discover())
    for v in variants:
        ref = v["properties"]["params"]["$ref"].rsplit("/", 1)[-1]
        assert schema["$defs"][ref]["additionalProperties"] is False


@pytest.mark.parametrize("board", sorted((ROOT / "storyboards").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_storyboards_validate(schema, board):
    jsonschema.validate(yaml.safe_load(board.read_text()), schema)


@pytest.mark.parametrize(
    "name",
    [
        "unknown_scene.yaml",
        "unknown_param.yaml",
        "out_of_bounds.yaml",
        "bad_locale.yaml",
        "top_level_typo.yaml",
        "empty_scenes.yaml",
    ],
)
def test_schema_rejects_bad_storyboards(schema, name):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load((BAD / name).read_text()), schema)
