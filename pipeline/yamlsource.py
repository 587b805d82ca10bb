"""Safe YAML loading that remembers the line of every key, so errors can point at file:line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    path: Path
    data: Any
    lines: dict[Path_, int]  # key path → 1-based line of the key (or of the item, for list entries)

    def line_of(self, loc: Path_) -> int | None:
        """The line of the deepest prefix of ``loc`` that exists in the document."""
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.lines:
                return self.lines[loc[:n]]
        return None


class YamlSyntaxError(Exception):
    def __init__(self, path: Path, line: int | None, message: str) -> None:
        super().__init__(message)
        self.path, self.line, self.message = path, line, message


def load_yaml(path: Path) -> YamlDocument:
    """Parse ``path`` with the safe loader (no Python tags) and record the line of every node."""
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise YamlSyntaxError(path, mark.line + 1 if mark else None, str(getattr(e, "problem", e))) from e
    lines: dict[Path_, int] = {}
    if node is None:
        return YamlDocument(path, None, {(): 1})
    try:
        data = _construct(node, (), lines)
    except DuplicateKey as e:
        raise YamlSyntaxError(path, e.line, f"duplicate key {'.'.join(map(str, e.loc))}") from e
    except yaml.YAMLError as e:  # e.g. a !!python tag: the safe constructor refuses it
        mark = getattr(e, "problem_mark", None)
        raise YamlSyntaxError(path, mark.line + 1 if mark else None, str(getattr(e, "problem", e))) from e
    return YamlDocument(path, data, lines)


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _construct(node: yaml.Node, loc: Path_, lines: dict[Path_, int]) -> Any:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
        # a tagged collection (e.g. !!python/object/apply) must never be walked as if it were plain data
        raise yaml.constructor.ConstructorError(
            None, None, f"tag {node.tag!r} is not allowed", node.start_mark
        )
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if key in out:
                raise DuplicateKey(key_node.start_mark.line + 1, (*loc, key))
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, (*loc, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*loc, i), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_object(node, deep=True)


class DuplicateKey(Exception):
    def __init__(self, line: int, loc: Path_) -> None:
        super().__init__(f"duplicate key {loc[-1]!r}")
        self.line, self.loc = line, loc
