"""Safe YAML loading that remembers the line of every key, so errors can point at file:line.

The input is bounded before it can cost much: the file's size, its nesting depth, its number of values and
what its aliases expand to (an "alias bomb" of 404 bytes, 9 levels of 9 aliases, would expand to 9⁹ values).
Each bound is checked on the parser's event stream (libyaml's, iterative: no recursion however deep the
input) before anything is built, and each breach is one :class:`YamlSyntaxError` with the line it happened at.

So is whatever else cannot become plain data: a path that is not a regular file (a FIFO would wait forever
for a writer, ``/dev/zero`` never end), a character YAML does not allow, a key that is a sequence or mapping,
a value its tag cannot read (``2020-13-45``, ``!!int x``), half of an escaped UTF-16 surrogate pair. Every
message is one line (:func:`one_line`).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

# A lecture storyboard is a few KB (the Mamba lecture: 2 KB, 60 values); these leave room for a hundredfold.
MAX_BYTES = 1 << 20
MAX_DEPTH = 32  # mappings and sequences inside one another (a storyboard needs 5)
MAX_VALUES = 20_000  # scalars, mappings and sequences, counted again wherever an alias repeats them
MAX_ALIASES = 1_000
# libyaml when PyYAML was built with it: the pre-check then costs ~10 ms for the largest allowed file
_EventLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    """Parse ``path`` with the safe loader (no Python tags) and record the line of every node.

    Raises :class:`YamlSyntaxError` for unreadable, oversized, non-UTF-8 or over-nested input as well as
    for invalid YAML, so a caller reports every one of them as one problem with a line.
    """
    text = _read_text(path)
    _check_bounds(path, text)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        raise _syntax_error(path, text, e) from e
    lines: dict[Path_, int] = {}
    if node is None:
        return YamlDocument(path, None, {(): 1})
    try:
        data = _Builder(lines).build(node, ())
    except DuplicateKey as e:
        raise YamlSyntaxError(path, e.line, one_line(f"duplicate key {'.'.join(map(str, e.loc))}")) from e
    except Refused as e:
        raise YamlSyntaxError(path, e.line, str(e)) from e
    except yaml.YAMLError as e:  # e.g. a !!python tag: the safe constructor refuses it
        raise _syntax_error(path, text, e) from e
    return YamlDocument(path, data, lines)


_HIDDEN = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)


def one_line(text: str) -> str:
    """``text`` with each line break, control, bidi or zero-width character escaped as Python writes it
    (``\\n``, ``\\x1b``, ``\\u202e``): a message of one line that shows what is there and cannot reorder
    or recolour the terminal. Other characters (any script, spaces) stay as they are."""
    return _HIDDEN.sub(lambda m: repr(m.group())[1:-1], text)


def _syntax_error(path: Path, text: str, e: yaml.YAMLError) -> YamlSyntaxError:
    """PyYAML's error as one line at its line: its ``problem`` (the rest names a "<unicode string>")."""
    if isinstance(e, yaml.reader.ReaderError):  # a character YAML does not allow, e.g. a control character
        line = text.count("\n", 0, e.position) + 1
        code = e.character if isinstance(e.character, int) else ord(str(e.character)[:1] or "\0")
        return YamlSyntaxError(path, line, f"the character U+{code:04X} is not allowed in YAML")
    mark = getattr(e, "problem_mark", None)
    return YamlSyntaxError(path, mark.line + 1 if mark else None, one_line(str(getattr(e, "problem", e))))


def _read_text(path: Path) -> str:
    """The file as UTF-8 text, at most MAX_BYTES of it; only a regular file (a FIFO would block forever,
    ``/dev/zero`` never end)."""
    try:
        # O_NONBLOCK: opening a FIFO returns at once (and is then refused) instead of waiting for a writer
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(fd, "rb") as f:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "a device"
                raise YamlSyntaxError(path, None, f"not a regular file but {kind}")
            raw = f.read(MAX_BYTES + 1)
            size = os.fstat(fd).st_size
    except OSError as e:
        raise YamlSyntaxError(path, None, f"cannot read the file: {e.strerror or e}") from None
    if len(raw) > MAX_BYTES:
        raise YamlSyntaxError(
            path, None, f"the file is {size / 2**20:.1f} MB; a storyboard may be at most {MAX_BYTES >> 20} MB"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise YamlSyntaxError(
            path,
            line,
            f"not UTF-8 text: byte 0x{raw[e.start]:02x} at column {column} (save the file as UTF-8; "
            "a Latin-1 or Windows-1252 file shows this)",
        ) from None


def _check_bounds(path: Path, text: str) -> None:
    """Walk the parser's events once: depth, values and aliases within bounds. A syntax error is left for
    the composer to report (its messages are the ones users see for every other mistake)."""
    depth = values = aliases = 0
    try:
        for event in yaml.parse(text, Loader=_EventLoader):
            line = event.start_mark.line + 1 if event.start_mark else None
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlSyntaxError(path, line, f"nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise YamlSyntaxError(path, line, f"more than {MAX_ALIASES} aliases (*name)")
            if isinstance(event, yaml.NodeEvent):
                values += 1
                if values > MAX_VALUES:
                    raise YamlSyntaxError(path, line, f"more than {MAX_VALUES} values")
    except yaml.YAMLError:
        return


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class _Builder:
    """Plain data from a node tree, with the line of every key; aliases are expanded (they are the same
    node objects), so the values built are counted against MAX_VALUES and their depth against MAX_DEPTH."""

    def __init__(self, lines: dict[Path_, int]) -> None:
        self.lines = lines
        self.values = 0

    def build(self, node: yaml.Node, loc: Path_, depth: int = 0) -> Any:
        line = node.start_mark.line + 1
        self.values += 1
        if self.values > MAX_VALUES:
            raise Refused(line, f"aliases expand to more than {MAX_VALUES} values")
        if depth > MAX_DEPTH:
            raise Refused(line, f"aliases nest more than {MAX_DEPTH} levels deep")
        self.lines.setdefault(loc, line)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            # a tagged collection (e.g. !!python/object/apply) must never be walked as if it were plain data
            raise yaml.constructor.ConstructorError(
                None, None, f"tag {node.tag!r} is not allowed", node.start_mark
            )
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):  # `? [a, b]` or `{[1]: x}`: no name to key by
                    kind = "mapping" if isinstance(key_node, yaml.MappingNode) else "sequence"
                    # an alias's node starts where its anchor is: this mapping's line is nearer the use
                    line = max(key_node.start_mark.line, node.start_mark.line) + 1
                    raise Refused(line, f"a key must be a name, not a {kind}")
                key = _scalar(key_node)
                if key in out:
                    raise DuplicateKey(key_node.start_mark.line + 1, (*loc, key))
                self.lines[(*loc, key)] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, (*loc, key), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
        return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    try:
        value = yaml.SafeLoader("").construct_object(node, deep=True)
        return _whole_characters(value, node) if isinstance(value, str) else value
    except yaml.YAMLError:
        raise
    except Exception as e:  # a value its tag's constructor cannot read: `2020-13-45`, `!!int x`, `!!bool x`
        kind = str(node.tag).rpartition(":")[2]
        text = str(node.value)
        shown = repr(text if len(text) <= 40 else text[:37] + "...")
        why = f": {' '.join(str(e).split())}" if kind == "timestamp" and isinstance(e, ValueError) else ""
        message = f"{shown} is not a valid {kind}{why} (quote it to keep it as text)"
        raise yaml.constructor.ConstructorError(None, None, message, node.start_mark) from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _whole_characters(text: str, node: yaml.Node) -> str:
    """``text`` with each escaped UTF-16 surrogate pair (``"\\ud83d\\ude00"``, as JSON writes 😀) made the
    one character it encodes, as YAML's ``\\u`` escapes cannot; a lone half of a pair is refused (it is
    no character: no file name, caption or tool can take it)."""
    if not _SURROGATE.search(text):
        return text
    whole = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    lone = _SURROGATE.search(whole)  # what no pair took
    if lone:
        message = f"\\u{ord(lone.group()):04x} is half a character (a lone UTF-16 surrogate)"
        raise yaml.constructor.ConstructorError(None, None, message, node.start_mark)
    return whole


class Refused(Exception):
    """What the builder refuses (too many values, too deep, a key that is not a plain value), at a line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


class DuplicateKey(Exception):
    def __init__(self, line: int, loc: Path_) -> None:
        super().__init__(f"duplicate key {loc[-1]!r}")
        self.line, self.loc = line, loc
