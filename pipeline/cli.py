"""The command line behind ``render.py``."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import ROOT
from pipeline.inputs.quality import QUALITIES

if TYPE_CHECKING:  # imported where needed: --help and --list stay quick
    from pipeline.inputs.storyboard import Storyboard
    from pipeline.planning.plan import Settings
    from scenes.engine.discovery import SceneSpec

MAX_TIMEOUT = 7 * 24 * 3600  # --timeout's bound: beyond any render, and within what a timer can wait

EPILOG = """\
examples:
  python render.py storyboards/mamba.yaml                 render the lecture (cached clips are reused)
  python render.py storyboards/mamba.yaml -q low --jobs 2 a quick 480p draft on two cores
  python render.py storyboards/mamba.yaml --locale zh     the same lecture in Chinese (output/mamba-zh/)
  python render.py storyboards/mamba.yaml --only 3 6      re-render entries 3 and 6 (1-based) or scene ids
  python render.py storyboards/mamba.yaml --dry-run       show what would render and what is cached
  python render.py storyboards/mamba.yaml --preview       also write pause frames and a contact sheet
  python render.py storyboards/mamba.yaml --publish       also write <name>/publish/: the upload bundle
  python render.py storyboards/mamba.yaml --slides html,pdf,pptx   the deck also as PDF and PowerPoint
  python render.py storyboards/mamba.yaml --slides        also export a manim-slides HTML deck (with
                                                          the narration as speaker notes)
  python render.py storyboards/mamba.yaml --voice none    a silent video (default voice: espeak)
  python render.py storyboards/mamba.yaml --script        write the recording script (script.en.md …)
  python render.py storyboards/mamba.yaml --voice recorded:takes/   use your own recordings
  python render.py --list                                 list the registered scenes and their parameters
  python render.py my_course/lecture.yaml --list          ... including the storyboard's plugins' scenes
  python render.py --schema > storyboards/schema.json     the JSON Schema of the storyboard format

outputs (under --output, default output/):
  <name>/<name>.mp4     the stitched video, with one chapter marker per entry (and the voice track)
  <name>/<name>.srt     captions (also .vtt), timed from the narrated beats
  <name>/clips/         one clip per entry;  <name>/manifest.json  keys, durations, chapter start times
  <name>/logs/          one log per rendered entry (the summary names the log of a failure)
  .cache/               content-addressed clips; a clip is re-rendered only when its scene's code, its
                        params, the quality, the locale or the tool versions change
  <name>/last_run.json  what this run rendered, reused or failed (written even when a step fails)
  <name>/publish/       with --publish: <name>.mp4 encoded for upload, chapters.txt, captions,
                        thumbnail.png, description.md (title, chapters, the papers the code cites)

your own scenes: list their packages under `plugins:` in the storyboard (imported relative to its
folder); see docs/writing-scenes.md.

exit status: 0 ok, 1 an entry, the stitching, the preview or the slide export failed, or the disk filled
             up (one line each; details in <name>/logs/), 2 invalid storyboard or arguments, an output
             folder that cannot be written, or another run using the same output folder (nothing is
             written), 130 / 143 stopped by Ctrl-C / SIGTERM (workers stopped, nothing half-written kept).
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="render.py",
        description="Render a storyboard of Manim scenes into one video (and optionally a slide deck). "
        "Each entry renders in its own worker process; unchanged entries come from the cache.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "storyboard",
        nargs="*",
        type=Path,
        help="storyboard YAML file(s) (see storyboards/), or a course file listing storyboards; several "
        "render from one job queue, each into its own folder",
    )
    p.add_argument(
        "-q",
        "--quality",
        choices=list(QUALITIES),
        help="override the storyboard's quality: "
        + ", ".join(f"{q} {s.height}p{s.fps}" for q, s in QUALITIES.items()),
    )
    p.add_argument("-l", "--locale", choices=["en", "zh"], help="override the storyboard's locale")
    p.add_argument(
        "--only",
        nargs="+",
        metavar="ID_OR_INDEX",
        help="render only these entries: 1-based indices or scene ids",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes rendering at once (default: number of cores, %(default)s)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop an entry's worker after this long; it fails, the others go on (default by quality: "
        + ", ".join(f"{q} {s.timeout / 60:g} min" for q, s in QUALITIES.items())
        + f"; at most {MAX_TIMEOUT} s, a week)",
    )
    p.add_argument(
        "--voice",
        metavar="VOICE",
        help="who speaks the narration: espeak (default; offline, en and zh), none (silent), "
        "piper:MODEL.onnx (a Piper voice file you have), recorded:DIR (your recordings, one file per beat id "
        "of --script); overrides the storyboard's voice:",
    )
    p.add_argument(
        "--script",
        action="store_true",
        help="write the recording script <name>/script.{en,zh}.{md,json} (each beat's id, text and target "
        "length) and exit; nothing is rendered",
    )
    p.add_argument("-n", "--dry-run", action="store_true", help="print the plan; render and write nothing")
    p.add_argument(
        "--slides",
        nargs="?",
        const="html",
        metavar="FORMATS",
        help="also export the deck to <name>/slides/: html (default; reveal.js, works offline), pdf, pptx, "
        "or several, e.g. --slides html,pdf,pptx",
    )
    p.add_argument(
        "--preview",
        action="store_true",
        help="also save the last frame of every slide as PNG and a contact sheet of the whole video",
    )
    p.add_argument(
        "--publish",
        action="store_true",
        help="also write <name>/publish/: the video encoded as platforms recommend for upload, chapters.txt, "
        "the captions, thumbnail.png and description.md",
    )
    p.add_argument(
        "--no-cache", action="store_true", help="re-render every entry even if a cached clip exists"
    )
    p.add_argument(
        "-o", "--output", type=Path, default=ROOT / "output", help="output folder (default: output/)"
    )
    p.add_argument("--cache-dir", type=Path, help="clip cache folder (default: <output>/.cache/clips)")
    p.add_argument(
        "--executor",
        default="local",
        metavar="local|dask://HOST:PORT",
        help="where entries render: local worker processes (default; --jobs at a time) or the workers of "
        "a Dask scheduler (started from a checkout of this repository with its venv)",
    )
    p.add_argument(
        "--transfer",
        choices=["auto", "files", "bytes"],
        default="auto",
        help="with --executor dask: how clips come back — files (the workers write into --cache-dir on "
        "shared storage), bytes (sent back with their sha256, checked, published here), auto (files if every "
        "worker can read a probe file in --cache-dir, else bytes; default)",
    )
    p.add_argument(
        "--dask-resources",
        metavar="NAME=N[,…]",
        help="with --executor dask: resources each render task needs, e.g. render=1 (workers started with "
        "--resources render=1 then take one render at a time)",
    )
    p.add_argument(
        "--slides-dir",
        type=Path,
        default=ROOT / "slides",
        help="manim-slides working folder (default: slides/)",
    )
    p.add_argument("--schema", action="store_true", help="print the storyboard JSON Schema and exit")
    p.add_argument(
        "--list",
        action="store_true",
        help="list the registered scenes (and a given storyboard's plugin scenes) and exit",
    )
    return p


def _select(only: list[str], board: Storyboard) -> tuple[set[int] | None, list[str]]:
    if not only:
        return None, []
    from pipeline.inputs.storyboard import did_you_mean

    chosen, errors = set(), []
    ids = {e.scene for e in board.entries}
    for token in only:
        if token.isdigit() and 1 <= int(token) <= len(board.entries):
            chosen.add(int(token) - 1)
        elif token in ids:
            chosen.update(e.index for e in board.entries if e.scene == token)
        else:
            hint = did_you_mean(token, sorted(ids))
            hint = f"; {hint}" if hint else ""
            errors.append(
                f"--only {token!r}: not an entry index 1..{len(board.entries)} or a scene id "
                f"of this storyboard{hint}"
            )
    return chosen, errors


class _PluginError(Exception):
    pass


def _registry(storyboard: Path | None) -> dict[str, SceneSpec]:
    """The built-in scenes, plus the plugins of ``storyboard`` if one is given (its entries unchecked)."""
    from pipeline.inputs.plugins import load_scenes
    from pipeline.inputs.storyboard import Problem
    from pipeline.inputs.yamlsource import YamlDocument, YamlSyntaxError, load_yaml

    if storyboard is None:
        return load_scenes([], Path("."))[0]
    try:
        doc: YamlDocument = load_yaml(storyboard)
    except (OSError, YamlSyntaxError) as e:
        raise _PluginError(f"{storyboard}: {e}") from None
    raw = doc.data.get("plugins") if isinstance(doc.data, dict) else None
    plugins = [p for p in raw if isinstance(p, str)] if isinstance(raw, list) else []
    registry, problems = load_scenes(plugins, storyboard.parent)
    if problems:  # file:line: plugins[i]: what went wrong, as for any storyboard problem
        where = [Problem(storyboard, doc.line_of(("plugins", i)), ("plugins", i), msg) for i, msg in problems]
        raise _PluginError("; ".join(map(str, where)))
    return registry


class CommandError(Exception):
    """A problem with the command or its inputs: printed as one line, exit status 2."""


class _Exit(Exception):
    """Stop with this status (what it means has been printed already)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_intermixed_args(argv)  # storyboards may come before and after the options
    args.storyboards = list(args.storyboard)
    args.storyboard = args.storyboards[0] if args.storyboards else None
    try:
        if args.schema or args.list:
            return _describe(args)
        slide_formats = _slide_formats(args)
        if args.storyboard is None:
            parser.print_usage(sys.stderr)
            raise CommandError("a storyboard file is required (or --schema / --list)")
        _check_numbers(args)
        boards = _boards(args)
        only, errors = _select(args.only or [], boards[0]) if len(boards) == 1 else (None, [])
        if errors:
            for msg in errors:
                _error(msg)
            return 2
        output = args.output.resolve()
        if args.script:
            from pipeline.publishing.script import write_script

            for board in boards:
                for path in write_script(board, output / board.name):
                    print(path)
            return 0
        return _render(args, boards, output, only, slide_formats)
    except CommandError as e:
        _error(str(e))
        return 2
    except _Exit as e:
        return e.code


def _describe(args: argparse.Namespace) -> int:
    """``--schema`` (the storyboard JSON schema) or ``--list`` (every scene and its parameters)."""
    from scenes.engine.discovery import DiscoveryError

    try:
        registry = _registry(args.storyboard)
    except (DiscoveryError, _PluginError) as e:
        raise CommandError(str(e)) from None
    if args.schema:
        from pipeline.inputs.schema import storyboard_schema

        print(json.dumps(storyboard_schema(registry), indent=2, ensure_ascii=False))
    else:
        for scene_id, spec in registry.items():
            fields = ", ".join(f"{k}={v.default!r}" for k, v in spec.params.model_fields.items())
            print(f"{scene_id:<28} {spec.summary}\n{'':<28} params: {fields}")
    return 0


def _slide_formats(args: argparse.Namespace) -> tuple[str, ...]:
    if args.slides is not None and args.storyboard is None and args.slides.endswith((".yaml", ".yml")):
        args.storyboard, args.slides = Path(args.slides), "html"  # `--slides lecture.yaml`: no formats given
        args.storyboards = [args.storyboard]
    if args.slides is None:
        return ()
    from pipeline.publishing.slides import parse_formats

    try:
        return parse_formats(args.slides)
    except ValueError as e:
        raise CommandError(f"--slides: {e}") from None


def _check_numbers(args: argparse.Namespace) -> None:
    if args.jobs < 1:
        raise CommandError("--jobs must be at least 1")
    if args.timeout is not None and not 0 < args.timeout <= MAX_TIMEOUT:  # nan, inf: not in the range either
        raise CommandError(
            f"--timeout {args.timeout:g}: expected a number of seconds above 0 and at most {MAX_TIMEOUT} "
            "(a week)"
        )


def _boards(args: argparse.Namespace) -> list[Storyboard]:
    """The storyboards of the command line (a course's expanded in place), validated, in their locale."""
    from pipeline.inputs.course import is_course, parse_course
    from pipeline.inputs.storyboard import StoryboardError, parse_storyboard
    from scenes.engine.discovery import DiscoveryError

    files: list[Path] = []
    for path in args.storyboards:
        if path.is_file() and is_course(path):
            try:
                files += parse_course(path).storyboards
            except StoryboardError as e:
                raise _Exit(_problems(path, e)) from None
        else:
            files.append(path)
    if len(files) > 1 and args.only:
        raise CommandError("--only picks entries of one storyboard, not of a course")
    boards: list[Storyboard] = []
    for path in files:
        try:
            board = parse_storyboard(path)
        except DiscoveryError as e:  # our own scene package breaks the convention: not the storyboard's fault
            raise CommandError(str(e)) from None
        except StoryboardError as e:
            raise _Exit(_problems(path, e)) from None
        if args.locale and args.locale != board.locale:
            # another language is another video: output/<name>-zh/<name>-zh.mp4, beside the original
            board = dataclasses.replace(board.in_locale(args.locale), name=f"{board.name}-{args.locale}")
        boards.append(board)
    names: dict[str, Path] = {}
    for board in boards:  # two storyboards writing one output folder would overwrite each other
        if board.name in names:
            raise CommandError(
                f"{board.path} and {names[board.name]} both write output/{board.name}; "
                "give one of them another name:"
            )
        names[board.name] = board.path
    return boards


def _settings(
    args: argparse.Namespace, boards: list[Storyboard], output: Path
) -> list[tuple[Storyboard, Settings]]:
    """Each storyboard with its settings; the voice resolved here, once (a missing engine, model or folder
    is one line, exit 2)."""
    from pipeline.planning.plan import Settings, resolve_voice
    from pipeline.voice.spec import VoiceError

    runs: list[tuple[Storyboard, Settings]] = []
    for board in boards:
        locale = args.locale or board.locale
        try:
            voice = resolve_voice(board, args.voice, locale)
        except VoiceError as e:
            raise CommandError(str(e)) from None
        settings = Settings(
            output_dir=output,
            cache_dir=(args.cache_dir or output / ".cache" / "clips").resolve(),
            slides_dir=args.slides_dir.resolve(),
            quality=args.quality or board.quality,
            locale=locale,
            timeout=args.timeout,
            voice=voice,
        )
        runs.append((board, settings))
    return runs


def _render(
    args: argparse.Namespace,
    boards: list[Storyboard],
    output: Path,
    only: set[int] | None,
    slide_formats: tuple[str, ...],
) -> int:
    from common.fsutil import FolderBusy, folder_lock, writable_dir
    from pipeline.execution.executors import ExecutorError, make_executor
    from pipeline.run import RunOptions, run_storyboards

    runs = _settings(args, boards, output)
    cache_dir = runs[0][1].cache_dir
    if not args.dry_run:  # a read-only mount, a regular file: one line now, not a traceback mid-run
        for folder in (output, cache_dir):
            problem = writable_dir(folder)
            if problem:
                raise CommandError(problem)
    try:  # an unreachable scheduler: one line, exit 2, before anything is written
        executor = None if args.dry_run else make_executor(args.executor, args.jobs, cache_dir, args.transfer,
                                                             args.dask_resources)  # fmt: skip
    except ExecutorError as e:
        raise CommandError(str(e)) from None
    opts = RunOptions(
        only=only,
        jobs=args.jobs,
        dry_run=args.dry_run,
        slides=bool(slide_formats),
        slide_formats=slide_formats,
        preview=args.preview,
        publish=args.publish,
        use_cache=not args.no_cache,
        executor=executor,
    )
    try:  # one run per output folder: two would render everything twice into the same files
        with contextlib.ExitStack() as locks:
            if not opts.dry_run:
                for board in boards:
                    locks.enter_context(folder_lock(output / board.name))
            return run_storyboards(runs, opts)
    except FolderBusy as e:
        raise CommandError(f"{e}; wait for it to end, or render elsewhere with -o") from None
    finally:
        if executor is not None:
            executor.close()


def _error(message: str) -> None:
    """``render.py: error: MESSAGE`` on stderr, on one line whatever a path or a value in it holds."""
    from pipeline.inputs.yamlsource import one_line

    print(f"render.py: error: {one_line(message)}", file=sys.stderr)


def _problems(path: Path, e: Exception) -> int:
    """Print a storyboard's or course's problems (file:line each); the exit status 2."""
    from pipeline.inputs.yamlsource import one_line

    problems = getattr(e, "problems", [])
    n = len(problems)
    print(one_line(f"{path}: {n} problem{'s' if n != 1 else ''}; nothing was rendered"), file=sys.stderr)
    for p in problems:
        print(f"  {one_line(str(p))}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """The command line. Ctrl-C and SIGTERM (what CI runners and ``timeout`` send) stop every worker at once
    and end with one line and status 128 + the signal (130, 143), as a shell reports a killed command; the
    machine failing outside what a run reports (the disk filling up) ends with one line and status 1."""
    from pipeline.execution.processes import Interrupted, stop_all

    def interrupt(signum: int, _frame: object) -> None:
        raise Interrupted(signum)

    main_thread = threading.current_thread() is threading.main_thread()  # signals reach only that one
    previous = signal.signal(signal.SIGTERM, interrupt) if main_thread else None
    # a path that is not UTF-8 (`-o $'\xff'`) is printed with an escape, as on stderr, not a traceback
    stdout, errors = sys.stdout, getattr(sys.stdout, "errors", None)
    if errors == "strict" and isinstance(stdout, io.TextIOWrapper):
        stdout.reconfigure(errors="backslashreplace")
    try:
        return _main(argv)
    except (KeyboardInterrupt, Interrupted) as e:
        signum = e.signum if isinstance(e, Interrupted) else signal.SIGINT
        stop_all()  # run_jobs has stopped its workers already; this covers an interrupt just before
        name = signal.Signals(signum).name
        print(f"render.py: interrupted ({name}): workers stopped, nothing half-written kept", file=sys.stderr)
        return 128 + signum
    except OSError as e:
        where = f": {e.filename}" if e.filename else ""
        _error(f"{e.strerror or e}{where}")
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if errors == "strict" and isinstance(stdout, io.TextIOWrapper):
            with contextlib.suppress(ValueError):  # closed meanwhile
                stdout.reconfigure(errors="strict")
