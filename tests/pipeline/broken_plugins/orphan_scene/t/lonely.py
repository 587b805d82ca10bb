"""A scene module without its params module (t/params/lonely.py). Discovery must report it without
importing it (it would register a scene whose Params lives nowhere the rule looks)."""

from scenes.engine.registry import register


@register("t.lonely")
class Lonely:
    pass
