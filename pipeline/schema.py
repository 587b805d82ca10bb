"""JSON Schema of the storyboard format, generated from the models (scene ids and their params included)."""

from __future__ import annotations

from typing import Any

from pipeline.storyboard import EntryModel, StoryboardModel
from scenes.registry import REGISTRY


def storyboard_schema() -> dict[str, Any]:
    schema = StoryboardModel.model_json_schema()
    defs = schema.setdefault("$defs", {})
    variants = []
    for scene_id, spec in sorted(REGISTRY.items()):
        p = spec.params.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(p.pop("$defs", {}))
        def_name = f"{spec.cls.__name__}Params"  # nested models are all called `Params`
        defs[def_name] = p
        variants.append(
            {
                "type": "object",
                "description": spec.summary,
                "properties": {
                    "scene": {"const": scene_id},
                    "params": {"$ref": f"#/$defs/{def_name}"},
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
