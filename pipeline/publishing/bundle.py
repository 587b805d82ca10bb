"""The upload bundle (``--publish``): ``output/<name>/publish/``, a folder a channel uploads as it is.

- ``<name>.mp4`` — re-encoded from the stitched video by the upload recommendations of the major platforms
  (YouTube's "Recommended upload encoding settings", Vimeo's "Video and audio compression guidelines"):
  MP4 with the ``moov`` atom first (``+faststart``); H.264 High profile, progressive, 4:2:0 (yuv420p),
  BT.709; closed GOPs of half the frame rate (a keyframe at least every 0.5 s, no extra keyframes at scene
  cuts); 2 consecutive B-frames; CABAC; variable bitrate capped at the recommended rate for the resolution
  and frame rate; AAC-LC, 48 kHz stereo, 384 kb/s (a silent track when the video has none). The narration
  was brought to −16 LUFS per text when it was made (``pipeline/voice/audio.py``), so the loudness is kept.
- ``chapters.txt`` — description timestamps by the platform's rules: the first at 0:00, at least three,
  ascending, each at least 10 s long. Shorter chapters are merged into a neighbour (and the run says so);
  with fewer than three left, there are none. The same chapters are written into the MP4.
- ``<name>.srt`` / ``<name>.vtt`` — the run's captions, in its locale.
- ``thumbnail.png`` — 1280×720, under 2 MB: the title over a frame the storyboard picks
  (``thumbnail: {entry: 3, at: 12.5}``; default the middle of the first entry).
- ``description.md`` — the title, the chapters and the papers the lecture's code cites.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from common.fsutil import file_sha256, publish_dir, write_text_atomic
from pipeline.planning.plan import Plan
from pipeline.publishing.media import MediaError, probe
from pipeline.publishing.references import Reference, collect

if TYPE_CHECKING:  # Pillow is imported when a thumbnail is drawn
    from PIL import ImageDraw, ImageFont

MIN_CHAPTER = 10.0  # seconds: a shorter chapter is not shown by the platform
MIN_CHAPTERS = 3
THUMB_SIZE = (1280, 720)
THUMB_MAX_BYTES = 2 * 1024 * 1024
# YouTube's recommended SDR upload bitrates, kb/s, by frame height: (24–30 fps, 48–60 fps)
BITRATES = {
    360: (1000, 1500),
    480: (2500, 4000),
    720: (5000, 7500),
    1080: (8000, 12000),
    1440: (16000, 24000),
}
BITRATES_4K = (45000, 68000)
AUDIO_BITRATE = "384k"  # YouTube: stereo 384 kb/s
# x264 speed: the platform re-encodes what it gets, so the upload needs to be clean, not small. At CRF 18
# "veryfast" took 14 s where "medium" took 24 s for 10 s of the lecture at 1080p60 (one busy core), and
# is what makes a 16-minute 1080p60 lecture a matter of minutes rather than most of an hour.
PRESET = "veryfast"
LABELS = {
    "en": {
        "chapters": "Chapters",
        "references": "References",
        "sources": "The numbers on screen are computed by code that follows these papers (cited in its "
        "docstrings):",
    },
    "zh": {
        "chapters": "章节",
        "references": "参考文献",
        "sources": "画面上的数字由遵循以下论文的代码计算（引用见其文档字符串）：",
    },
}


class PublishError(MediaError):  # reported like a media problem: one line, no type name
    pass


@dataclass(frozen=True)
class Chapter:
    title: str
    start: float  # seconds
    end: float


def timestamp(seconds: float) -> str:
    """``0:00``, ``1:05``, ``12:00``, ``1:02:03``: whole seconds, as descriptions write them."""
    s = int(seconds)
    h, m, sec = s // 3600, s // 60 % 60, s % 60
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def platform_chapters(chapters: list[Chapter]) -> tuple[list[Chapter], list[str]]:
    """The chapters as a platform accepts them, and what had to change, one sentence each.

    Start times are whole seconds (as the timestamps say), the first at 0. A chapter shorter than
    :data:`MIN_CHAPTER` joins the one before it (the first joins the one after); a merged chapter keeps the
    title of its longest part. Fewer than :data:`MIN_CHAPTERS` left: no chapters at all.
    """
    if not chapters:
        return [], []
    end = chapters[-1].end
    groups: list[list[Chapter]] = [[c] for c in chapters]
    notes: list[str] = []

    def start(g: list[Chapter]) -> float:
        return 0.0 if g is groups[0] else float(math.floor(g[0].start))

    def length(i: int) -> float:
        return (start(groups[i + 1]) if i + 1 < len(groups) else end) - start(groups[i])

    while len(groups) > 1:
        short = [i for i in range(len(groups)) if length(i) < MIN_CHAPTER]
        if not short:
            break
        i = min(short, key=length)  # the shortest first: it is the least of a chapter
        j = i - 1 if i > 0 else 1
        lo, hi = min(i, j), max(i, j)
        groups[lo : hi + 1] = [groups[lo] + groups[hi]]
    out = []
    for k, g in enumerate(groups):
        main = max(g, key=lambda c: c.end - c.start)
        out.append(Chapter(main.title, start(g), start(groups[k + 1]) if k + 1 < len(groups) else end))
        if len(g) > 1:
            merged = ", ".join(f"'{c.title}' ({c.end - c.start:.1f} s)" for c in g if c is not main)
            rule = f"chapters must last at least {MIN_CHAPTER:g} s"
            notes.append(f"{merged} merged into '{main.title}' ({rule})")
    if len(out) < MIN_CHAPTERS:
        notes.append(
            f"only {len(out)} chapter{'s' if len(out) != 1 else ''} of at least {MIN_CHAPTER:g} s: "
            f"no chapters (a platform needs at least {MIN_CHAPTERS})"
        )
        return [], notes
    return out, notes


def chapters_text(chapters: list[Chapter]) -> str:
    """One ``m:ss Title`` line per chapter (a title on one line, whatever its whitespace)."""
    return "".join(f"{timestamp(c.start)} {' '.join(c.title.split())}\n" for c in chapters)


def video_bitrate(height: int, fps: float) -> int:
    """The recommended upload bitrate (kb/s) for the smallest standard height that holds ``height``."""
    pair = next((v for h, v in sorted(BITRATES.items()) if height <= h), BITRATES_4K)
    return pair[1] if fps > 30 else pair[0]


def encoder_args(height: int, fps: Fraction) -> list[str]:
    """ffmpeg output options for the upload encoding (see the module docstring for the sources)."""
    gop = max(1, math.floor(fps / 2))  # half the frame rate: a keyframe at least every half second
    rate = video_bitrate(height, float(fps))
    return [
        "-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-preset", PRESET,
        "-crf", "18", "-maxrate", f"{rate}k", "-bufsize", f"{2 * rate}k",
        "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", "-flags", "+cgop",
        "-bf", "2", "-x264-params", "open-gop=0:b-adapt=0:cabac=1",
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-c:a", "aac", "-profile:a", "aac_low", "-b:a", AUDIO_BITRATE, "-ar", "48000", "-ac", "2",
        "-movflags", "+faststart",
    ]  # fmt: skip


def _ffmetadata(title: str, chapters: list[Chapter]) -> str:
    def esc(s: str) -> str:
        return "".join("\\" + c if c in "=;#\\\n" else c for c in s)

    lines = [";FFMETADATA1", f"title={esc(title)}"]
    for c in chapters:
        start, end = round(c.start * 1000), round(c.end * 1000)
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={start}", f"END={end}", f"title={esc(c.title)}"]
    return "\n".join(lines) + "\n"


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise MediaError(f"{args[0]} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")


def encode(src: Path, dest: Path, title: str, chapters: list[Chapter]) -> None:
    """Re-encode ``src`` into ``dest`` for upload, with ``chapters`` (none: no chapter atoms)."""
    info = probe(src)
    fps = Fraction(info.fps)
    with tempfile.TemporaryDirectory(prefix=".publish-", dir=dest.parent) as work:
        meta = Path(work) / "chapters.ffmeta"
        meta.write_text(_ffmetadata(title, chapters), encoding="utf-8")
        args = ["ffmpeg", "-y", "-v", "error", "-i", str(src)]
        if info.has_audio:
            audio = ["-map", "0:a:0"]
        else:  # a silent track of the video's length: platforms and players expect one
            args += ["-f", "lavfi", "-t", f"{info.duration:.6f}", "-i", "anullsrc=r=48000:cl=stereo"]
            audio = ["-map", "1:a:0"]
        n_meta = 1 if info.has_audio else 2
        args += ["-i", str(meta), "-map", "0:v:0", *audio, "-map_metadata", str(n_meta)]
        args += ["-map_chapters", str(n_meta) if chapters else "-1"]
        args += [*encoder_args(info.height, fps), "-f", "mp4", str(dest)]
        _run(args)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    found = subprocess.run(
        ["fc-match", "-f", "%{file}:%{index}", "Noto Sans CJK SC:style=Bold"], capture_output=True, text=True
    ).stdout
    path, _, index = found.rpartition(":")
    try:
        return ImageFont.truetype(path, size, index=int(index or 0))
    except (OSError, ValueError):
        return ImageFont.load_default(size)


def _wrap(
    text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int, draw: ImageDraw.ImageDraw
) -> list[str]:
    """Greedy lines no wider than ``width``: by words, or by characters where there are no spaces (CJK)."""
    tokens = text.split(" ") if " " in text else list(text)
    sep = " " if " " in text else ""
    lines: list[str] = []
    for tok in tokens:
        trial = f"{lines[-1]}{sep}{tok}" if lines else tok
        if lines and draw.textlength(trial, font=font) <= width:
            lines[-1] = trial
        else:
            lines.append(tok)
    return lines


def thumbnail(video: Path, at: float, title: str, dest: Path) -> None:
    """The frame of ``video`` at ``at`` seconds, 1280×720, with ``title`` on a dark band across its lower
    part; a PNG under 2 MB (reduced to 256 colours if a busy frame makes it larger)."""
    from PIL import Image, ImageDraw

    w, h = THUMB_SIZE
    frame = dest.with_name(".frame.png")
    scale = f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2"
    _run(["ffmpeg", "-y", "-v", "error", "-ss", f"{at:.3f}", "-i", str(video), "-frames:v", "1", "-vf", scale,
          str(frame)])  # fmt: skip
    with Image.open(frame) as im:
        img = im.convert("RGB")
    frame.unlink()
    draw = ImageDraw.Draw(img, "RGBA")
    margin = w // 20
    for size in range(84, 23, -4):  # the largest size at which the title fits in two lines
        font = _font(size)
        lines = _wrap(title, font, w - 2 * margin, draw)
        if len(lines) <= 2:
            break
    lines = lines[:3]
    line_h = int(size * 1.25)
    band_top = h - margin - len(lines) * line_h - margin // 2
    draw.rectangle((0, band_top, w, h), fill=(0, 0, 0, 228))  # the frame shows faintly: text stays legible
    for k, line in enumerate(lines):
        draw.text((margin, band_top + margin // 2 + k * line_h), line, font=font, fill=(255, 255, 255))
    img.save(dest, optimize=True)
    if dest.stat().st_size >= THUMB_MAX_BYTES:
        img.quantize(256).save(dest, optimize=True)


def description(title: str, chapters: list[Chapter], refs: list[Reference], locale: str) -> str:
    label = LABELS.get(locale, LABELS["en"])
    out = [f"# {title}", ""]
    if chapters:
        out += [f"## {label['chapters']}", "", chapters_text(chapters).rstrip("\n"), ""]
    if refs:
        out += [f"## {label['references']}", "", label["sources"], ""]
        out += [f"- {r.line()}" for r in refs] + [""]
    return "\n".join(out)


def lecture_references(plan: Plan) -> list[Reference]:
    """The papers cited by each entry's scene module (and parameter module) and by the ``lib`` modules
    they import: the code that computed what is on screen."""
    from pipeline.inputs.plugins import source_roots
    from pipeline.planning.cache import SourceIndex, parse_imports

    index = SourceIndex(source_roots(plan.board.plugins))
    modules: dict[str, Path] = {}
    for e in plan.board.entries:
        paths = index.paths(e.spec.module)
        for own in (e.spec.module, e.spec.params_module):
            path = paths.get(own) or index.paths(own).get(own)
            if path is None:
                continue
            modules.setdefault(own, path)
            for name in parse_imports(path.read_bytes(), own, False):
                if name.startswith("lib.") and name in paths:
                    modules.setdefault(name, paths[name])
    return collect(modules)


def thumbnail_time(plan: Plan, starts: list[float], durations: list[float]) -> float:
    """Where in the video the thumbnail's frame is: the storyboard's ``thumbnail`` (entry, seconds into
    it), else the middle of the first entry."""
    pick = plan.board.thumbnail
    if pick is None:
        return durations[0] / 2
    i = pick.entry
    at = durations[i] / 2 if pick.at is None else pick.at
    if at >= durations[i]:
        raise PublishError(
            f"thumbnail: {at:g} s is past the end of entry {i + 1} ({durations[i]:.1f} s long)"
        )
    return starts[i] + at


def publish(plan: Plan, video: Path, out_dir: Path) -> tuple[Path, list[str]]:
    """Write ``out_dir/publish/`` whole (built beside it, then moved into place); return it and notes."""
    board = plan.board
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    entries = manifest["entries"]
    starts = [float(e["start"]) for e in entries]
    durations = [float(e["duration"]) for e in entries]
    total = probe(video).duration
    raw = [
        Chapter(e["chapter"], s, starts[k + 1] if k + 1 < len(starts) else total)
        for k, (e, s) in enumerate(zip(entries, starts, strict=True))
    ]
    chapters, notes = platform_chapters(raw)
    dest = out_dir / "publish"
    # the encoding is the slow part (minutes at 1080p60): reuse it while its inputs are the same
    info = probe(video)
    inputs = [file_sha256(video), board.title, [list(vars(c).values()) for c in chapters]]
    inputs.append(encoder_args(info.height, Fraction(info.fps)))
    key = hashlib.sha256(json.dumps(inputs, ensure_ascii=False).encode()).hexdigest()
    memo, previous = out_dir / ".publish.json", dest / f"{board.name}.mp4"
    # the previous encoding is reused only from our own folder: never through a link planted there
    ours = not dest.is_symlink() and previous.is_file() and not previous.is_symlink()
    reuse = ours and _read_json(memo) == {"encoded": key}
    # the pid in the name: a later run sweeps the folder if this process is killed (common.fsutil)
    tmp = Path(tempfile.mkdtemp(prefix=f".publish-{os.getpid()}-", dir=out_dir))
    try:
        tmp.chmod(0o755)
        if reuse:
            shutil.copyfile(previous, tmp / previous.name)
            notes.append("publish: the video and its chapters are unchanged, so is the encoding (reused)")
        else:
            encode(video, tmp / f"{board.name}.mp4", board.title, chapters)
        if chapters:
            (tmp / "chapters.txt").write_text(chapters_text(chapters), encoding="utf-8")
        for ext in ("srt", "vtt"):
            captions = out_dir / f"{board.name}.{ext}"
            if captions.is_file():
                shutil.copyfile(captions, tmp / captions.name)
        thumbnail(video, thumbnail_time(plan, starts, durations), board.title, tmp / "thumbnail.png")
        refs = lecture_references(plan)
        text = description(board.title, chapters, refs, plan.settings.locale)
        (tmp / "description.md").write_text(text, encoding="utf-8")
        publish_dir(tmp, dest)
        write_text_atomic(memo, json.dumps({"encoded": key}))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest, notes


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
