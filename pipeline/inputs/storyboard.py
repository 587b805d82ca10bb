"""The storyboard format: a validated, typed description of one video.

Validation collects every problem before reporting (pydantic does the collecting); each problem carries
the file, the line, the key path, what was expected and, for misspelt names, a did-you-mean.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from common.suggest import closest
from pipeline.inputs.plugins import load_scenes
from pipeline.inputs.quality import Quality
from pipeline.inputs.yamlsource import YamlDocument, YamlSyntaxError, load_yaml
from scenes.engine.discovery import SceneSpec
from scenes.engine.registry import SceneParams

Locale = Literal["en", "zh"]
Loc = tuple[str | int, ...]  # a key path: ("scenes", 2, "params", "delta")
PLUGIN_NAME = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"  # a dotted Python name: my_course.scenes
PluginName = Annotated[str, Field(pattern=PLUGIN_NAME)]
ChapterTitle = Annotated[str, Field(min_length=1, max_length=120)]
MAX_ENTRIES = 500  # a lecture has tens: more is a mistake or an attack (the file size: yamlsource)


class EntryModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scene: str = Field(description="A registered scene id (see `render.py --list`).")
    params: dict[str, Any] = Field(default_factory=dict, description="The scene's typed parameters.")
    chapter: ChapterTitle | dict[Locale, ChapterTitle] | None = Field(
        None,
        description="Chapter title in the video (default: the scene's summary), or one per locale: "
        "{en: ..., zh: ...} (a locale without its own takes the storyboard locale's).",
    )
    narration: bool | dict[str, str] | None = Field(
        None,
        description="false silences this entry; a mapping {beat: text} replaces a beat's narration and "
        "{'beat+': text} adds a sentence after it (in the storyboard's locale; the beat's {fields} work).",
    )
    chunks: int = Field(
        1,
        ge=1,
        le=32,
        description="Split this entry's render into this many ranges of animations, rendered by separate "
        "workers and joined frame-exactly (for an entry much longer than the others).",
    )


class ThumbnailModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entry: int | str = Field(
        1, description="The entry whose frame is used: its 1-based index or its scene id."
    )
    at: float | None = Field(None, ge=0, description="Seconds into that entry (default: its middle).")


class StoryboardModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, description="Title of the video.")
    name: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        max_length=64,
        description="Output folder name; defaults to the file name.",
    )
    locale: Locale = "en"
    quality: Quality = "high"
    voice: str | dict[Locale, str] | None = Field(
        None,
        description="Who speaks the narration: piper (the bundled English voice; the default in English), "
        "espeak (the default in Chinese), none, piper:MODEL.onnx or recorded:DIR (relative paths from this "
        "file's folder); or one per locale, e.g. {en: piper, zh: espeak}; --voice overrides it.",
    )
    narration: bool = Field(True, description="false: no narration at all (no voice, captions or notes).")
    plugins: list[PluginName] = Field(
        default_factory=list,
        description="Packages of your own scenes (e.g. my_course.scenes), imported relative to this file's "
        "folder; laid out like scenes/: <package>/<topic>/<name>.py + <package>/<topic>/params/<name>.py.",
    )
    thumbnail: ThumbnailModel | None = Field(
        None, description="The frame under the title of the --publish thumbnail: {entry: 3, at: 12.5}."
    )
    scenes: list[EntryModel] = Field(min_length=1, max_length=MAX_ENTRIES)


@dataclass(frozen=True)
class Entry:
    index: int
    scene: str
    params: SceneParams
    chapter: str
    spec: SceneSpec
    narration: bool | dict[str, str] | None = None  # the entry's overrides, as written
    chapters: tuple[tuple[str, str], ...] = ()  # (locale, title) as written, when given per locale
    chunks: int = 1  # rendered as this many animation ranges on separate workers (pipeline.execution.chunks)


@dataclass(frozen=True)
class Storyboard:
    path: Path
    title: str
    name: str
    locale: str
    quality: Quality
    entries: tuple[Entry, ...]
    plugins: tuple[str, ...] = ()  # imported with ``path.parent`` on the import path
    voice: str | dict[str, str] | None = None  # as written (paths relative to ``path.parent``)
    narration: bool = True
    thumbnail: Thumbnail | None = None

    def in_locale(self, locale: str) -> Storyboard:
        """This storyboard with each entry's chapter title in ``locale``, where the entry gives one."""
        return replace(
            self,
            entries=tuple(replace(e, chapter=dict(e.chapters).get(locale, e.chapter)) for e in self.entries),
        )


@dataclass(frozen=True)
class Thumbnail:
    entry: int  # 0-based
    at: float | None  # seconds into the entry; None: its middle


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int | None
    loc: tuple[str | int, ...]
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        key = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in self.loc).replace(".[", "[")
        s = f"{where}: {key or '<document>'}: {self.message}"
        return s + (f" ({self.hint})" if self.hint else "")


class StoryboardError(Exception):
    """Raised with every problem of a storyboard; the CLI prints them and exits with status 2."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


def did_you_mean(word: str, choices: list[str]) -> str | None:
    # one rule for every suggestion in the project (its cutoff and why: common/suggest.py)
    close = closest(str(word), choices)
    return f"did you mean {close!r}?" if close else None


def problems_from(
    err: ValidationError, doc: YamlDocument, prefix: Loc, fields_for: Callable[[Loc], list[str]]
) -> list[Problem]:
    out: list[Problem] = []
    for e in err.errors():
        loc = (*prefix, *e["loc"])
        hint = None
        if e["type"] == "extra_forbidden":
            fields = fields_for(e["loc"])
            msg = f"unknown key {e['loc'][-1]!r}; expected one of: {', '.join(fields)}"
            hint = did_you_mean(str(e["loc"][-1]), fields)
        elif e["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = f"{e['msg']} (got {e['input']!r})" if not isinstance(e["input"], dict | list) else e["msg"]
        out.append(Problem(doc.path, doc.line_of(loc), loc, msg, hint))
    return out


def parse_storyboard(path: Path) -> Storyboard:
    """Load and validate ``path``; raise :class:`StoryboardError` listing every problem."""
    path = Path(path)
    if not path.is_file():
        raise StoryboardError([Problem(path, None, (), "no such storyboard file")])
    try:
        doc = load_yaml(path)
    except YamlSyntaxError as e:
        raise StoryboardError([Problem(path, e.line, (), f"invalid YAML: {e.message}")]) from None
    if not isinstance(doc.data, dict):
        raise StoryboardError(
            [Problem(path, 1, (), "expected a mapping with title, locale, quality and scenes")]
        )
    # scene ids and their parameter models (no Manim): ours, and the plugins' that import
    raw_plugins = doc.data.get("plugins")
    plugins = [p for p in raw_plugins if isinstance(p, str)] if isinstance(raw_plugins, list) else []
    plugins = [p for p in plugins if re.match(PLUGIN_NAME, p)]  # the model reports the others
    registry, plugin_errors = load_scenes(plugins, path.parent)
    problems = [Problem(path, doc.line_of(("plugins", i)), ("plugins", i), msg) for i, msg in plugin_errors]
    entry_problems, params = _check_entries(doc, doc.data.get("scenes"), registry)
    problems += _check_voice(doc) + _check_thumbnail(doc)
    try:
        board = StoryboardModel.model_validate(doc.data)
    except ValidationError as err:
        # the scene entries that parsed were checked too, so one run reports everything
        problems = problems_from(err, doc, (), _board_fields) + problems + entry_problems
        raise StoryboardError(_dedupe(problems)) from None
    if problems or entry_problems:
        raise StoryboardError(problems + entry_problems)
    entries = tuple(
        Entry(
            i,
            e.scene,
            params[i],
            _chapter(e.chapter, board.locale) or registry[e.scene].summary or e.scene,
            registry[e.scene],
            e.narration,
            tuple(e.chapter.items()) if isinstance(e.chapter, dict) else (),
            e.chunks,
        )
        for i, e in enumerate(board.scenes)
    )
    name = board.name or folder_name(path)
    return Storyboard(
        path,
        board.title,
        name,
        board.locale,
        board.quality,
        entries,
        tuple(board.plugins),
        {str(k): v for k, v in board.voice.items()} if isinstance(board.voice, dict) else board.voice,
        board.narration,
        _thumbnail(board.thumbnail, board.scenes),
    )


def folder_name(path: Path) -> str:
    """The output folder of a storyboard without ``name:``: its file name, lower-cased, with each run of
    characters other than letters, digits, ``_`` and ``-`` made one ``-``. Letters of any script are kept
    (``课程一.yaml`` → ``课程一``; file systems take them), so files named apart get folders named apart.
    A name with nothing left (``!!.yaml``) or too long gets a digest of the file name, so it stays unique."""
    stem = unicodedata.normalize("NFC", path.stem)
    name = re.sub(r"[^\w-]+", "-", stem.lower()).strip("-_")
    digest = hashlib.sha256(stem.encode("utf-8", "surrogateescape")).hexdigest()[:8]  # any file name
    if not name:
        return f"storyboard-{digest}"
    return name if len(name) <= 64 else f"{name[:55].rstrip('-_')}-{digest}"


def _chapter(value: str | Mapping[Locale, str] | None, locale: Locale) -> str | None:
    """The chapter title for ``locale``: a per-locale title falls back to any one given."""
    if isinstance(value, Mapping):
        return value.get(locale) or next(iter(value.values()), None)
    return value


def _check_thumbnail(doc: YamlDocument) -> list[Problem]:
    """``thumbnail.entry`` names an entry of this storyboard (its form is the model's to check)."""
    raw, scenes = doc.data.get("thumbnail"), doc.data.get("scenes")
    if not isinstance(raw, dict) or not isinstance(scenes, list):
        return []
    entry, loc = raw.get("entry", 1), ("thumbnail", "entry")
    ids = [s.get("scene") for s in scenes if isinstance(s, dict)]
    if isinstance(entry, int) and not isinstance(entry, bool) and not 1 <= entry <= len(scenes):
        return [Problem(doc.path, doc.line_of(loc), loc, f"no entry {entry}; expected 1..{len(scenes)}")]
    if isinstance(entry, str) and entry not in ids:
        known = sorted({i for i in ids if isinstance(i, str)})
        hint = did_you_mean(entry, known) or f"its scenes: {', '.join(known)}"
        return [Problem(doc.path, doc.line_of(loc), loc, f"no entry shows scene {entry!r}", hint)]
    return []


def _thumbnail(model: ThumbnailModel | None, scenes: list[EntryModel]) -> Thumbnail | None:
    if model is None:
        return None
    if isinstance(model.entry, str):  # the first entry showing that scene
        return Thumbnail(next(i for i, e in enumerate(scenes) if e.scene == model.entry), model.at)
    return Thumbnail(model.entry - 1, model.at)


def _check_voice(doc: YamlDocument) -> list[Problem]:
    """The ``voice:`` value's form (espeak, none, piper:MODEL, recorded:DIR); its files are checked later."""
    from pipeline.voice.spec import VoiceError, parse

    raw = doc.data.get("voice")
    given: dict[Loc, object] = (
        {("voice",): raw}
        if isinstance(raw, str)
        else {("voice", str(k)): v for k, v in raw.items()}
        if isinstance(raw, dict)
        else {}
    )
    problems = []
    for loc, text in given.items():
        if not isinstance(text, str):
            continue  # the model reports the wrong type
        try:
            parse(text)
        except VoiceError as e:
            problems.append(Problem(doc.path, doc.line_of(loc), loc, str(e)))
    return problems


def _board_fields(loc: Loc) -> list[str]:
    return list(StoryboardModel.model_fields if len(loc) == 1 else EntryModel.model_fields)


def _check_entries(
    doc: YamlDocument, raw_entries: Any, registry: dict[str, SceneSpec]
) -> tuple[list[Problem], dict[int, SceneParams]]:
    """Scene ids and each entry's params against the scene's own model: the problems, and the validated
    params by entry index (validated once, here)."""
    problems: list[Problem] = []
    validated: dict[int, SceneParams] = {}
    if not isinstance(raw_entries, list):
        return problems, validated
    ids = sorted(registry)
    for i, raw in enumerate(raw_entries):
        if not isinstance(raw, dict):
            continue
        base = ("scenes", i)
        scene_id = raw.get("scene")
        if not isinstance(scene_id, str):
            continue
        if scene_id not in registry:
            loc = (*base, "scene")
            problems.append(
                Problem(
                    doc.path,
                    doc.line_of(loc),
                    loc,
                    f"unknown scene id {scene_id!r}",
                    did_you_mean(scene_id, ids) or f"known ids: {', '.join(ids)}",
                )
            )
            continue
        params = raw.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict):
            continue
        model = registry[scene_id].params

        def fields(_loc: Loc, m: type[SceneParams] = model) -> list[str]:
            return list(m.model_fields)

        try:
            validated[i] = model.model_validate(params)
        except ValidationError as err:
            problems += problems_from(err, doc, (*base, "params"), fields)
        overrides = raw.get("narration")
        if isinstance(overrides, dict):
            problems += _check_beats(doc, (*base, "narration"), overrides, registry[scene_id])
    return problems, validated


def _check_beats(doc: YamlDocument, loc: Loc, overrides: dict[str, Any], spec: SceneSpec) -> list[Problem]:
    """Every beat an entry's narration names exists in the scene (``beat`` or ``beat+``), and every text is
    one the narration language allows (``scenes.engine.narration.check_text``: no format spec, no control
    characters, no typed number, not too long) naming only the ``{fields}`` of the beat's own template."""
    table = spec.narration()
    beats = sorted({b for texts in table.values() for b in texts})
    locale = doc.data.get("locale", "en")
    own = table.get(locale, {}) if isinstance(locale, str) and locale in table else {}
    problems = []
    for key, text in overrides.items():
        beat = str(key).removesuffix("+")
        where = (*loc, str(key))
        if beat not in beats:
            known = f"its beats: {', '.join(beats)}" if beats else "it has no narrated beats"
            problems.append(
                Problem(
                    doc.path,
                    doc.line_of(where),
                    where,
                    f"scene {spec.scene_id!r} has no beat {beat!r}",
                    did_you_mean(beat, beats) or known,
                )
            )
        elif isinstance(text, str):  # another type is the model's to report
            problems += _check_override(doc, where, text, beat, own.get(beat) or _any(table, beat), overrides)
    return problems


def _any(table: dict[str, dict[str, str]], beat: str) -> str:
    return next((texts[beat] for texts in table.values() if beat in texts), "")


def _check_override(
    doc: YamlDocument, where: Loc, text: str, beat: str, template: str, overrides: dict[str, Any]
) -> list[Problem]:
    """One override of ``beat`` (whose own text is ``template``): its form, then its fields, then the length
    of what the beat will say."""
    from scenes.engine.narration import MAX_SPEECH_CHARS, TemplateError, check_text, template_fields

    def problem(message: str, hint: str | None = None) -> list[Problem]:
        return [Problem(doc.path, doc.line_of(where), where, message, hint)]

    try:
        check_text(text)
    except TemplateError as e:
        return problem(f"narration of beat {beat!r}: {e}")
    try:
        allowed = sorted(template_fields(template))
    except TemplateError as e:  # a plugin's scene: its own text is the problem
        return problem(f"the scene's own narration of beat {beat!r} is not a narration template: {e}")
    unknown = sorted(template_fields(text) - set(allowed))
    if unknown:
        known = f"its fields: {', '.join(allowed)}" if allowed else "it has no fields"
        hint = did_you_mean(unknown[0], allowed) or known
        return problem(f"beat {beat!r} has no field {{{unknown[0]}}}", hint)
    if str(where[-1]).endswith("+"):  # what the beat says: its text (or the replacing one) and this one
        replaced = overrides.get(beat)
        length = len(replaced if isinstance(replaced, str) else template) + 1 + len(text)
        if length > MAX_SPEECH_CHARS:
            return problem(
                f"beat {beat!r} would say {length:,} characters with this sentence; a beat says at most "
                f"{MAX_SPEECH_CHARS:,}"
            )
    return []


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if (p.loc, p.message) not in seen:
            seen.add((p.loc, p.message))
            out.append(p)
    return out
