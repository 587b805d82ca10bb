"""Fuzzing validation (issue 24): random storyboards (random YAML: keys of every type, nesting, anchors and
aliases, tags, unicode with control and bidi characters, huge numbers, very long strings), random narration
overrides, random command lines and storyboard paths that are not plain files (a folder, a FIFO, a link
loop, a device, an unreadable or huge file, a course listing them) thrown at ``render.py FILE --dry-run``.

Whatever comes in, the run ends — within a time limit — with exit status 0, 1 or 2 and no traceback; an
error is one line (``render.py: error: …``, after argparse's usage for a bad option) or a storyboard's
problems, one line each under their count.

``make test`` runs a few dozen examples of each test; ``make fuzz`` runs many more (``FUZZ_EXAMPLES``).
The in-process runs call :func:`pipeline.cli.main` with stdout and stderr captured as a terminal would
take them (stdout strict UTF-8); a few cases also run ``render.py`` as a subprocess.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from pipeline.cli import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
TIME_LIMIT = 15.0  # seconds for one example (a cold first run imports the scenes; a hang never ends)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
PLUGIN = "tests.pipeline.fixture_scenes"
SCENES = ["fixture.shapes", "fixture.spoken", "fixture.tokens", "fixture.steps", "mamba.discretization"]
FIELDS = ["slides", "seconds", "squares", "sentence", "d_inner", "d_state", "seed", "delta", "steps",
          "delta_small", "delta_large"]  # fmt: skip
BEATS = ["intro", "count", "outro", "quiet", "intro+", "count+", "outro+", "nobeat"]


# --- random YAML, as text ----------------------------------------------------------------------------

# characters a hostile or unlucky file holds: controls, bidi overrides, zero-width, NUL, surrogates (only
# reachable through escapes), markup of the console and of format strings, quotes, YAML indicators
SPECIAL = "\x00\x07\x1b\t\r\u0085\u2028\u202e\u2066\u200b\ufeff\ud800\udcff[/]{}%:#&*!|>'\"\\-?,@`~"
chars = st.characters(codec=None, exclude_categories=()) | st.sampled_from(SPECIAL)
texts = st.text(chars, max_size=30)


def double_quoted(s: str) -> str:
    return json.dumps(s)  # JSON's escapes are YAML's: every character, surrogates included, as \uXXXX


def raw_quoted(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # the characters themselves in the file (controls refused)


TRICKY_SCALARS = [
    "~", "null", "yes", "No", "on", "0x1F", "0o17", "0b101", "1_000", "1e400", "-1e400", ".inf", "-.inf",
    ".nan", "2020-01-01", "2001-12-14t21:59:43.10-05:00", "12:30:00", "=", "<<", "''", '""', "-", "!!str 1",
    "!!int x", "!!float 1", "!!binary aGk=", "!!null ''", "!!bool maybe", "!!set {a}", "!!omap [a: 1]",
    "!!python/object:os.system x", "!!python/name:os.system ''", "!custom x", "!!map {}", "!!seq []",
    "9" * 400, "-" + "9" * 400, "0." + "0" * 300 + "1", "1e-400", "'" + "x" * 5000 + "'",
]  # fmt: skip
scalars = st.one_of(
    st.sampled_from(TRICKY_SCALARS),
    texts.map(double_quoted),
    texts.map(raw_quoted),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.booleans().map(str),
    st.integers(min_value=1_000, max_value=300_000).map(lambda n: '"' + "é" * n + '"'),  # very long
)
ANCHORS = ["a", "b", "c"]


def _collections(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pairs = st.lists(st.tuples(children, children), max_size=4)
    return st.one_of(
        st.lists(children, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        pairs.map(lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"),
        pairs.map(lambda kv: "{" + ", ".join(f"? {k} : {v}" for k, v in kv) + "}"),  # any node as a key
        st.tuples(st.sampled_from(ANCHORS), children).map(lambda t: f"&{t[0]} {t[1]}"),
    )


values = st.recursive(scalars | st.sampled_from(ANCHORS).map(lambda a: f"*{a}"), _collections, max_leaves=12)


def sometimes(plausible: st.SearchStrategy[str], wild: bool, weight: int = 3) -> st.SearchStrategy[str]:
    """``plausible``; in a wild example, any value (a wrong type, an alias…) once in ``weight + 1``."""
    return (
        st.integers(0, weight).flatmap(lambda i: values if i == weight else plausible) if wild else plausible
    )


def maybe(draw: st.DrawFn, weight: int = 1) -> bool:
    """True about ``weight`` times in ``weight + 1`` (and in hypothesis's simplest example)."""
    return draw(st.integers(0, weight)) < weight


PARAM_VALUES = st.one_of(
    st.integers(-3, 50).map(str),
    st.floats(-1, 12, allow_nan=False).map(repr),
    st.sampled_from(["hello world", "a b c", "'x'", "1e400", "-0.0", ".nan", "true", "~"]),
)
titles = st.text(chars, min_size=1, max_size=30).map(double_quoted)
chapters = st.dictionaries(st.sampled_from(["en", "zh", "fr"]), titles, min_size=1, max_size=3).map(
    lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"
)


SCENE_FIELDS: dict[str, dict[str, st.SearchStrategy[str]]] = {
    "fixture.shapes": {"slides": st.integers(1, 4).map(str), "seconds": st.floats(0.1, 5).map(repr)},
    "fixture.spoken": {"squares": st.integers(1, 6).map(str), "seconds": st.floats(0.1, 5).map(repr)},
    "fixture.tokens": {
        "sentence": st.sampled_from(["hello world", "a b c d"]),
        "seed": st.integers(0, 9).map(str),
    },
    "fixture.steps": {"delta": st.floats(0.1, 1.5).map(repr), "steps": st.integers(4, 40).map(str)},
    "mamba.discretization": {},
}


@st.composite
def entries(draw: st.DrawFn, wild: bool) -> str:
    """One scene entry as a flow mapping: plausible keys and values (in range, mostly), in a wild example
    sometimes anything."""
    scene = draw(st.sampled_from(SCENES))
    items = []
    if not wild or maybe(draw, 8):
        items.append(f"scene: {draw(sometimes(st.just(double_quoted(scene)), wild, 6))}")
    if maybe(draw):
        fields = SCENE_FIELDS[scene]
        pairs = []
        for field in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)) if wild else fields:
            if maybe(draw):
                value = fields[field] if field in fields and maybe(draw, 4) else PARAM_VALUES
                pairs.append((field, draw(sometimes(value, wild))))
        params = "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
        items.append(f"params: {draw(sometimes(st.just(params), wild))}")
    if maybe(draw):
        items.append(f"chapter: {draw(sometimes(titles | chapters, wild))}")
    if scene == "fixture.spoken" and maybe(draw) or wild and not maybe(draw, 3):
        items.append(f"narration: {draw(overrides(wild))}")
    if not maybe(draw, 4):
        items.append(f"chunks: {draw(sometimes(st.integers(0, 4).map(str), wild))}")
    if wild and not maybe(draw, 3):
        items.append(f"{draw(values)}: {draw(values)}")  # an unknown key: any node
    return "{" + ", ".join(draw(st.permutations(items))) + "}"


# narration overrides: fields, format specs, attribute and index lookups, lone braces, controls, numbers
OVERRIDE_PIECES = [
    "{n}", "{n:0>1000000000}", "{n.__class__.__mro__}", "{n[0]}", "{0}", "{}", "{", "}", "{{", "}}",
    "{unknown}", "{n!r}", "42 squares", "\x00", "\u202e", "\x1b[31m", "-f /etc/passwd", "%s", "$(id)",
]  # fmt: skip
override_texts = st.lists(st.sampled_from(OVERRIDE_PIECES) | texts, max_size=6).map("".join) | texts


@st.composite
def overrides(draw: st.DrawFn, wild: bool) -> str:
    if wild and not maybe(draw, 3):
        return draw(values)  # false, true, a list, anything
    beats = sometimes(st.sampled_from(BEATS), wild, 6)
    pairs = draw(st.lists(st.tuples(beats, override_texts.map(double_quoted)), max_size=4))
    return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"


PLUGINS = [f"[{PLUGIN}, {PLUGIN}]", f"[{PLUGIN}, tests.pipeline.no_such_plugin]", "[]", "x", "[1]",
           "['../x']", "[a-b]", "{a: 1}", "~"]  # fmt: skip
VOICES = "none espeak piper:missing.onnx recorded:takes recorded: piper: x 'recorded:[/]'".split()
path_texts = texts


@st.composite
def storyboards(draw: st.DrawFn) -> str:
    """A storyboard's text: a block mapping of its keys with plausible values (random text in them); one
    example in three is wild: any key may be missing or hold any value, random keys, not a mapping at all.
    Never a random ``plugins`` (a random name could import any module on the path)."""
    wild = draw(st.sampled_from([False, False, True]))
    lines = []
    if not wild or maybe(draw, 8):
        lines.append(f"title: {draw(sometimes(titles, wild, 6))}")
    if not maybe(draw, 3):
        names = st.sampled_from(["fuzz", "fuzz-2", "a b", "UPPER", "x" * 65]) | texts.map(double_quoted)
        lines.append(f"name: {draw(sometimes(names, wild))}")
    if maybe(draw):
        locale = st.sampled_from(["en", "zh"]) if maybe(draw, 6) else st.just("fr")
        lines.append(f"locale: {draw(sometimes(locale, wild))}")
    if maybe(draw):
        lines.append(f"quality: {draw(sometimes(st.sampled_from(['low', 'high', 'ultra']), wild))}")
    if not maybe(draw, 2):
        voices = st.sampled_from(VOICES) | path_texts.map(lambda t: double_quoted("recorded:" + t))
        lines.append(f"voice: {draw(sometimes(voices, wild))}")
    if not maybe(draw, 4):
        lines.append(f"narration: {draw(sometimes(st.sampled_from(['true', 'false']), wild))}")
    if not maybe(draw, 4):
        entry = sometimes(st.integers(0, 3).map(str) | st.sampled_from(SCENES), wild)
        pair = st.tuples(entry, sometimes(PARAM_VALUES, wild)).map(lambda t: f"{{entry: {t[0]}, at: {t[1]}}}")
        lines.append(f"thumbnail: {draw(sometimes(pair, wild))}")
    if not wild or maybe(draw, 8):
        scenes = st.lists(entries(wild), min_size=1, max_size=3).map(
            lambda es: "".join(f"\n  - {e}" for e in es)
        )
        lines.append(f"scenes: {draw(sometimes(scenes, wild, 8))}")
    if not wild or maybe(draw, 8):
        plugins = f"[{PLUGIN}]" if maybe(draw, 8) else draw(st.sampled_from(PLUGINS))
        lines.append(f"plugins: {plugins}")
    lines = list(draw(st.permutations(lines)))
    if wild and not maybe(draw, 2):  # a random key: any node, `? ` before a complex one
        lines.insert(draw(st.integers(0, len(lines))), f"? {draw(values)}\n: {draw(values)}")
    if wild and not maybe(draw, 6):
        lines.insert(0, draw(values))  # not a mapping at all, or broken YAML
    return "\n".join(lines) + "\n"


# --- running render.py in-process, and what its output must look like ---------------------------------


class Hang(BaseException):
    """The time limit of one example passed (a BaseException: no `except Exception` swallows it)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[list[bool]]:
    fired: list[bool] = []

    def alarm(_signum: int, _frame: object) -> None:
        fired.append(True)
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run(argv: list[str]) -> tuple[int, str, str]:
    """``render.py ARGV`` in this process: (status, stdout, stderr). stdout is strict UTF-8, as a terminal
    in a UTF-8 locale is; stderr escapes what it cannot encode, as Python's does."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace", write_through=True)
    with time_limit(TIME_LIMIT) as fired, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as e:  # argparse: usage and one error line, status 2
            status = e.code if isinstance(e.code, int) else 1
    assert not fired, f"render.py {argv} did not end within {TIME_LIMIT} s"
    return status, _text(out), _text(err)


def _text(stream: io.TextIOWrapper) -> str:
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue().decode("utf-8", errors="backslashreplace")


PROBLEMS = re.compile(r"^(?P<file>.*): (?P<n>\d+) problems?; nothing was rendered$")


def check(status: int, stdout: str, stderr: str, what: object) -> None:
    """Exit status 0, 1 or 2; no traceback; errors one line each."""
    if currently_in_test_context():  # `pytest --hypothesis-show-statistics`: how often each was reached
        event(f"status {status}")
    where = f"\n--- input ---\n{what!r}\n--- stdout ---\n{stdout[-3000:]}\n--- stderr ---\n{stderr[-3000:]}"
    assert status in (0, 1, 2), f"exit status {status}{where}"
    assert "Traceback" not in stderr and "Traceback" not in stdout, f"a traceback{where}"
    lines = stderr.splitlines()
    if status == 0:
        assert stderr == "", f"status 0 with something on stderr{where}"
        return
    assert lines, f"status {status} without a word{where}"
    header = next((i for i, line in enumerate(lines) if PROBLEMS.match(line)), None)
    if header is not None:  # a storyboard's (or a course's) problems: the count, then one line each
        n = int(PROBLEMS.match(lines[header])["n"])  # type: ignore[index]
        assert header == 0 and len(lines) == 1 + n, f"{n} problems, not one line each{where}"
        assert all(line.startswith("  ") for line in lines[1:]), f"a problem over several lines{where}"
        return
    errors = [line for line in lines if line.startswith("render.py: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], f"not one error line{where}"
    if len(lines) > 1:  # argparse prints its usage first
        assert lines[0].startswith("usage: render.py"), f"more than one line{where}"


# --- the tests ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    """One folder for every example: a storyboard's plugins put its folder on sys.path, once."""
    path = Path(tempfile.mkdtemp(prefix="fuzz-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@FUZZ
@given(text=storyboards())
def test_random_storyboards_end_with_0_1_or_2_and_one_line_per_error(folder, text):
    board = folder / "board.yaml"
    board.write_text(text, encoding="utf-8", errors="surrogatepass")
    check(*run([str(board), "--dry-run", "-o", str(folder / "out")]), text)


FLAGS = (
    "--timeout --jobs --only --slides --locale -q --voice --executor --transfer --dask-resources -o".split()
)
OPTION_VALUES = ["inf", "nan", "-inf", "1e400", "0", "-1", "1e10", "0x10", "", "[/]", "\u202e", "9" * 400]


@FUZZ
@given(
    text=storyboards(),
    options=st.lists(
        st.tuples(
            st.sampled_from(FLAGS),
            st.sampled_from(OPTION_VALUES) | texts.filter(lambda t: "\x00" not in t),
        ),
        max_size=3,
    ),
)
def test_random_options_end_with_0_1_or_2_and_one_line_per_error(folder, text, options):
    board = folder / "board.yaml"
    board.write_text(text, encoding="utf-8", errors="surrogatepass")
    argv = [str(board), "--dry-run", "-o", str(folder / "out")]
    for flag, value in options:
        argv += [f"{flag}={value}"]  # `=`: a value that starts with `-` stays a value
    check(*run(argv), (text, argv))


NAME_CHARS = st.characters(codec="utf-8", exclude_characters="/\x00") | st.sampled_from("\n\r\u202e[]:-")
KINDS = ["folder", "fifo", "loop", "dangling", "dev_zero", "dev_null", "unreadable", "empty", "huge", "nul",
         "not_utf8", "course"]  # fmt: skip


def plant(folder: Path, kind: str, name: str, text: str) -> Path:
    """A storyboard path of the given kind in ``folder`` (emptied first)."""
    for p in folder.iterdir():
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink()
    path = folder / name
    if kind == "folder":
        path.mkdir()
        (path / "board.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "loop":
        path.symlink_to(folder / f"{name}.other")
        (folder / f"{name}.other").symlink_to(path)
    elif kind == "dangling":
        path.symlink_to(folder / "nowhere.yaml")
    elif kind in ("dev_zero", "dev_null"):
        path.symlink_to("/dev/zero" if kind == "dev_zero" else "/dev/null")
    elif kind == "unreadable":
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        path.chmod(0)
    elif kind == "empty":
        path.touch()
    elif kind == "huge":
        with open(path, "wb") as f:
            f.truncate(3 << 20)  # 3 MB of NULs, sparse
    elif kind == "nul":
        path.write_bytes(b"title: T\x00\nscenes: [\x00]\n")
    elif kind == "not_utf8":
        path.write_bytes(text.encode("utf-8", errors="surrogatepass") + b"\nchapter: caf\xe9\n")
    elif kind == "course":  # a course listing a FIFO, a folder, a link loop and itself
        os.mkfifo(folder / "pipe.yaml")
        (folder / "dir.yaml").mkdir()
        (folder / "l1.yaml").symlink_to(folder / "l2.yaml")
        (folder / "l2.yaml").symlink_to(folder / "l1.yaml")
        listed = ["pipe.yaml", "dir.yaml", "l1.yaml", name, "missing.yaml"]
        path.write_text(f"course:\n  title: C\n  storyboards: {json.dumps(listed)}\n", encoding="utf-8")
    return path


@FUZZ
@given(
    kind=st.sampled_from(KINDS),
    name=st.text(NAME_CHARS, min_size=1, max_size=40).filter(lambda n: n not in (".", "..")),
    text=storyboards(),
    mode=st.sampled_from([["--dry-run"], ["--list"], ["--schema"]]),
)
def test_storyboard_paths_that_are_not_plain_files_end_with_one_line(folder, kind, name, text, mode):
    trees = folder / "trees"
    trees.mkdir(exist_ok=True)
    path = plant(trees, kind, name, text)
    try:
        check(*run([str(path), *mode, "-o", str(folder / "out")]), (kind, name, mode))
    finally:
        with contextlib.suppress(OSError):
            path.chmod(stat.S_IRWXU)


@pytest.mark.parametrize(
    ("kind", "mode"),
    [("fifo", "--list"), ("fifo", "--dry-run"), ("course", "--dry-run"), ("dev_zero", "--list")],
)
def test_a_few_paths_through_render_py_itself(tmp_path, kind, mode):
    path = plant(tmp_path, kind, "board.yaml", "title: T\n")
    try:
        proc = subprocess.run([sys.executable, "render.py", str(path), mode, "-o", str(tmp_path / "out")],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"render.py {kind} {mode} hangs")
    check(proc.returncode, proc.stdout, proc.stderr, (kind, mode))
    assert proc.returncode == 2


# What the fuzzer found in pipeline/voice/spec.py's parse() (issue 24): a traceback each before the fix
KNOWN = [  # the storyboard's first line
    pytest.param('voice: "recorded:\\x00"\n', id="voice-path-nul"),  # embedded null byte
    pytest.param('voice: "recorded:~nobody0"\n', id="voice-path-no-such-user"),  # could not determine home
]


@pytest.mark.parametrize("head", KNOWN)
def test_known_findings_elsewhere(folder, head):
    board = folder / "known.yaml"
    board.write_text(head + f"title: T\nplugins: [{PLUGIN}]\nscenes:\n  - scene: fixture.shapes\n")
    check(*run([str(board), "--dry-run", "-o", str(folder / "out")]), head)
