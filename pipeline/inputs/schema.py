"""JSON Schema of the storyboard format, generated from the models (scene ids and their params included)."""

from __future__ import annotations

from typing import Any

from pipeline.inputs.storyboard import EntryModel, StoryboardModel
from scenes.engine.discovery import SceneSpec, discover


def storyboard_schema(registry: dict[str, SceneSpec] | None = None) -> dict[str, Any]:
    """The schema for storyboards using the scenes of ``registry`` (default: the built-in ones)."""
    schema = StoryboardModel.model_json_schema()
    defs = schema.setdefault("$defs", {})
    variants = []
    for scene_id, spec in (registry if registry is not None else discover()).items():
        # every model is called `Params`: the scene id names its definition (and prefixes any nested one)
        p = spec.params.model_json_schema(ref_template=f"#/$defs/{scene_id}.{{model}}")
        defs.update({f"{scene_id}.{name}": d for name, d in p.pop("$defs", {}).items()})
        defs[scene_id] = p
        variants.append(
            {
                "type": "object",
                "description": spec.summary,
                "properties": {
                    "scene": {"const": scene_id},
                    "params": {"$ref": f"#/$defs/{scene_id}"},
                    "chapter": EntryModel.model_json_schema()["properties"]["chapter"],
                },
                "required": ["scene"],
                "additionalProperties": False,
            }
        )
    defs.pop("EntryModel", None)
    schema["properties"]["scenes"] = {"type": "array", "minItems": 1, "items": {"oneOf": variants}}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Storyboard"
    return schema
