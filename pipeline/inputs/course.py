"""A course: one file listing storyboards that render from one job queue (``render.py course.yaml``).

```yaml
course:
  title: Sequence models
  storyboards: [mamba.yaml, transformer.yaml]   # relative to this file's folder
```

Validated like a storyboard: every problem at once, each with file:line, the key path and a did-you-mean
(for a misspelt key, or a storyboard file that does not exist but has a near namesake in its folder).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.inputs.storyboard import Problem, StoryboardError, did_you_mean, problems_from
from pipeline.inputs.yamlsource import YamlDocument, YamlSyntaxError, load_yaml

MAX_STORYBOARDS = 100


class CourseModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, description="The course's title.")
    storyboards: list[str] = Field(
        min_length=1, max_length=MAX_STORYBOARDS, description="Storyboard files, relative to this file."
    )


class CourseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    course: CourseModel


@dataclass(frozen=True)
class Course:
    path: Path
    title: str
    storyboards: tuple[Path, ...]


def is_course(path: Path) -> bool:
    """Whether ``path`` is a YAML mapping with a top-level ``course`` key (a storyboard has none)."""
    try:
        data = load_yaml(path).data
    except (OSError, YamlSyntaxError):
        return False
    return isinstance(data, dict) and "course" in data


def parse_course(path: Path) -> Course:
    """Load and validate a course file; raise StoryboardError listing every problem."""
    try:
        doc: YamlDocument = load_yaml(path)
    except YamlSyntaxError as e:
        raise StoryboardError([Problem(path, e.line, (), f"invalid YAML: {e.message}")]) from None
    except OSError as e:
        raise StoryboardError([Problem(path, None, (), f"cannot read: {e.strerror or e}")]) from None

    def fields(loc: tuple[str | int, ...]) -> list[str]:
        model = CourseModel if loc[:1] == ("course",) else CourseFile
        return list(model.model_fields)

    try:
        model = CourseFile.model_validate(doc.data)
    except ValidationError as err:
        found = problems_from(err, doc, (), fields)
        raise StoryboardError(sorted(found, key=lambda p: p.line or 0)) from None  # in file order
    problems: list[Problem] = []
    seen: dict[Path, int] = {}
    boards: list[Path] = []
    for i, name in enumerate(model.course.storyboards):
        loc: tuple[str | int, ...] = ("course", "storyboards", i)
        try:
            board = (path.parent / name).resolve()
        except (OSError, RuntimeError, ValueError) as e:  # a link loop (RuntimeError), a NUL (ValueError)
            why = "a link loop" if isinstance(e, RuntimeError) else getattr(e, "strerror", None) or str(e)
            problems.append(Problem(path, doc.line_of(loc), loc, f"cannot follow {name!r}: {why}"))
            continue
        if board in seen:
            problems.append(
                Problem(path, doc.line_of(loc), loc, f"{name!r} is listed twice (also [{seen[board]}])")
            )
        elif board.exists() and not board.is_file():  # a folder, a FIFO, a device: never read
            problems.append(Problem(path, doc.line_of(loc), loc, f"{name!r} is not a regular file"))
        elif not board.is_file():
            nearby = sorted(p.name for p in board.parent.glob("*.y*ml")) if board.parent.is_dir() else []
            hint = did_you_mean(board.name, nearby)
            problems.append(Problem(path, doc.line_of(loc), loc, f"no such storyboard file {name!r}", hint))
        seen.setdefault(board, i)
        boards.append(board)
    if problems:
        raise StoryboardError(problems)
    return Course(path, model.course.title, tuple(boards))
