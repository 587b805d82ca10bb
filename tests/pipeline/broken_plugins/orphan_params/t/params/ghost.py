"""A params module whose scene module t/ghost.py does not exist."""

from scenes.engine.registry import SceneParams


class Params(SceneParams):
    pass
